"""The shared service client: errors in OpenAI's shape, retries that honour Retry-After."""

from collections.abc import Callable

import pytest
from fastapi import FastAPI
from starlette.types import ASGIApp

from voxhall.client import (
    ServiceClient,
    ServiceError,
    retry_after_from_headers,
    retry_after_seconds,
)
from voxhall.http import OpenAIError, install_error_handlers


def flaky_app(failures: int, status: int) -> FastAPI:
    app = FastAPI()
    install_error_handlers(app)
    calls = {"count": 0}

    @app.get("/thing")
    async def thing() -> dict[str, int]:
        calls["count"] += 1
        if calls["count"] <= failures:
            raise OpenAIError(status, "busy", code="overloaded", headers={"Retry-After": "0"})
        return {"calls": calls["count"]}

    return app


async def test_busy_answers_are_retried_until_success(serve: Callable[[ASGIApp], str]) -> None:
    async with ServiceClient(serve(flaky_app(failures=2, status=503))) as client:
        assert (await client._request("GET", "/thing")).json() == {"calls": 3}


async def test_client_errors_are_not_retried_and_keep_the_service_message(
    serve: Callable[[ASGIApp], str],
) -> None:
    async with ServiceClient(serve(flaky_app(failures=5, status=400))) as client:
        with pytest.raises(ServiceError) as raised:
            await client._request("GET", "/thing")
    assert (raised.value.status_code, raised.value.message, raised.value.code) == (
        400,
        "busy",
        "overloaded",
    )
    assert not raised.value.retryable


async def test_attempts_are_bounded(serve: Callable[[ASGIApp], str]) -> None:
    async with ServiceClient(serve(flaky_app(failures=9, status=429)), attempts=2) as client:
        with pytest.raises(ServiceError) as raised:
            await client._request("GET", "/thing")
    assert raised.value.status_code == 429
    assert raised.value.retry_after == 0.0


def test_retry_after_accepts_seconds_and_http_dates() -> None:
    assert retry_after_seconds("2") == 2.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0
    assert retry_after_seconds("soon") is None


def test_openai_millisecond_hint_wins_over_retry_after() -> None:
    headers = {"retry-after-ms": "250", "retry-after": "3"}
    assert retry_after_from_headers(headers) == 0.25
    assert retry_after_from_headers({"retry-after": "3"}) == 3.0
    assert retry_after_from_headers({}) is None
