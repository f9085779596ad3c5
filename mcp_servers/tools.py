"""Tool registration: an `MCPServer` and decorators that give each tool the right annotations.

`read()` marks a tool read-only (and idempotent); `write(destructive=..., idempotent=...)` marks
it non-read-only. Both are open-world unless `open_world=False`. With `read_only=True`
(`VOXHALL_<NAME>_READ_ONLY=1`) `write()` registers nothing. `speech=` publishes how the tool's
result is said aloud (`voxhall.spoken.SpokenSummary`) and `examples=` a few requests people
make for it (the agent's local router learns from them), both in the tool's `_meta`.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp_types import ToolAnnotations

from voxhall import __version__
from voxhall.spoken import SpokenSummary
from voxhall.tool_meta import EXAMPLES_META_KEY, SPEECH_META_KEY

F = TypeVar("F", bound=Callable[..., Any])


class ToolRegistry:
    """An `MCPServer` plus decorators that register tools with the right annotations."""

    def __init__(self, name: str, *, instructions: str, read_only: bool = False) -> None:
        self.server = MCPServer(name, instructions=instructions, version=__version__)
        self.read_only = read_only

    def read(
        self,
        *,
        title: str,
        open_world: bool = True,
        speech: SpokenSummary | None = None,
        examples: Sequence[str] = (),
    ) -> Callable[[F], F]:
        """Register a tool that changes nothing (offered in read-only mode too)."""
        annotations = ToolAnnotations(
            title=title,
            read_only_hint=True,
            destructive_hint=False,
            idempotent_hint=True,
            open_world_hint=open_world,
        )
        return self._register(annotations, _meta(speech, examples))

    def write(
        self,
        *,
        title: str,
        destructive: bool,
        idempotent: bool = False,
        open_world: bool = True,
        speech: SpokenSummary | None = None,
        examples: Sequence[str] = (),
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
        return self._register(annotations, _meta(speech, examples))

    def _register(
        self, annotations: ToolAnnotations, meta: dict[str, Any] | None
    ) -> Callable[[F], F]:
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


def _meta(speech: SpokenSummary | None, examples: Sequence[str]) -> dict[str, Any] | None:
    """The tool's `_meta`: how its result is said and the requests it answers, when given."""
    meta: dict[str, Any] = {}
    if speech is not None:
        meta[SPEECH_META_KEY] = speech.model_dump(exclude_none=True)
    if examples:
        meta[EXAMPLES_META_KEY] = list(examples)
    return meta or None


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
