"""The hosted backend: any OpenAI-compatible chat API (OpenAI, llama-server, vLLM, Ollama, or
another llm_service) through `openai.AsyncOpenAI` with the SDK's own retries off.

Every failure becomes a typed `BackendError`: HTTP errors keep their status, code and
Retry-After; a stream that is not JSON, not chunk-shaped, or ends without a finish reason is
`malformed` or `truncated`, never passed on as if it were a whole answer.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import openai
from pydantic import ValidationError

from llm_service.backends.base import BackendError, ErrorKind
from llm_service.schemas import ChatChunk, ChatCompletionRequest
from llm_service.settings import LlmSettings
from voxhall.client import retry_after_from_headers

CHARS_PER_TOKEN_ESTIMATE = 4
NO_KEY = "not-needed"


def hosted_configured(settings: LlmSettings) -> bool:
    """The hosted backend joins the chain only when it has a key or a base URL."""
    return bool(settings.hosted_api_key or settings.hosted_base_url)


def _status_error(error: openai.APIStatusError, secret: str) -> BackendError:
    body = error.body if isinstance(error.body, dict) else {}
    detail = body.get("error", body) if isinstance(body.get("error", body), dict) else {}
    message = str(detail.get("message") or error.message).replace(secret, "***")
    return BackendError(
        ErrorKind.STATUS,
        message,
        status=error.status_code,
        code=detail.get("code"),
        error_type=detail.get("type"),
        param=detail.get("param"),
        retry_after=retry_after_from_headers(error.response.headers),
    )


def backend_error(error: Exception, secret: str = NO_KEY) -> BackendError:
    """The typed failure for anything the SDK (or a bad upstream) raised; an upstream that
    echoes the API key in its message gets it masked."""
    if isinstance(error, BackendError):
        return error
    if isinstance(error, openai.APIStatusError):
        return _status_error(error, secret)
    if isinstance(error, openai.APITimeoutError):
        return BackendError(ErrorKind.TIMEOUT, "the hosted API timed out")
    if isinstance(error, openai.APIConnectionError):
        return BackendError(ErrorKind.CONNECTION, "could not reach the hosted API")
    if isinstance(error, openai.APIError):  # an error event inside the stream
        return BackendError(
            ErrorKind.STATUS, error.message, status=502, code=getattr(error, "code", None)
        )
    if isinstance(error, json.JSONDecodeError | ValidationError | KeyError | TypeError):
        return BackendError(ErrorKind.MALFORMED, "the hosted API sent a malformed chunk")
    raise error


class HostedBackend:
    """Chat completions from an OpenAI-compatible API, always streamed with usage."""

    def __init__(self, settings: LlmSettings, name: str = "hosted") -> None:
        self.name = name
        self.first_token_timeout_s = settings.first_token_timeout_s
        self._settings = settings
        self._client: openai.AsyncOpenAI | None = None

    async def start(self) -> None:
        settings = self._settings
        key = settings.hosted_api_key.get_secret_value() if settings.hosted_api_key else NO_KEY
        timeout = openai.Timeout(
            max(settings.first_token_timeout_s, settings.idle_timeout_s) + 1,
            connect=settings.hosted_connect_timeout_s,
        )
        self._client = openai.AsyncOpenAI(
            api_key=key,
            base_url=settings.hosted_base_url or None,
            max_retries=0,
            timeout=timeout,
        )

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.close()
            self._client = None

    async def fits(self, request: ChatCompletionRequest) -> bool:
        """An estimate (4 characters a token); the upstream's own 400 has the last word."""
        characters = sum(len(m.text()) for m in request.messages)
        return characters / CHARS_PER_TOKEN_ESTIMATE < self._settings.hosted_context_tokens

    def _arguments(self, request: ChatCompletionRequest) -> dict[str, Any]:
        body = request.upstream_body()
        messages = body.pop("messages")
        for key in ("model", "stream", "stream_options"):
            body.pop(key, None)
        return {
            "model": self._settings.hosted_model,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
            "extra_body": body,
        }

    async def stream(self, request: ChatCompletionRequest) -> AsyncIterator[ChatChunk]:
        client = self._client
        if client is None:
            raise BackendError(ErrorKind.CONNECTION, "the hosted client is not started")
        finished = False
        try:
            upstream = await client.chat.completions.create(**self._arguments(request))
            async with upstream:
                async for raw in upstream:
                    chunk = ChatChunk.model_validate(raw.model_dump(exclude_unset=True))
                    finished = finished or chunk.finish_reason() is not None
                    chunk.system_fingerprint = self.name
                    yield chunk
        except Exception as error:
            raise backend_error(error, client.api_key) from error
        if not finished:
            raise BackendError(ErrorKind.TRUNCATED, "the hosted stream ended without finishing")
