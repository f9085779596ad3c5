"""The official `openai` client consumes the agent unchanged: streamed (events ride along under
`voxhall` and are ignored by everything else) and not streamed, over real HTTP on loopback.

The agent is served by llm_service's own app as the model `voxhall-agent`, with its MCP
servers from a voxhall.toml and a scripted peer playing the hosted model.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from starlette.types import ASGIApp

from llm_service.agent import AGENT_MODEL
from llm_service.agent.config import ServerConfig
from llm_service.app import create_app
from llm_service.backends.local import LocalModel
from llm_service.settings import AgentSettings
from stack.settings import Settings
from tests.llm_service.agent.peer import ScriptedModel, peer_app
from tests.llm_service.agent.support import hosted_settings
from voxhall.settings import CommonSettings


def voxhall_toml(server: ServerConfig, folder: Path) -> Path:
    """A voxhall.toml naming `server` (JSON strings and arrays are valid TOML values)."""
    lines = [
        f"[mcp_servers.{server.name}]",
        f"command = {json.dumps(server.command)}",
        f"args = {json.dumps(server.args)}",
        f"cwd = {json.dumps(str(server.cwd))}",
        f"[mcp_servers.{server.name}.env]",
        *(f"{key} = {json.dumps(value)}" for key, value in server.env.items()),
    ]
    path = folder / "voxhall.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def served(
    serve: Callable[[ASGIApp], str],
    tiny_server: ServerConfig,
    local_model: LocalModel,
    tmp_path: Path,
) -> Iterator[tuple[ScriptedModel, str]]:
    model = ScriptedModel()
    settings = Settings(
        common=CommonSettings(
            redis_url="redis://127.0.0.1:1/0", config=voxhall_toml(tiny_server, tmp_path)
        ),
        llm=hosted_settings(serve(peer_app(model))),
        agent=AgentSettings(approval_timeout_s=20),
    )
    yield model, serve(create_app(settings, local_model))


def test_streamed_turn_with_an_approval(served: tuple[ScriptedModel, str]) -> None:
    model, base_url = served
    model.play([("tiny__write_note", {"text": "hi"})], "I wrote the note.")
    client = openai.OpenAI(base_url=f"{base_url}/v1", api_key="unused", max_retries=0)
    events: list[dict[str, Any]] = []
    approver = threading.Thread(target=approve_when_asked, args=(base_url, events))
    stream = client.chat.completions.create(
        model=AGENT_MODEL,
        messages=[{"role": "user", "content": "write hi", "name": "alice"}],
        stream=True,
        stream_options={"include_usage": True},
        metadata={"thread_id": "g:c"},
    )
    text = []
    approver.start()
    for chunk in stream:
        extra = (chunk.model_extra or {}).get("voxhall")
        if extra:
            events.append(extra)
        text += [choice.delta.content or "" for choice in chunk.choices]
        last = chunk
    approver.join(timeout=10)
    assert "".join(text) == "I wrote the note."
    assert last.usage is not None and last.usage.total_tokens == 30
    assert [e["type"] for e in events] == [
        "tool_started",
        "approval_required",
        "approval_resolved",
        "tool_finished",
    ]
    assert events[2]["decision"] == "approved"
    assert stream.response.headers["x-voxhall-backend"] == AGENT_MODEL
    servers = httpx.get(f"{base_url}/v1/mcp_servers").json()["data"]
    assert servers[0]["server"] == "tiny" and servers[0]["state"] == "up"
    assert servers[0]["tools"] >= 6


def approve_when_asked(base_url: str, events: list[dict[str, Any]]) -> None:
    with httpx.Client(base_url=base_url, timeout=5) as http:
        for _ in range(500):
            pending = http.get("/v1/approvals").json()["data"]
            if pending:
                http.post(
                    f"/v1/approvals/{pending[0]['id']}", json={"decision": "approve", "by": "u"}
                )
                return
            threading.Event().wait(0.02)


def test_non_streamed_turn(served: tuple[ScriptedModel, str]) -> None:
    model, base_url = served
    model.play([("tiny__echo", {"text": "x"})], "Echoed x.")
    client = openai.OpenAI(base_url=f"{base_url}/v1", api_key="unused", max_retries=0)
    completion = client.chat.completions.create(
        model=AGENT_MODEL, messages=[{"role": "user", "content": "echo x"}]
    )
    assert completion.choices[0].message.content == "Echoed x."
    assert completion.choices[0].finish_reason == "stop"
    assert model.tool_messages(1)[0]["content"].startswith('{"text": "x"')
    models = client.models.list()
    assert AGENT_MODEL in {entry.id for entry in models}
