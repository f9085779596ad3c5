"""The official `openai` client, streamed and not, against the real local backend on loopback."""

from __future__ import annotations

import json

import httpx
import jsonschema
import openai
import pytest

from llm_service.backends.local import LocalModel
from llm_service.client import LlmClient
from tests.llm_service.fault_peer import PEER_WORDS, FaultPeer
from tests.llm_service.support import WEATHER_TOOL, Serve, serve_gateway

QUESTION = [{"role": "user", "content": "What is the capital of France?"}]
FORCE_WEATHER = {"type": "function", "function": {"name": "get_weather"}}
WEATHER_QUESTION = [{"role": "user", "content": "What will the weather be in Paris for 3 days?"}]
PERSON_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}


@pytest.fixture
def base_url(serve: Serve, local_model: LocalModel) -> str:
    return serve_gateway(serve, local_model)


@pytest.fixture
def client(base_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base_url}/v1", api_key="unused", max_retries=0)


def test_plain_chat(client: openai.OpenAI) -> None:
    raw = client.chat.completions.with_raw_response.create(
        model="local", messages=QUESTION, max_tokens=16, seed=7
    )
    assert raw.headers["x-voxhall-backend"] == "local"
    completion = raw.parse()
    assert completion.object == "chat.completion"
    assert completion.system_fingerprint == "local"
    choice = completion.choices[0]
    assert choice.message.role == "assistant"
    assert choice.message.content.strip()
    assert choice.finish_reason in {"stop", "length"}
    assert 1 <= completion.usage.completion_tokens <= 16
    assert completion.usage.prompt_tokens > 5


def test_streamed_chat_with_usage_chunk(client: openai.OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(
            model="local",
            messages=QUESTION,
            max_tokens=12,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    assert chunks[0].choices[0].delta.role == "assistant"
    assert len({chunk.id for chunk in chunks}) == 1
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text.strip()
    finishing = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishing[-1] in {"stop", "length"}
    usage_chunk = chunks[-1]
    assert usage_chunk.choices == []
    assert 1 <= usage_chunk.usage.completion_tokens <= 12
    assert all(c.usage is None for c in chunks[:-1])


def test_stream_without_usage_request_has_no_usage_chunk(client: openai.OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(model="local", messages=QUESTION, max_tokens=4, stream=True)
    )
    assert all(chunk.choices for chunk in chunks)


def test_forced_tool_call_validates_against_the_schema(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="local",
        messages=WEATHER_QUESTION,
        tools=[WEATHER_TOOL],
        tool_choice=FORCE_WEATHER,
        max_tokens=64,
    )
    choice = completion.choices[0]
    assert choice.finish_reason == "tool_calls"
    (call,) = choice.message.tool_calls
    assert call.id.startswith("call_")
    assert call.function.name == "get_weather"
    arguments = json.loads(call.function.arguments)
    jsonschema.validate(arguments, WEATHER_TOOL["function"]["parameters"])


def test_streamed_tool_call_arrives_as_indexed_fragments(client: openai.OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(
            model="local",
            messages=WEATHER_QUESTION,
            tools=[WEATHER_TOOL],
            tool_choice=FORCE_WEATHER,
            max_tokens=64,
            stream=True,
        )
    )
    deltas = [call for c in chunks for call in c.choices[0].delta.tool_calls or []]
    assert deltas[0].id and deltas[0].function.name == "get_weather"
    assert all(delta.index == 0 for delta in deltas)
    assert len(deltas) > 2
    arguments = "".join(delta.function.arguments or "" for delta in deltas)
    jsonschema.validate(json.loads(arguments), WEATHER_TOOL["function"]["parameters"])
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


def test_auto_tool_choice_answers_plain_questions_in_text(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="local",
        messages=QUESTION,
        tools=[WEATHER_TOOL],
        tool_choice="auto",
        max_tokens=12,
    )
    message = completion.choices[0].message
    assert message.tool_calls is None
    assert message.content.strip()


def test_auto_tool_choice_calls_the_tool_the_question_names(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="local",
        messages=WEATHER_QUESTION,
        tools=[WEATHER_TOOL],
        max_tokens=64,
    )
    (call,) = completion.choices[0].message.tool_calls
    jsonschema.validate(json.loads(call.function.arguments), WEATHER_TOOL["function"]["parameters"])


def test_tool_result_gets_a_text_answer(client: openai.OpenAI) -> None:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
    }
    messages = [
        *WEATHER_QUESTION,
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 21 degrees."},
    ]
    completion = client.chat.completions.create(
        model="local",
        messages=messages,
        tools=[WEATHER_TOOL],
        max_tokens=12,
    )
    assert completion.choices[0].message.tool_calls is None
    assert completion.choices[0].message.content.strip()


def test_json_object_output_parses(client: openai.OpenAI) -> None:
    completion = client.chat.completions.create(
        model="local",
        messages=[{"role": "user", "content": "Reply in JSON with the name and age of a person."}],
        response_format={"type": "json_object"},
        max_tokens=96,
    )
    assert isinstance(json.loads(completion.choices[0].message.content), dict)


def test_json_schema_output_validates(client: openai.OpenAI) -> None:
    stream = client.chat.completions.create(
        model="local",
        messages=[{"role": "user", "content": "Invent a person. Answer in JSON."}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "person", "schema": PERSON_SCHEMA},
        },
        max_tokens=64,
        stream=True,
    )
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    jsonschema.validate(json.loads(text), PERSON_SCHEMA)


def test_models_backends_and_readiness(base_url: str) -> None:
    models = httpx.get(f"{base_url}/v1/models").json()
    assert [m["id"] for m in models["data"]] == ["voxhall-default", "local", "voxhall-agent"]
    (local,) = httpx.get(f"{base_url}/v1/backends").json()["data"]
    assert local["name"] == "local"
    assert local["state"] == "closed"
    assert httpx.get(f"{base_url}/ready").status_code == 200
    assert httpx.get(f"{base_url}/health").json() == {"status": "ok"}


async def test_client_streams_from_the_service(base_url: str) -> None:
    async with LlmClient(base_url, model="local") as llm:
        chunks = [c async for c in llm.stream_chat(QUESTION, max_tokens=8)]
        completion = await llm.chat(QUESTION, max_tokens=8)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices).strip()
    assert completion.choices[0].message.content
    assert llm.last_backend == "local"


async def test_client_passes_the_voxhall_key_through_untouched(serve: Serve) -> None:
    extra = {"thread_id": "t-42", "event": {"kind": "tool_started", "tool": "github"}}
    peer = FaultPeer(extra_chunk_fields={"voxhall": extra})
    async with LlmClient(serve(peer.app)) as llm:
        chunks = [c async for c in llm.stream_chat(QUESTION, voxhall={"thread_id": "t-42"})]
    assert peer.requests[0]["voxhall"] == {"thread_id": "t-42"}
    tagged = [c.model_extra["voxhall"] for c in chunks if c.model_extra.get("voxhall")]
    assert tagged == [extra] * len(PEER_WORDS)
