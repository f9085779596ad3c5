"""The embedding router with the real bundled model (all-MiniLM-L6-v2, int8, on ONNX Runtime):
the model's tokenizer and embeddings, the built-in servers' tools picked by meaning, chit-chat
answered without a tool, and a server from voxhall.toml without examples routed by its tool's
name, description and schema. Timing is bench/router.py's and bench/embeddings.py's, not here."""

from __future__ import annotations

import numpy as np
import pytest
from mcp import Client
from mcp.server import MCPServer
from mcp.types import ToolAnnotations

from llm_service.agent.classifier_router import ClassifierRouter
from llm_service.agent.config import parse_config
from llm_service.agent.connections import AgentTool, agent_tool
from llm_service.agent.embedding_router import (
    EmbeddingRouter,
    HybridRouter,
    build_router,
)
from llm_service.agent.embeddings import DIMENSIONS, SentenceEmbedder, shared_embedder
from llm_service.agent.routing import NO_TOOL, tool_documents
from llm_service.agent.tool_router import ToolRouter
from llm_service.settings import AgentSettings

pytestmark = pytest.mark.slow

WEATHER_TOML = """
[mcp_servers.weather]
url = "http://127.0.0.1:1/mcp"
"""


@pytest.fixture(scope="module")
def embedder() -> SentenceEmbedder:
    return shared_embedder(AgentSettings().router_threads)


def weather_server() -> MCPServer:
    """An MCP server that publishes no example requests for its tool."""
    server = MCPServer("weather")

    @server.tool(annotations=ToolAnnotations(read_only_hint=True))
    async def forecast(place: str, days: int = 3) -> str:
        """The weather forecast for a place: temperature, rain and wind by day."""
        return f"sunny in {place} for {days} days"

    return server


async def toml_weather_tool() -> AgentTool:
    """The forecast tool as the agent offers it from a voxhall.toml table with no examples."""
    config = parse_config(WEATHER_TOML).servers["weather"]
    async with Client(weather_server()) as client:
        listing = await client.list_tools()
    (tool,) = [agent_tool("weather", listed, config) for listed in listing.tools]
    return tool


def test_the_tokenizer_is_the_models_uncased_wordpiece(embedder: SentenceEmbedder) -> None:
    assert embedder.token_ids(["Hello World"]) == [[101, 7592, 2088, 102]]
    (long,) = embedder.token_ids(["word " * 500])
    assert len(long) == 128 and long[-1] == 102, "truncated, ending with [SEP]"


def test_embeddings_are_unit_vectors_and_padding_changes_nothing(
    embedder: SentenceEmbedder,
) -> None:
    texts = ["what's on my calendar", "open a new github issue about the flaky login test"]
    together = embedder.embed(texts)
    assert together.shape == (2, DIMENSIONS) and together.dtype == np.float32
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    alone = np.stack([embedder.embed([text])[0] for text in texts])
    assert np.allclose(together, alone, atol=1e-4), "a padded batch embeds each text alike"
    assert embedder.embed([]).shape == (0, DIMENSIONS)


def test_similar_requests_are_closer_than_unrelated_ones(embedder: SentenceEmbedder) -> None:
    calendar, meetings, buckets, joke = embedder.embed(
        [
            "what's on my calendar tomorrow",
            "do I have any meetings tomorrow",
            "list my s3 buckets",
            "tell me a joke",
        ]
    )
    assert calendar @ meetings > 0.35
    assert calendar @ meetings > max(calendar @ buckets, calendar @ joke, meetings @ joke) + 0.2


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        ("do I have any meetings coming up", "calendar__list_events"),
        ("are any of our cloudwatch alarms going off", "aws__get_active_alarms"),
        ("how much have we spent on aws so far", "aws__get_cost_and_usage"),
        ("merge pull request 7", "github__merge_pull_request"),
    ],
)
@pytest.mark.parametrize("kind", ["embedding", "hybrid", "classifier"])
def test_the_built_in_tools_are_picked_by_meaning(
    builtin_tools: list[AgentTool], kind: str, request_text: str, expected: str
) -> None:
    choice = build_router(AgentSettings(), kind).choose(request_text, builtin_tools)
    assert choice.tool is not None and choice.tool.qualified == expected


