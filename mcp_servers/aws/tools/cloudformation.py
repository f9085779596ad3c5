"""CloudFormation tools: stacks and their events, and updating or deleting a stack as a job."""

from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context
from pydantic import Field

from mcp_servers.aws import jobs
from mcp_servers.aws.client import Aws, aws_errors
from mcp_servers.aws.models import Stack, StackEvent, StackEventList, StackOutput
from mcp_servers.aws.tools.arguments import MaxItems, ResourceName
from mcp_servers.confirmation import Approval, confirmation
from mcp_servers.errors import ToolError
from mcp_servers.jobs import JobStarted, start_job
from mcp_servers.tools import ToolRegistry
from voxhall.spoken import SpokenSummary

Capability = Literal["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]


def _stack(raw: dict[str, Any]) -> Stack:
    return Stack(
        name=raw["StackName"],
        id=raw["StackId"],
        status=raw["StackStatus"],
        status_reason=raw.get("StackStatusReason"),
        description=raw.get("Description"),
        created_at=raw.get("CreationTime"),
        updated_at=raw.get("LastUpdatedTime"),
        parameters={
            p["ParameterKey"]: p.get("ParameterValue", "") for p in raw.get("Parameters", [])
        },
        outputs=[
            StackOutput(
                key=o["OutputKey"], value=o["OutputValue"], description=o.get("Description")
            )
            for o in raw.get("Outputs", [])
        ],
        tags={t["Key"]: t["Value"] for t in raw.get("Tags", [])},
        capabilities=raw.get("Capabilities", []),
    )


def _stack_event(raw: dict[str, Any]) -> StackEvent:
    return StackEvent(
        timestamp=raw["Timestamp"],
        logical_id=raw.get("LogicalResourceId"),
        resource_type=raw.get("ResourceType"),
        status=raw.get("ResourceStatus"),
        reason=raw.get("ResourceStatusReason"),
    )


def _describe(aws: Aws, name: str) -> dict[str, Any]:
    return aws.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]


def _update_request(
    current: dict[str, Any],
    template_body: str | None,
    template_url: str | None,
    parameters: dict[str, str],
    capabilities: list[Capability],
) -> dict[str, Any]:
    """An UpdateStack request: parameters not given keep their values, and so does the template
    when none is given."""
    keep = [
        {"ParameterKey": p["ParameterKey"], "UsePreviousValue": True}
        for p in current.get("Parameters", [])
        if p["ParameterKey"] not in parameters
    ]
    given = [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()]
    request: dict[str, Any] = {
        "StackName": current["StackId"],
        "Parameters": keep + given,
        "Capabilities": capabilities,
    }
    if template_body:
        request["TemplateBody"] = template_body
    elif template_url:
        request["TemplateURL"] = template_url
    else:
        request["UsePreviousTemplate"] = True
    return request


