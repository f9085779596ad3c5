"""What every chat backend offers the fallback chains, and the typed failures it may raise.

A backend streams `ChatChunk`s for a request; the fallback chains decide about retries, fallback and
deadlines from a `BackendError`'s `kind`, `status` and `retry_after`, never from strings.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Protocol

from llm_service.schemas import ChatChunk, ChatCompletionRequest

RETRYABLE_STATUSES = frozenset({408, 409, 429})
TRIP_AT_ONCE_STATUSES = frozenset({401, 403, 404})


class ErrorKind(StrEnum):
    """Why a backend failed; metrics count errors by these names."""

    STATUS = "status"  # the backend answered with an HTTP error
    CONNECTION = "connection"  # it could not be reached
    TIMEOUT = "timeout"  # no first token, or no next chunk, in time
    MALFORMED = "malformed"  # it sent something that is not an OpenAI chunk
    TRUNCATED = "truncated"  # the stream ended without a finish reason
    OVERLOADED = "overloaded"  # its own queue is full
    CONTEXT_LENGTH = "context_length"  # the prompt does not fit its context


class BackendError(Exception):
    """A backend's failure, typed so the fallback chains can act on it."""

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        error_type: str | None = None,
        param: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.code = code
        self.error_type = error_type
        self.param = param
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        """Worth another try on the same backend: it answered, and said "later"."""
        status = self.status or 0
        return self.kind is ErrorKind.STATUS and (status in RETRYABLE_STATUSES or status >= 500)

    @property
    def falls_through(self) -> bool:
        """Whether the next backend in the chain should get the request."""
        if self.kind is not ErrorKind.STATUS:
            return self.kind is not ErrorKind.CONTEXT_LENGTH
        return self.retryable or (self.status or 0) in TRIP_AT_ONCE_STATUSES

    @property
    def trips_at_once(self) -> bool:
        """Credentials or endpoint are wrong: no use trying again until the cooldown ends."""
        return self.kind is ErrorKind.STATUS and (self.status or 0) in TRIP_AT_ONCE_STATUSES

    def summary(self) -> str:
        """A short line for `/v1/backends` and error messages (no secrets reach it)."""
        status = f" {self.status}" if self.status else ""
        return f"{self.kind}{status}: {self.message}"[:300]


class ChatBackend(Protocol):
    """A place that can answer chat completions."""

    name: str
    first_token_timeout_s: float

    async def start(self) -> None:
        """Load models or open clients; called once before the first request."""

    async def aclose(self) -> None:
        """Release what `start` acquired."""

    async def fits(self, request: ChatCompletionRequest) -> bool:
        """Whether the request's prompt fits this backend's context window."""

    def stream(self, request: ChatCompletionRequest) -> AsyncIterator[ChatChunk]:
        """The answer as OpenAI chunks, the last one carrying usage when known.

        Raises `BackendError` for every failure, before or during the stream.
        """
