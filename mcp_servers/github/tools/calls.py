"""How every GitHub tool calls the API: in the named (or default) repository, errors mapped."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import AbstractContextManager
from typing import Concatenate, ParamSpec, TypeVar

from mcp_servers.errors import api_errors
from mcp_servers.github.api import GithubApi, GithubApiError

P = ParamSpec("P")
T = TypeVar("T")


class GithubCalls:
    """The server's `GithubApi`, its failures turned into `ToolError`s without credentials."""

    def __init__(self, api: GithubApi) -> None:
        self.api = api
        self._secrets = [api.settings.token, api.settings.app_private_key]

    def _errors(self) -> AbstractContextManager[None]:
        return api_errors(GithubApiError, secrets=self._secrets)

    def repository(self, owner: str | None, repo: str | None) -> tuple[str, str]:
        """The named repository, or the configured default one."""
        with self._errors():
            return self.api.repository(owner, repo)

    async def call(self, method: Callable[P, Awaitable[T]], *args: P.args, **kwargs: P.kwargs) -> T:
        """`await method(*args, **kwargs)`, a GitHub failure becoming a tool error."""
        with self._errors():
            return await method(*args, **kwargs)

    async def in_repository(
        self,
        owner: str | None,
        repo: str | None,
        method: Callable[Concatenate[str, str, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """`await method(owner, repo, *args, **kwargs)` on the named or default repository."""
        owner, repo = self.repository(owner, repo)
        return await self.call(method, owner, repo, *args, **kwargs)
