"""Shared service pieces: OpenAI-shaped errors, health, bearer auth, backpressure, body limit."""

import asyncio
from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI
from pydantic import BaseModel, SecretStr
from starlette.types import ASGIApp

from voxhall.http import (
    AdmissionGate,
    BodySizeLimit,
    OpenAIError,
    bearer_auth,
    health_router,
    install_error_handlers,
)


class Echo(BaseModel):
    text: str
    count: int = 1


def build_app(*, ready: bool = True, api_key: str | None = None) -> FastAPI:
    from fastapi import Depends

    app = FastAPI()
    install_error_handlers(app)
    app.add_middleware(BodySizeLimit, max_bytes=1_000)
    app.include_router(health_router(lambda: ready))
    auth = bearer_auth(SecretStr(api_key) if api_key else None)

    @app.post("/echo", dependencies=[Depends(auth)])
    async def echo(body: Echo) -> Echo:
        return body

    @app.get("/teapot")
    async def teapot() -> None:
        raise OpenAIError(418, "I am a teapot", param="kettle", code="teapot")

    @app.get("/crash")
    async def crash() -> None:
        raise RuntimeError("secret internals")

    return app


def assert_openai_error(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["message"]
    return error


@pytest.fixture
def client(serve: Callable[[ASGIApp], str]) -> httpx.Client:
    with httpx.Client(base_url=serve(build_app())) as http:
        yield http


def test_validation_errors_are_400_and_name_the_parameter(client: httpx.Client) -> None:
    error = assert_openai_error(client.post("/echo", json={"count": "many"}), 400)
    assert error["type"] == "invalid_request_error"
    assert error["param"] in {"text", "count"}


def test_malformed_json_is_400(client: httpx.Client) -> None:
    response = client.post(
        "/echo", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert "Malformed JSON" in assert_openai_error(response, 400)["message"]


def test_unknown_route_is_404_and_raised_errors_keep_their_fields(client: httpx.Client) -> None:
    assert assert_openai_error(client.get("/nowhere"), 404)["type"] == "not_found_error"
    error = assert_openai_error(client.get("/teapot"), 418)
    assert (error["param"], error["code"]) == ("kettle", "teapot")


def test_unexpected_exceptions_are_500_without_internals(serve: Callable[[ASGIApp], str]) -> None:
    with httpx.Client(base_url=serve(build_app())) as http:
        error = assert_openai_error(http.get("/crash"), 500)
        assert "secret internals" not in error["message"]
        assert http.get("/health").json() == {"status": "ok"}


def test_oversized_bodies_are_413_by_length_and_while_streaming(client: httpx.Client) -> None:
    big = {"text": "x" * 5_000}
    assert assert_openai_error(client.post("/echo", json=big), 413)["code"] == "request_too_large"

    def chunked():
        yield b'{"text": "'
        yield b"x" * 5_000
        yield b'"}'

    streamed = client.post("/echo", content=chunked(), headers={"content-type": "application/json"})
    assert_openai_error(streamed, 413)
    assert client.post("/echo", json={"text": "fine"}).json() == {"text": "fine", "count": 1}


def test_ready_reflects_model_state(serve: Callable[[ASGIApp], str]) -> None:
    loading = serve(build_app(ready=False))
    assert httpx.get(f"{loading}/ready").status_code == 503
    assert httpx.get(f"{loading}/health").status_code == 200


def test_bearer_token_is_required_when_configured(serve: Callable[[ASGIApp], str]) -> None:
    url = serve(build_app(api_key="s3cret"))
    assert assert_openai_error(httpx.post(f"{url}/echo", json={"text": "a"}), 401)["code"] == (
        "invalid_api_key"
    )
    wrong = httpx.post(f"{url}/echo", json={"text": "a"}, headers={"Authorization": "Bearer no"})
    assert "s3cret" not in wrong.text
    ok = httpx.post(f"{url}/echo", json={"text": "a"}, headers={"Authorization": "Bearer s3cret"})
    assert ok.status_code == 200
    assert httpx.get(f"{url}/health").status_code == 200


async def test_admission_gate_queues_then_refuses_with_retry_after() -> None:
    gate = AdmissionGate(max_active=1, max_queued=1, retry_after_s=2)
    release = asyncio.Event()
    order: list[str] = []

    async def job(name: str) -> None:
        async with gate.admit():
            order.append(name)
            await release.wait()

    first = asyncio.create_task(job("first"))
    second = asyncio.create_task(job("second"))
    await asyncio.sleep(0.01)
    assert gate.in_flight == 2
    with pytest.raises(OpenAIError) as refused:
        async with gate.admit():
            pass
    assert refused.value.status_code == 503
    assert refused.value.headers == {"Retry-After": "2"}
    release.set()
    await asyncio.gather(first, second)
    assert order == ["first", "second"]
    assert gate.in_flight == 0