@pytest.mark.parametrize(
    "chatter",
    [
        "good night",
        "what's your favourite colour",
        "tell me a story about a dragon",
        "thanks a lot",
    ],
)
@pytest.mark.parametrize("kind", ["embedding", "hybrid", "classifier"])
def test_chit_chat_gets_no_tool(builtin_tools: list[AgentTool], kind: str, chatter: str) -> None:
    assert build_router(AgentSettings(), kind).choose(chatter, builtin_tools).tool is None


async def test_a_toml_server_without_examples_is_routed_by_name_description_and_schema(
    builtin_tools: list[AgentTool],
) -> None:
    weather = await toml_weather_tool()
    assert weather.examples == () and weather.qualified == "weather__forecast"
    assert tool_documents(weather) == [
        "weather forecast",
        "forecast: The weather forecast for a place: temperature, rain and wind by day.",
        "forecast (place, days)",
    ]
    tools = [*builtin_tools, weather]
    router = build_router(AgentSettings(), "embedding")
    for request in ("will it rain in paris this weekend", "how windy will it be in oslo tomorrow"):
        choice = router.choose(request, tools)
        assert choice.tool == weather, request
    assert router.choose("tell me a joke", tools).tool is None
    tfidf = ToolRouter(AgentSettings().router_min_similarity)
    assert tfidf.choose("will it rain in paris this weekend", tools).tool is None, (
        "spelling alone does not find it"
    )


async def test_examples_from_the_config_join_the_tools_documents(
    embedder: SentenceEmbedder, builtin_tools: list[AgentTool]
) -> None:
    weather = await toml_weather_tool()
    router = EmbeddingRouter(AgentSettings().router_embedding_min_similarity, embedder)
    request = "should I bring a coat to the match"
    assert router.choose(request, [*builtin_tools, weather]).tool is None
    said = {"weather__forecast": ["should I bring a jacket", "do I need a coat today"]}
    assert router.choose(request, [*builtin_tools, weather], said).tool == weather


def test_scores_cover_every_tool_and_chat_and_the_hybrid_weighs_them(
    embedder: SentenceEmbedder, builtin_tools: list[AgentTool]
) -> None:
    meaning = EmbeddingRouter(0.35, embedder)
    words = ToolRouter(0.3)
    hybrid = HybridRouter(0.3, 0.75, meaning, words)
    request = "what's the status of pull request 12"
    scores = hybrid.scores(request, builtin_tools)
    assert set(scores) == {tool.qualified for tool in builtin_tools} | {NO_TOOL}
    a, b = meaning.scores(request, builtin_tools), words.scores(request, builtin_tools)
    assert all(np.isclose(scores[k], 0.75 * a[k] + 0.25 * b[k]) for k in scores)
    assert meaning.choose("", builtin_tools).similarity == 0.0
    assert meaning.choose("merge pull request 7", []).tool is None


def test_the_setting_picks_the_router() -> None:
    assert isinstance(build_router(AgentSettings(router="tfidf")), ToolRouter)
    assert isinstance(build_router(AgentSettings(router="embedding")), EmbeddingRouter)
    hybrid = build_router(AgentSettings(router="hybrid", router_hybrid_weight=0.6))
    assert isinstance(hybrid, HybridRouter) and hybrid.weight == 0.6
    classifier = build_router(AgentSettings(router_classifier_words_weight=0.2))
    assert isinstance(classifier, ClassifierRouter), "the measured winner"
    assert classifier.words_weight == 0.2
    with pytest.raises(ValueError, match="unknown router"):
        build_router(AgentSettings(), "bm25")


def test_nothing_loads_before_the_first_request_or_warm() -> None:
    embedder = SentenceEmbedder()
    router = EmbeddingRouter(0.35, embedder)
    assert not embedder.loaded
    router.warm([])
    assert embedder.loaded
