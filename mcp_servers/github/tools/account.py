"""The GitHub account tool: who the server acts as."""

from mcp_servers.github.models import User
from mcp_servers.github.tools.calls import GithubCalls
from mcp_servers.tools import ToolRegistry
from voxhall.spoken import SpokenSummary


def register_account_tools(tools: ToolRegistry, calls: GithubCalls) -> None:
    """get_me."""

    @tools.read(
        title="Who am I on GitHub",
        speech=SpokenSummary(text="You're signed in to GitHub as {login}."),
        examples=("which github account are you using", "who am I on github"),
    )
    async def get_me() -> User:
        """The GitHub account the server acts as."""
        return await calls.call(calls.api.get_me)
