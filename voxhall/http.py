"""Pieces every Voxhall HTTP service shares, so each app only adds its own routes.

- `OpenAIError` and `install_error_handlers`: every failure leaves as OpenAI's
  `{"error": {"message", "type", "param", "code"}}`, including validation errors (400, not
  FastAPI's 422), unknown routes and unexpected exceptions.
- `health_router`: `GET /health` (the process answers) and `GET /ready` (models loaded).
- `bearer_auth`: the optional shared token (`VOXHALL_API_KEY`); every 401 carries
  `WWW-Authenticate: Bearer` (RFC 6750), with `error="invalid_token"` when a token was wrong.
- `AdmissionGate`: bounded concurrency plus a bounded queue; past it, 503 with Retry-After.
- `BodySizeLimit`: 413 for bodies over the limit, by Content-Length or while streaming.
- `check_text`: 400 for text no model can read (a NUL character, an unpaired surrogate).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from opentelemetry import trace
from pydantic import SecretStr
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

_TYPE_BY_STATUS = {
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
}
BEARER_CHALLENGE = 'Bearer realm="voxhall"'


class OpenAIError(Exception):
    """An HTTP error that leaves the service in OpenAI's error shape."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        type: str | None = None,
        param: str | None = None,
        code: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.type = type or _default_type(status_code)
        self.param = param
        self.code = code
        self.headers = dict(headers or {})
        if status_code == 401 and not any(k.lower() == "www-authenticate" for k in self.headers):
            self.headers["WWW-Authenticate"] = BEARER_CHALLENGE

    def body(self) -> dict[str, Any]:
        return error_body(self.message, self.type, self.param, self.code)

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status_code, headers=self.headers)


def _default_type(status_code: int) -> str:
    if status_code >= 500:
        return "server_error"
    return _TYPE_BY_STATUS.get(status_code, "invalid_request_error")


def error_body(
    message: str, type: str, param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """OpenAI's error object."""
    return {"error": {"message": message, "type": type, "param": param, "code": code}}


def _validation_message(error: RequestValidationError) -> tuple[str, str | None]:
    first = error.errors()[0]
    if first.get("type") == "json_invalid":
        return f"Malformed JSON in the request body: {first.get('msg')}", None
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query")]
    param = ".".join(location) or None
    where = f" for '{param}'" if param else ""
    return f"Invalid value{where}: {first.get('msg')}", param


_UNREADABLE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def check_text(text: str, param: str, *, allow_nul: bool = False) -> None:
    """An OpenAIError 400 naming `param` when `text` holds an unpaired UTF-16 surrogate (JSON's
    `"\\ud800"` escape decodes to one) or, unless `allow_nul`, a NUL character: C libraries such
    as espeak-ng cannot take them, tokenizers fail on surrogates, and no text means them."""
    found = (_SURROGATE if allow_nul else _UNREADABLE).search(text)
    if found is None:
        return
    char, at = found.group(), found.start()
    what = "a NUL character" if char == "\x00" else "an unpaired surrogate"
    raise OpenAIError(
        400,
        f"'{param}' contains {what} (U+{ord(char):04X}) at position {at}; send plain Unicode "
        "text without it.",
        param=param,
        code="invalid_characters",
    )


def install_error_handlers(app: FastAPI) -> None:
    """Make every error response of `app` OpenAI-shaped."""

    @app.exception_handler(OpenAIError)
    async def _openai_error(_: Request, error: OpenAIError) -> JSONResponse:
        return error.response()

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_: Request, error: RequestValidationError) -> JSONResponse:
        message, param = _validation_message(error)
        return OpenAIError(400, message, param=param).response()

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, error: StarletteHTTPException) -> JSONResponse:
        if isinstance(error, BodyTooLargeError):
            return _too_large(error.max_bytes).response()
        return OpenAIError(error.status_code, str(error.detail), headers=error.headers).response()

    app.add_middleware(UnhandledErrorMiddleware)


class UnhandledErrorMiddleware:
    """Turns an unexpected exception into OpenAI's 500 body and keeps the connection usable.

    Starlette's own last-resort handler re-raises to the server, which then drops the
    keep-alive connection; here the error is logged and recorded on the request's span instead.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            logger.exception("unhandled error on %s %s", scope["method"], scope["path"])
            trace.get_current_span().record_exception(error)
            if started:
                raise
            body = OpenAIError(500, "The server had an error while processing the request.")
            await body.response()(scope, receive, send)


def health_router(is_ready: Callable[[], bool]) -> APIRouter:
    """`/health` answers while the process lives; `/ready` is 200 only once models are loaded."""
    router = APIRouter(tags=["health"])

    @router.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/ready")
    async def ready() -> JSONResponse:
        if is_ready():
            return JSONResponse({"status": "ready"})
        return JSONResponse({"status": "loading"}, status_code=503)

    return router


def bearer_auth(api_key: SecretStr | None) -> Callable[[Request], Awaitable[None]]:
    """A dependency that requires `Authorization: Bearer <api_key>` when a key is configured."""
    expected = api_key.get_secret_value().encode() if api_key else None

    async def check(request: Request) -> None:
        if expected is None:
            return
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(token.encode(), expected):
            challenge = BEARER_CHALLENGE + (', error="invalid_token"' if header else "")
            raise OpenAIError(
                401,
                "Missing or incorrect API key in the Authorization header.",
                code="invalid_api_key",
                headers={"WWW-Authenticate": challenge},
            )

    return check


class AdmissionGate:
    """At most `max_active` requests run and `max_queued` wait; the rest get 503 at once."""

    def __init__(self, max_active: int, max_queued: int, retry_after_s: int = 1) -> None:
        self._slots = asyncio.Semaphore(max_active)
        self._max_active = max_active
        self._max_queued = max_queued
        self._retry_after_s = retry_after_s
        self._admitted = 0

    @property
    def in_flight(self) -> int:
        """Requests running or waiting."""
        return self._admitted

    @asynccontextmanager
    async def admit(self) -> AsyncIterator[None]:
        if self._admitted >= self._max_active + self._max_queued:
            raise OpenAIError(
                503,
                "The service is busy; retry after the time in the Retry-After header.",
                code="overloaded",
                headers={"Retry-After": str(self._retry_after_s)},
            )
        self._admitted += 1
        try:
            async with self._slots:
                yield
        finally:
            self._admitted -= 1


def _too_large(max_bytes: int) -> OpenAIError:
    return OpenAIError(
        413,
        f"The request body is larger than the {max_bytes / 1_000_000:g} MB limit.",
        code="request_too_large",
    )


class BodyTooLargeError(StarletteHTTPException):
    """Raised from `receive` once a body passes the limit; FastAPI lets HTTP errors through."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, _too_large(max_bytes).message)
        self.max_bytes = max_bytes


class BodySizeLimit:
    """Answers 413 for bodies over `max_bytes`: at once by Content-Length, or while streaming."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.max_bytes:
            await _too_large(self.max_bytes).response()(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise BodyTooLargeError(self.max_bytes)
            return message

        await self.app(scope, limited_receive, send)
