"""The classifier router with the real bundled embedding model: it learns the offered tools'
documents at run time, scores every candidate by its margin, picks by meaning and by the words
that tell close tools apart, leaves chit-chat without a tool, and copes with one tool or none.
Its accuracy is bench/router.py's, not here."""

from __future__ import annotations

import pytest

from llm_service.agent.classifier_router import ClassifierRouter
from llm_service.agent.connections import AgentTool
from llm_service.agent.embedding_router import build_router
from llm_service.agent.routing import NO_TOOL
from llm_service.settings import AgentSettings
from tests.llm_service.agent.test_embedding_router import toml_weather_tool

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def router() -> ClassifierRouter:
    built = build_router(AgentSettings(), "classifier")
    assert isinstance(built, ClassifierRouter)
    return built


def test_every_candidate_gets_a_margin_and_the_right_tool_has_the_largest(
    router: ClassifierRouter, builtin_tools: list[AgentTool]
) -> None:
    scores = router.scores("what's the status of pull request 12", builtin_tools)
    assert set(scores) == {tool.qualified for tool in builtin_tools} | {NO_TOOL}
    assert max(scores, key=scores.__getitem__) == "github__get_pull_request"


@pytest.mark.parametrize(
    ("request_text", "expected"),
    [
        ("merge pull request 7", "github__merge_pull_request"),
        ("show me github issue 42", "github__get_issue"),
        ("put an event called design review on my calendar", "calendar__create_event"),
        ("book a dentist appointment for friday at nine", "calendar__create_event"),
    ],
)
def test_close_tools_are_told_apart(
    router: ClassifierRouter, builtin_tools: list[AgentTool], request_text: str, expected: str
) -> None:
    choice = router.choose(request_text, builtin_tools)
    assert choice.tool is not None and choice.tool.qualified == expected


def test_a_high_minimum_margin_leaves_every_request_to_chat(
    builtin_tools: list[AgentTool], router: ClassifierRouter
) -> None:
    strict = ClassifierRouter(2.0, router.embedder, router.words_weight)
    assert strict.choose("merge pull request 7", builtin_tools).tool is None


async def test_one_offered_tool_or_none_still_routes(router: ClassifierRouter) -> None:
    weather = await toml_weather_tool()
    said = {"weather__forecast": ["will it be sunny tomorrow", "what's the weather in berlin"]}
    scores = router.scores("will it rain in paris this weekend", [weather], said)
    assert scores[NO_TOOL] == -scores["weather__forecast"], "two classes, one margin"
    assert router.choose("will it rain in paris this weekend", [weather], said).tool == weather
    assert router.choose("tell me a joke", [weather], said).tool is None
    router.warm([])
    assert router.scores("hello there", []) == {NO_TOOL: 0.0}


async def test_a_toml_server_is_routed_by_its_description_and_its_examples(
    router: ClassifierRouter, builtin_tools: list[AgentTool]
) -> None:
    weather = await toml_weather_tool()
    tools = [*builtin_tools, weather]
    assert router.choose("will it rain in paris this weekend", tools).tool == weather
    request = "should I bring a coat to the match"
    said = {"weather__forecast": ["should I bring a jacket", "do I need a coat today"]}
    assert router.choose(request, tools, said).tool == weather