def register_cloudformation_tools(tools: ToolRegistry, aws: Aws) -> None:
    """describe_stack, list_stack_events, update_stack and delete_stack."""

    @tools.read(
        title="CloudFormation stack",
        speech=SpokenSummary(text="The stack {name} is {status:words}."),
        examples=(
            "what state is the cloudformation stack in",
            "describe the network stack",
            "is the api stack healthy",
            "what are the outputs of the web stack",
            "show me the parameters of the database stack",
            "did the staging stack finish creating",
            "what's the status of stack prod-network",
            "tell me about the cloudformation stack called billing",
            "what tags does the vpc stack have",
            "is the frontend stack in rollback",
        ),
    )
    def describe_stack(stack_name: ResourceName) -> Stack:
        """A CloudFormation stack: status, parameters, outputs and tags."""
        with aws_errors():
            return _stack(_describe(aws, stack_name))

    @tools.read(
        title="Stack events",
        speech=SpokenSummary(
            items="events",
            none="That stack has no events.",
            one="The latest event: {items}.",
            many="The latest {count} events: {items}.",
            item="{logical_id} {status:words} {timestamp:when}",
        ),
        examples=(
            "show the events of the stack",
            "what happened to the cloudformation stack recently",
            "why did the staging stack fail",
            "what went wrong with the last stack update",
            "list recent cloudformation events for the api stack",
            "show me the stack events for prod-network",
            "what has cloudformation been doing on the web stack",
            "which resource failed in the database stack",
            "read me the latest events of stack billing",
            "why is the stack rolling back",
        ),
    )
    def list_stack_events(stack_name: ResourceName, max_items: MaxItems = 25) -> StackEventList:
        """A stack's newest events (what CloudFormation did, and why something failed)."""
        with aws_errors():
            raw = aws.client("cloudformation").describe_stack_events(StackName=stack_name)
        return StackEventList(
            events=[_stack_event(e) for e in raw.get("StackEvents", [])[:max_items]]
        )

    def update_prompt(
        stack_name: str,
        template_body: str | None,
        template_url: str | None,
        parameters: dict[str, str],
    ) -> str:
        with aws_errors():
            raw = _describe(aws, stack_name)
            where = aws.where()
        template = "a new template" if template_body or template_url else "the current template"
        # Keys only: a parameter value may be a secret (NoEcho), and prompts are shown to people.
        changed = (
            f"new values for {', '.join(parameters)}" if parameters else "no parameter changes"
        )
        return (
            f"Update CloudFormation stack {raw['StackName']} ({raw['StackStatus']}) in {where} "
            f"with {template} and {changed}?"
        )

    @tools.write(
        title="Update stack",
        destructive=True,
        idempotent=False,
        speech=SpokenSummary(text="The stack update has started."),
        examples=(
            "update the cloudformation stack",
            "apply the new template to the stack",
            "update the web stack with the new template",
            "change the instance size parameter on the api stack",
            "set the desired count parameter of the worker stack to four",
            "redeploy the network stack with new parameters",
            "push the template change to the staging stack",
            "update stack billing",
            "modify the parameters of the prod stack",
            "roll out the new cloudformation template",
        ),
    )
    def update_stack(
        stack_name: ResourceName,
        approval: Annotated[Approval, confirmation(update_prompt)],
        ctx: Context,
        template_body: Annotated[str | None, Field(max_length=51200)] = None,
        template_url: Annotated[str | None, Field(max_length=1024)] = None,
        parameters: Annotated[dict[str, str], Field(max_length=200)] = {},  # noqa: B006
        capabilities: list[Capability] = [],  # noqa: B006
    ) -> JobStarted:
        """Update a CloudFormation stack (new template and/or parameters; parameters not given
        keep their values) and start a job that waits for the update. Needs approval."""
        if template_body and template_url:
            raise ToolError("give template_body or template_url, not both")
        with aws_errors():
            current = _describe(aws, stack_name)
            request = _update_request(
                current, template_body, template_url, parameters, capabilities
            )
            stack_id = aws.client("cloudformation").update_stack(**request)["StackId"]
        return start_job(jobs.UPDATE_STACK_JOB, {"stack_id": stack_id}, ctx)

    def delete_prompt(stack_name: str) -> str:
        with aws_errors():
            raw = _describe(aws, stack_name)
            where = aws.where()
        return (
            f"Delete CloudFormation stack {raw['StackName']} ({raw['StackStatus']}) and every "
            f"resource it manages in {where}? This cannot be undone."
        )

    @tools.write(
        title="Delete stack",
        destructive=True,
        idempotent=True,
        speech=SpokenSummary(text="The stack is being deleted."),
        examples=(
            "delete the cloudformation stack",
            "tear down the staging stack",
            "remove the test stack",
            "delete stack demo-env",
            "get rid of the old staging stack",
            "destroy the sandbox cloudformation stack",
            "tear down stack feature-preview",
            "we don't need the experiment stack anymore, delete it",
            "delete the whole web stack",
            "take down the temporary stack",
        ),
    )
    def delete_stack(
        stack_name: ResourceName,
        approval: Annotated[Approval, confirmation(delete_prompt)],
        ctx: Context,
    ) -> JobStarted:
        """Delete a CloudFormation stack and start a job that waits until it is gone.
        Needs the user's approval."""
        with aws_errors():
            stack_id = _describe(aws, stack_name)["StackId"]
            aws.client("cloudformation").delete_stack(StackName=stack_id)
        return start_job(jobs.DELETE_STACK_JOB, {"stack_id": stack_id}, ctx)
