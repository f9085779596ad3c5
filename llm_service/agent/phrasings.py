"""Example phrasings of what people say when they want each built-in tool, or no tool at all.

The local router (`tool_router`) compares a request with these, the tools' descriptions and any
`examples` a server's table in voxhall.toml adds. Keys are `<server>__<tool>`; `CHAT` holds
requests that need no tool.
"""

from __future__ import annotations

CHAT: tuple[str, ...] = (
    "what is the capital of france",
    "tell me a joke",
    "how are you doing today",
    "thanks, that's all",
    "good morning everyone",
    "can you explain what a closure is in python",
    "what's the difference between tcp and udp",
    "who wrote pride and prejudice",
    "say hello to the team",
    "never mind",
    "what do you think about tabs versus spaces",
    "how do I reverse a list in python",
    "give me a fun fact",
    "translate good night into spanish",
    "who invented the telephone",
    "how many days are in a leap year",
    "what's the tallest mountain in the world",
    "how's your day been",
    "what's up",
    "thank you so much",
    "that's great, cheers",
    "what does http stand for",
    "write a haiku about autumn",
    "who was the first person on the moon",
    "how far away is the sun",
    "what is the meaning of life",
    "recommend a good book",
    "hello there",
    "see you later",
    "why is the sky blue",
)

