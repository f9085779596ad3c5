"""The async HTTP client every Voxhall service client builds on.

`ServiceClient` owns one instrumented `httpx.AsyncClient` (W3C trace context on every call),
the optional bearer token, and the retry policy: connection failures, 429 and 503 are retried
with tenacity (jittered exponential backoff, or what `Retry-After` asks, capped) until the
response starts; once a streamed body flows nothing is retried. Error responses in OpenAI's
shape become `ServiceError` with the service's message, code and parameter.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any, Self

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from voxhall.telemetry import instrument_client

logger = logging.getLogger(__name__)

RETRYABLE_STATUSES = frozenset({429, 503})
RETRYABLE_TRANSPORT_ERRORS = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.RemoteProtocolError,
)


class ServiceError(Exception):
    """A service answered with an error; `retry_after` is its hint in seconds, if any."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{status_code}: {message}")
        self.status_code = status_code
        self.message = message
        self.code = code
        self.param = param
        self.retry_after = retry_after

    @property
    def retryable(self) -> bool:
        """Busy or rate limited: the same request may succeed later."""
        return self.status_code in RETRYABLE_STATUSES


def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (ValueError, TypeError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def retry_after_from_headers(headers: Mapping[str, str]) -> float | None:
    """Seconds a response asks to wait: OpenAI's `retry-after-ms`, else `Retry-After`."""
    if (millis := headers.get("retry-after-ms")) is not None:
        with contextlib.suppress(ValueError):
            return max(0.0, float(millis) / 1000)
    return retry_after_seconds(headers.get("retry-after"))


def error_from_response(response: httpx.Response) -> ServiceError:
    """The `ServiceError` a read error response carries (OpenAI's shape, or its text)."""
    try:
        error = response.json()["error"]
        message, code, param = str(error["message"]), error.get("code"), error.get("param")
    except (ValueError, KeyError, TypeError):
        message, code, param = response.text or response.reason_phrase, None, None
    return ServiceError(
        response.status_code,
        message,
        code=code,
        param=param,
        retry_after=retry_after_from_headers(response.headers),
    )


def _retryable(error: BaseException) -> bool:
    if isinstance(error, ServiceError):
        return error.retryable
    return isinstance(error, RETRYABLE_TRANSPORT_ERRORS)


class _RetryAfterWait:
    """Waits what `Retry-After` says (capped), else exponential backoff with jitter."""

    def __init__(self, max_wait_s: float) -> None:
        self._max_wait_s = max_wait_s
        self._backoff = wait_exponential_jitter(multiplier=0.2, max=max_wait_s)

    def __call__(self, retry_state: RetryCallState) -> float:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        if isinstance(error, ServiceError) and error.retry_after is not None:
            return min(error.retry_after, self._max_wait_s)
        return self._backoff(retry_state)


class ServiceClient:
    """Base for `SttClient`, `TtsClient` and `LlmClient`; use them as async context managers."""

    service_name = "service"

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        timeout: float = 60.0,
        *,
        attempts: int = 5,
        max_wait_s: float = 10.0,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._http = httpx.AsyncClient(
            base_url=base_url.rstrip("/"), headers=headers, timeout=timeout
        )
        instrument_client(self._http)
        self._retrying = AsyncRetrying(
            stop=stop_after_attempt(attempts),
            wait=_RetryAfterWait(max_wait_s),
            retry=retry_if_exception(_retryable),
            before_sleep=self._log_retry,
            reraise=True,
        )

    def _log_retry(self, retry_state: RetryCallState) -> None:
        error = retry_state.outcome.exception() if retry_state.outcome else None
        wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
        logger.warning(
            "%s request attempt %d failed (%s); retrying in %.2f s",
            self.service_name,
            retry_state.attempt_number,
            error,
            wait,
        )

    async def _open(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A streaming response with a success status, retried until it starts; close it."""
        async for attempt in self._retrying.copy():
            with attempt:
                request = self._http.build_request(method, path, **kwargs)
                response = await self._http.send(request, stream=True)
                if response.is_error:
                    await response.aread()
                    await response.aclose()
                    raise error_from_response(response)
                return response
        raise AssertionError("tenacity stops by raising")  # pragma: no cover

    async def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A whole response with a success status, retried like `_open`."""
        response = await self._open(method, path, **kwargs)
        try:
            await response.aread()
        finally:
            await response.aclose()
        return response

    async def ready(self) -> bool:
        """Whether the service answers and its models are loaded (never raises, never retries)."""
        try:
            response = await self._http.get("/ready")
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()
