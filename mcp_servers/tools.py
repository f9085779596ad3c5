"""Tool registration: an `MCPServer` and decorators that give each tool the right annotations.

`read()` marks a tool read-only (and idempotent); `write(destructive=..., idempotent=...)` marks
it non-read-only. Both are open-world unless `open_world=False`. With `read_only=True`
(`VOXHALL_<NAME>_READ_ONLY=1`) `write()` registers nothing. `speech=` publishes how the tool's
result is said aloud (`voxhall.spoken.SpokenSummary`) and `examples=` a few requests people
make for it (the agent's local router learns from them) and `slot_cues=` the phrases after
which a request says an argument's value, all in the tool's `_meta`.

Every tool's arguments are checked the same way (`VoxhallServer.call_tool`): an argument the
tool does not take is an error naming it (the input schema says `additionalProperties: false`),
and invalid ones are answered with short sentences naming each argument
(`mcp_servers.arguments.argument_errors`), not pydantic's text with its documentation links.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolResult, InputRequiredResult, ToolAnnotations
from pydantic import ValidationError

from mcp_servers.arguments import argument_errors, unknown_arguments
from voxhall import __version__
from voxhall.spoken import SpokenSummary
from voxhall.tool_meta import EXAMPLES_META_KEY, SLOT_CUES_META_KEY, SPEECH_META_KEY

F = TypeVar("F", bound=Callable[..., Any])


class VoxhallServer(MCPServer):
    """An `MCPServer` whose tool calls reject unknown arguments and explain invalid ones in
    plain sentences; the tool runs only with arguments that fit its input schema."""

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> CallToolResult | InputRequiredResult:
        tool = self._tool_manager.get_tool(name)
        if tool is not None:
            accepted = _argument_names(tool)
            extra = set(arguments) - accepted
            if extra:
                raise ToolError(
                    f"Error executing tool {name}: {unknown_arguments(extra, accepted)}"
                )
        try:
            return await super().call_tool(name, arguments, context)
        except ToolError as error:
            cause = error.__cause__
            if isinstance(error, UnexpectedToolError) or not isinstance(cause, ValidationError):
                raise
            # the SDK's own argument check: its text is pydantic's, with documentation links
            raise ToolError(f"Error executing tool {name}: {argument_errors(cause)}") from cause


def _argument_names(tool: Tool) -> set[str]:
    """The names a tool's arguments go by on the wire (aliases where the SDK set one)."""
    fields = tool.fn_metadata.arg_model.model_fields
    return {field.alias or field_name for field_name, field in fields.items()}


class ToolRegistry:
    """An `MCPServer` plus decorators that register tools with the right annotations."""

    def __init__(self, name: str, *, instructions: str, read_only: bool = False) -> None:
        self.server = VoxhallServer(name, instructions=instructions, version=__version__)
        self.read_only = read_only

    def read(
        self,
        *,
        title: str,
        open_world: bool = True,
        speech: SpokenSummary | None = None,
        examples: Sequence[str] = (),
        slot_cues: Mapping[str, Sequence[str]] | None = None,
        argument_examples: Sequence[Mapping[str, Any]] = (),
    ) -> Callable[[F], F]:
        """Register a tool that changes nothing (offered in read-only mode too); see
        `_register` for `argument_examples`."""
        annotations = ToolAnnotations(
            title=title,
            read_only_hint=True,
            destructive_hint=False,
            idempotent_hint=True,
            open_world_hint=open_world,
        )
        return self._register(annotations, _meta(speech, examples, slot_cues), argument_examples)

    def write(
        self,
        *,
        title: str,
        destructive: bool,
        idempotent: bool = False,
        open_world: bool = True,
        speech: SpokenSummary | None = None,
        examples: Sequence[str] = (),
        slot_cues: Mapping[str, Sequence[str]] | None = None,
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
        return self._register(annotations, _meta(speech, examples, slot_cues))

    def _register(
        self,
        annotations: ToolAnnotations,
        meta: dict[str, Any] | None,
        argument_examples: Sequence[Mapping[str, Any]] = (),
    ) -> Callable[[F], F]:
        """Add the tool; its input schema refuses arguments it does not take and lists
        `argument_examples`, whole sets of arguments that go together (JSON Schema `examples`:
        which namespace a metric is in), for callers to read values off."""

        def decorator(fn: F) -> F:
            _check_annotations_resolve(fn)
            self.server.add_tool(
                fn,
                title=annotations.title,
                annotations=annotations,
                meta=meta,
                structured_output=True,
            )
            tool = self.server._tool_manager.get_tool(fn.__name__)
            if tool is not None:
                tool.parameters["additionalProperties"] = False
                if argument_examples:
                    tool.parameters["examples"] = [dict(example) for example in argument_examples]
            return fn

        return decorator


def _meta(
    speech: SpokenSummary | None,
    examples: Sequence[str],
    slot_cues: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any] | None:
    """The tool's `_meta`: how its result is said, the requests it answers and the cues of its
    arguments' values, when given."""
    meta: dict[str, Any] = {}
    if speech is not None:
        meta[SPEECH_META_KEY] = speech.model_dump(exclude_none=True)
    if examples:
        meta[EXAMPLES_META_KEY] = list(examples)
    if slot_cues:
        meta[SLOT_CUES_META_KEY] = {name: list(cues) for name, cues in slot_cues.items()}
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
