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
        examples=(
            "which github account are you using",
            "who am I on github",
            "what's my github username",
            "which user is the github bot logged in as",
            "tell me the github login you're using",
            "whose github account is connected",
            "am I signed in to github",
            "what account do you act as on github",
            "who are you logged into github as",
            "check which github user you are",
        ),
    )
    async def get_me() -> User:
        """The GitHub account the server acts as."""
        return await calls.call(calls.api.get_me)
