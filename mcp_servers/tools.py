"""Tool registration: an `MCPServer` and decorators that give each tool the right annotations.

`read()` marks a tool read-only (and idempotent); `write(destructive=..., idempotent=...)` marks
it non-read-only. Both are open-world unless `open_world=False`. With `read_only=True`
(`VOXHALL_<NAME>_READ_ONLY=1`) `write()` registers nothing. `speech=` publishes how the tool's
result is said aloud (`voxhall.spoken.SpokenSummary`) in the tool's `_meta`.
"""

from __future__ import annotations

import typing
from collections.abc import Callable
from typing import Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp_types import ToolAnnotations

from voxhall import __version__
from voxhall.spoken import SPEECH_META_KEY, SpokenSummary

F = TypeVar("F", bound=Callable[..., Any])


class ToolRegistry:
    """An `MCPServer` plus decorators that register tools with the right annotations."""

    def __init__(self, name: str, *, instructions: str, read_only: bool = False) -> None:
        self.server = MCPServer(name, instructions=instructions, version=__version__)
        self.read_only = read_only

    def read(
        self, *, title: str, open_world: bool = True, speech: SpokenSummary | None = None
    ) -> Callable[[F], F]:
        """Register a tool that changes nothing (offered in read-only mode too)."""
        annotations = ToolAnnotations(
            title=title,
            read_only_hint=True,
            destructive_hint=False,
            idempotent_hint=True,
            open_world_hint=open_world,
        )
        return self._register(annotations, speech)

    def write(
        self,
        *,
        title: str,
        destructive: bool,
        idempotent: bool = False,
        open_world: bool = True,
        speech: SpokenSummary | None = None,
    ) -> Callable[[F], F]:
        """Register a tool that changes something; in read-only mode it is left out."""
        annotations = ToolAnnotations(
            title=title,
            read_only_hint=False,
            destructive_hint=destructive,
            idempotent_hint=idempotent,
            open_world_hint=open_world,
        )
        if self.read_only:
            return lambda fn: fn
        return self._register(annotations, speech)

    def _register(
        self, annotations: ToolAnnotations, speech: SpokenSummary | None
    ) -> Callable[[F], F]:
        meta = {SPEECH_META_KEY: speech.model_dump(exclude_none=True)} if speech else None

        def decorator(fn: F) -> F:
            _check_annotations_resolve(fn)
            self.server.add_tool(
                fn,
                title=annotations.title,
                annotations=annotations,
                meta=meta,
                structured_output=True,
            )
            return fn

        return decorator


def _check_annotations_resolve(fn: Callable[..., Any]) -> None:
    """Fail at registration, not silently, when a tool's annotations name local objects.

    With `from __future__ import annotations` the SDK resolves hints in the module's globals; a
    `confirmation(...)` prompt or a model defined inside a function would then be skipped and
    its parameter would turn into an argument the model must fill.
    """
    try:
        typing.get_type_hints(fn, include_extras=True)
    except NameError as exc:
        raise TypeError(
            f"tool {fn.__name__!r}: its type hints must name module-level objects ({exc})"
        ) from exc
