"""The model names the service answers to: its own model id plus OpenAI's transcription names.

Existing OpenAI scripts send `whisper-1` or `gpt-4o-transcribe`; those map to the configured
model, so the scripts work unchanged.
"""

from __future__ import annotations

import time
from typing import Any

from voxhall.http import OpenAIError

OPENAI_ALIASES = ("whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe")


def served_names(model_id: str) -> list[str]:
    """Every name a request may use, the configured model first."""
    return list(dict.fromkeys((model_id, *OPENAI_ALIASES)))


def resolve_model(requested: str | None, model_id: str) -> str:
    """The configured model for a request's `model`; 404 in OpenAI's shape for other names."""
    if not requested or requested in served_names(model_id):
        return model_id
    available = ", ".join(served_names(model_id))
    raise OpenAIError(
        404,
        f"The model '{requested}' does not exist; this service offers: {available}.",
        param="model",
        code="model_not_found",
    )


def model_list(model_id: str, created: int | None = None) -> dict[str, Any]:
    """`GET /v1/models` in OpenAI's list shape."""
    created = int(time.time()) if created is None else created
    return {
        "object": "list",
        "data": [
            {"id": name, "object": "model", "created": created, "owned_by": "voxhall"}
            for name in served_names(model_id)
        ],
    }
