"""How tools fail: missing settings and API errors as `ToolError`s, secrets masked.

- Missing credentials: build clients lazily inside tools and call
  `require(value, environment_variable(Section, "field"))`; the server still starts and lists
  its tools and each call returns a tool error naming the missing setting.
- API errors: `with api_errors(SomeApiError, describe=fn, secrets=[...])` turns them into
  `ToolError` carrying the API's message with every secret value masked
  (`voxhall.redact.redact_secrets`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from mcp.server.mcpserver.exceptions import ToolError
from pydantic import SecretStr

from voxhall.redact import redact_secrets

__all__ = ["ToolError", "api_errors", "require"]

T = TypeVar("T")


def require(value: T | None, setting: str, hint: str = "") -> T:
    """The value, or a `ToolError` naming the missing setting (the server keeps running)."""
    if value is None or value == "":
        detail = f" ({hint})" if hint else ""
        raise ToolError(f"Missing setting {setting}{detail}: set it and restart the server.")
    return value


@contextmanager
def api_errors(
    *errors: type[BaseException],
    describe: Callable[[Any], str] = str,
    secrets: Iterable[SecretStr | str | None] = (),
) -> Iterator[None]:
    """Turn the given API exceptions into `ToolError`s with the API's message, secrets masked.

    `describe(exc)` extracts the API's own message (default `str(exc)`); anything else propagates
    unchanged (and reaches the model only as the SDK's generic crash message).
    """
    secrets = list(secrets)
    try:
        yield
    except ToolError as exc:
        raise ToolError(redact_secrets(str(exc), secrets)) from None
    except errors as exc:
        raise ToolError(redact_secrets(describe(exc), secrets)) from None