PHRASINGS: dict[str, tuple[str, ...]] = {
    "calendar__get_current_time": (
        "what time is it",
        "what's the date today",
        "what day of the week is it",
    ),
    "calendar__list_calendars": (
        "which calendars do I have",
        "list my calendars",
    ),
    "calendar__list_events": (
        "what's on my calendar",
        "what meetings do I have this week",
        "show my schedule for today",
        "what's coming up in my agenda",
    ),
    "calendar__search_events": (
        "find the meeting about the budget",
        "when is my appointment with the doctor",
        "search my calendar for the offsite",
        "when is the retro",
    ),
    "calendar__get_freebusy": (
        "am I busy tomorrow afternoon",
        "show when I'm busy on friday",
    ),
    "calendar__find_free_slot": (
        "find me a free hour this week",
        "when do I have thirty minutes free",
        "find a free slot for a meeting",
    ),
    "calendar__create_event": (
        "schedule a meeting called planning at three",
        "add lunch with sam to my calendar",
        "put a dentist appointment in the calendar",
        "book an event named team dinner",
        "book a meeting with maria on monday at nine",
        "set up a call with the design team friday afternoon",
    ),
    "calendar__update_event": (
        "move my meeting to four o'clock",
        "rename the event to sprint review",
        "change the time of the standup",
    ),
    "calendar__delete_event": (
        "cancel my meeting",
        "delete the event from my calendar",
        "remove the appointment",
    ),
    "github__get_me": (
        "which github account are you using",
        "who am I on github",
    ),
    "github__list_issues": (
        "list the open issues",
        "what issues are open in the repo",
        "show me the github issues",
    ),
    "github__search_issues": (
        "search github issues for login bug",
        "find issues mentioning timeout",
        "are there any issues about memory leaks",
    ),
    "github__get_issue": (
        "show me issue number 12",
        "what does issue 7 say",
        "open github issue 31",
    ),
    "github__create_issue": (
        "open a new issue titled broken link",
        "file a bug called crash on startup",
        "create a github issue about the flaky test",
    ),
    "github__update_issue": (
        "close issue 14",
        "change the title of issue 9",
        "reopen issue 5",
    ),
    "github__add_issue_comment": (
        "comment on issue 8 saying looks good",
        "reply to issue 3 with thanks",
        "add a comment to issue 21",
    ),
    "github__list_pull_requests": (
        "list the open pull requests",
        "what PRs are waiting",
        "show pull requests",
    ),
    "github__get_pull_request": (
        "show me pull request 40",
        "what's the status of PR 17",
        "can PR 23 be merged",
    ),
    "github__merge_pull_request": (
        "merge pull request 40",
        "merge PR 12 please",
        "go ahead and merge the pull request 9",
    ),
    "github__list_workflow_runs": (
        "how did the latest CI runs go",
        "list the github actions runs",
        "did the build pass",
    ),
    "github__get_workflow_run": (
        "show workflow run 5551234",
        "what happened in actions run 8812",
    ),
    "github__rerun_failed_jobs": (
        "rerun the failed jobs of run 4411",
        "retry the failed CI jobs in run 9009",
    ),
    "github__trigger_workflow": (
        "trigger the deploy workflow",
        "run the release.yml workflow",
        "kick off the nightly workflow on main",
    ),
    "github__get_job": ("how is the workflow watch job doing",),
    "github__list_jobs": ("list the github jobs",),
    "github__cancel_job": ("cancel the github watch job",),
    "monday__search": (
        "find the marketing board on monday",
        "search monday for roadmap",
        "which monday board is called sales",
    ),
    "monday__get_board_schema": (
        "what columns does board 123 have",
        "show the groups of monday board 555",
    ),
    "monday__get_board_items_page": (
        "list the items on board 123",
        "what's on monday board 777",
        "show the tasks on the board 42",
    ),
    "monday__get_item": (
        "show monday item 9876",
        "details of item 4455",
    ),
    "monday__get_updates": (
        "what updates are on item 3333",
        "read the comments on monday item 1212",
    ),
    "monday__list_users_and_teams": (
        "who is on our monday account",
        "list the monday users and teams",
    ),
    "monday__create_item": (
        "add an item called review contract to board 123",
        "create a task named call supplier on board 55",
    ),
    "monday__change_item_column_values": (
        "set the status of item 88 on board 12 to done",
        "change the columns of item 4",
    ),
    "monday__move_item_to_group": (
        "move item 99 to the done group",
        "put item 31 in group backlog",
    ),
    "monday__create_update": (
        "post an update on item 77 saying shipped",
        "write a comment on monday item 64",
    ),
    "monday__delete_item": (
        "delete monday item 501",
        "remove item 9 from the board",
    ),
    "aws__get_active_alarms": (
        "are any alarms firing",
        "which cloudwatch alarms are in alarm",
        "is anything alerting in aws",
    ),
    "aws__get_alarm_history": (
        "show the history of the cpu alarm",
        "when did the latency alarm last fire",
    ),
    "aws__get_metric_data": (
        "what's the cpu utilization of the service",
        "show the request count metric",
        "get the cloudwatch metric for errors",
    ),
    "aws__describe_log_groups": (
        "list the log groups",
        "which cloudwatch log groups exist",
    ),
    "aws__run_logs_insights_query": (
        "search the logs for errors",
        "run a logs insights query on the api logs",
        "query the logs for timeouts",
    ),
    "aws__get_cost_and_usage": (
        "how much did we spend on aws this month",
        "what's our aws bill",
        "show the costs by service",
    ),
    "aws__get_cost_forecast": (
        "what will aws cost by the end of the month",
        "forecast our aws spending",
    ),
    "aws__list_ecs_services": (
        "list the ecs services",
        "which services run in the cluster",
    ),
    "aws__describe_ecs_service": (
        "how is the api service in ecs doing",
        "describe the ecs service web",
    ),
    "aws__redeploy_ecs_service": (
        "redeploy the api service",
        "restart the ecs service web",
        "force a new deployment of the worker service",
    ),
    "aws__describe_stack": (
        "what state is the cloudformation stack in",
        "describe the network stack",
    ),
    "aws__list_stack_events": (
        "show the events of the stack",
        "what happened to the cloudformation stack recently",
    ),
    "aws__update_stack": (
        "update the cloudformation stack",
        "apply the new template to the stack",
    ),
    "aws__delete_stack": (
        "delete the cloudformation stack",
        "tear down the staging stack",
    ),
    "aws__get_job": ("how is the stack job going",),
    "aws__list_jobs": ("list the aws jobs",),
    "aws__cancel_job": ("cancel the aws deployment job",),
}
