"""Voxhall's MCP tool servers: github, calendar, monday and aws, plus their shared pieces.

The shared pieces, one module each:

- `mcp_servers.tools`: `ToolRegistry`, the server and the decorators that register its tools.
- `mcp_servers.errors`: `ToolError`, `require` for missing settings (named by
  `voxhall.settings.environment_variable`) and `api_errors` for an API's own messages, secrets
  masked.
- `mcp_servers.confirmation`: `Approval` and `confirmation(prompt)`, asking the user first.
- `mcp_servers.jobs`: `start_job` and `add_job_tools`, long operations as `voxhall.tasks` jobs.
- `mcp_servers.serving`: `run_server`, the command line of `python -m mcp_servers.<name>`.

A server module builds its `MCPServer` in a `create_server(settings=None)` function and runs it
from `__main__.py` with `run_server`:

    from typing import Annotated
    from mcp_servers.confirmation import Approval, confirmation
    from mcp_servers.errors import api_errors, require
    from mcp_servers.jobs import add_job_tools
    from mcp_servers.serving import run_server
    from mcp_servers.tools import ToolRegistry
    from voxhall.settings import environment_variable

    def _delete_prompt(item_id: str) -> str:              # names tool arguments it needs
        return f"Delete item {item_id}? This cannot be undone."

    def create_server(settings: MondaySettings | None = None) -> MCPServer:
        settings = settings or MondaySettings()
        tools = ToolRegistry("voxhall-monday", instructions="...", read_only=settings.read_only)

        @tools.read(title="Get item")                     # read-only, idempotent, open-world
        def get_item(item_id: str) -> Item:               # typed args; a model as structured output
            \"\"\"The docstring is the tool description the model reads.\"\"\"
            token = require(settings.token, environment_variable(MondaySettings, "token"))
            with api_errors(httpx.HTTPStatusError, describe=_message, secrets=[settings.token]):
                ...

        @tools.write(title="Delete item", destructive=True, idempotent=True)  # left out read-only
        def delete_item(item_id: str, approval: Annotated[Approval, confirmation(_delete_prompt)]):
            ...                                           # runs only after the user approved

        add_job_tools(tools, kinds="monday.")            # get_job, list_jobs, cancel_job
        return tools.server

    # __main__.py
    run_server(create_server, name="monday", default_port=8713)

Annotations are the schema: tools defined as closures (inside `create_server`, or inside a
`register_<area>_tools` function) must see real objects, so a module whose tool annotations name
local objects (a closure prompt_fn, say) must not use `from __future__ import annotations`;
`ToolRegistry` raises at registration if hints cannot be resolved (rather than silently turning
the approval into a model-filled argument).
"""
