"""Many streams at once on the single local model: fair queueing, unmixed answers, cancellation."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import httpx
import openai
import pytest

from llm_service.backends.local import LocalModel
from tests.llm_service.support import Serve, serve_gateway

CONCURRENT = 16
FRUITS = [
    "apple",
    "banana",
    "cherry",
    "damson",
    "elderberry",
    "fig",
    "grape",
    "honeydew",
    "kiwi",
    "lemon",
    "mango",
    "nectarine",
    "orange",
    "papaya",
    "quince",
    "raspberry",
]
LONG_STORY = [{"role": "user", "content": "Write a very long story about a dragon."}]
LONG_LIST = {
    "type": "json_schema",
    "json_schema": {
        "name": "words",
        "schema": {"type": "array", "items": {"type": "string"}, "minItems": 300},
    },
}


def labelled_schema(number: int) -> dict[str, Any]:
    """A schema with exactly one valid answer, so every stream's content is known."""
    return {
        "type": "object",
        "properties": {"request": {"const": number}, "fruit": {"enum": [FRUITS[number]]}},
        "required": ["request", "fruit"],
    }


async def labelled_stream(client: openai.AsyncOpenAI, number: int) -> tuple[set[str], str]:
    stream = await client.chat.completions.create(
        model="local",
        messages=[{"role": "user", "content": f"Request {number}: name a fruit in JSON."}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "label", "schema": labelled_schema(number)},
        },
        max_tokens=32,
        stream=True,
    )
    ids, text = set(), []
    async for chunk in stream:
        ids.add(chunk.id)
        text.extend(choice.delta.content or "" for choice in chunk.choices)
    return ids, "".join(text)


async def test_sixteen_concurrent_streams_complete_unmixed(
    serve: Serve, local_model: LocalModel
) -> None:
    # the last stream waits for fifteen others: no first-token deadline on a busy machine
    base_url = serve_gateway(serve, local_model, local_first_token_timeout_s=600)
    client = openai.AsyncOpenAI(base_url=f"{base_url}/v1", api_key="unused", max_retries=0)
    results = await asyncio.wait_for(
        asyncio.gather(*(labelled_stream(client, n) for n in range(CONCURRENT))), timeout=240
    )
    stream_ids = set()
    for number, (ids, text) in enumerate(results):
        assert len(ids) == 1, "a stream mixed chunks of several completions"
        stream_ids |= ids
        assert json.loads(text) == {"request": number, "fruit": FRUITS[number]}
    assert len(stream_ids) == CONCURRENT


def test_full_queue_answers_503(serve: Serve, local_model: LocalModel) -> None:
    base_url = serve_gateway(serve, local_model, local_max_queue=0)
    body = {
        "model": "local",
        "messages": LONG_STORY,
        "response_format": LONG_LIST,
        "max_tokens": 2000,
        "stream": True,
    }
    with httpx.stream("POST", f"{base_url}/v1/chat/completions", json=body, timeout=60) as busy:
        assert busy.status_code == 200
        lines = busy.iter_lines()  # keep a reference: a dropped iterator closes the stream
        next(lines)
        response = httpx.post(
            f"{base_url}/v1/chat/completions",
            json={**body, "stream": False, "max_tokens": 4},
            timeout=60,
        )
    assert response.status_code == 503
    assert "queue is full" in response.json()["error"]["message"]
    assert "Retry-After" in response.headers


def test_client_disconnect_stops_generation(serve: Serve, local_model: LocalModel) -> None:
    base_url = serve_gateway(serve, local_model)
    body = {
        "model": "local",
        "messages": LONG_STORY,
        "max_tokens": 2000,
        "stream": True,
        "temperature": 0,
    }
    with httpx.stream("POST", f"{base_url}/v1/chat/completions", json=body, timeout=60) as long:
        assert long.status_code == 200
        lines = long.iter_lines()
        next(lines)
        next(lines)
    started = time.monotonic()
    short = {"model": "local", "messages": LONG_STORY, "max_tokens": 4}
    response = httpx.post(f"{base_url}/v1/chat/completions", json=short, timeout=60)
    assert response.status_code == 200
    # the abandoned list of 300 or more strings would hold the model for 15 s or more
    assert time.monotonic() - started < 8.0


@pytest.mark.parametrize("stream", [True, False])
def test_answers_are_repeatable_with_a_seed(
    serve: Serve, local_model: LocalModel, stream: bool
) -> None:
    base_url = serve_gateway(serve, local_model)
    client = openai.OpenAI(base_url=f"{base_url}/v1", api_key="unused")
    request = {
        "model": "local",
        "messages": LONG_STORY,
        "max_tokens": 12,
        "seed": 11,
        "temperature": 0.8,
    }

    def answer() -> str:
        if not stream:
            return client.chat.completions.create(**request).choices[0].message.content or ""
        chunks = client.chat.completions.create(**request, stream=True)
        return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)

    assert answer() == answer()
