"""What a client may ask of one agent turn, under the request's `voxhall` key.

`{"voxhall": {"backend": "local", "tools": false}}` runs the turn on the local model's chain
and offers the model no tools (the bot does that when a person has used up their tool calls
for now). Without the key the turn runs on `voxhall-default` with every tool that is up.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from llm_service.schemas import VOXHALL_EXTRA_KEY, ChatCompletionRequest
from voxhall.http import OpenAIError


class TurnOptions(BaseModel):
    """The turn's backend chain (an alias) and whether tools are offered."""

    model_config = ConfigDict(extra="forbid")

    backend: Literal["voxhall-default", "hosted", "local"] | None = None
    tools: bool = True

    @classmethod
    def of(cls, request: ChatCompletionRequest) -> TurnOptions:
        """The options in `request`; a 400 in OpenAI's shape when they are malformed."""
        raw = (request.model_extra or {}).get(VOXHALL_EXTRA_KEY) or {}
        try:
            return cls.model_validate(raw)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise OpenAIError(
                400,
                f"voxhall.{where}: {first['msg']}" if where else f"voxhall: {first['msg']}",
                param=VOXHALL_EXTRA_KEY,
            ) from None
