"""Questions about what something is, or for advice, go to plain chat; questions about the
user's own things do not, even in the same words."""

from __future__ import annotations

import pytest

from bench.router import builtin_tools
from llm_service.agent.concept_questions import asks_about_a_concept
from llm_service.agent.tool_router import ToolRouter


@pytest.mark.parametrize(
    "said",
    [
        "what is a merge conflict",
        "okay so what even is a cloudformation stack, like conceptually",
        "can you explain what a github action is",
        "how do cloudwatch alarms work, roughly",
        "what is a monday.com board anyway",
        "tell me what an ecs cluster is",
        "what's the difference between an issue and a pull request",
        "what does it mean to rebase a branch",
        "in simple terms, what is a pull request",
        "is it better to squash or merge commits",
        "define technical debt",
        "why do teams use feature branches",
    ],
)
def test_questions_about_a_concept(said: str) -> None:
    assert asks_about_a_concept(said)


@pytest.mark.parametrize(
    "said",
    [
        "what is on my calendar tomorrow",
        "what are my open pull requests",
        "what's the status of issue 42",
        "explain why the last build failed",
        "what is the cpu alarm doing",
        "what is a good time for our sync tomorrow",
        "how do I book a meeting with sam",
        "what does board 12 hold",
        "create an issue called what is a merge conflict",
        "do you think you could list my open issues",
        "is my build any good",
    ],
)
def test_questions_about_the_users_own_things(said: str) -> None:
    assert not asks_about_a_concept(said)


@pytest.mark.parametrize(
    "said",
    [
        "how should I structure my standup updates",
        "what's the best way to review a pull request",
        "any advice on estimating tasks for a sprint",
        "how long should a one on one meeting be",
        "give me some tips for running a good meeting",
        "can you recommend a good book about aws",
        "how do calendars handle leap years",
        "do you think AWS is overpriced",
        "what do you make of monday.com",
        "is lambda worth it for a side project",
        "would you rather use github or gitlab",
        "does anyone still use blended cost or is that a legacy thing",
    ],
)
def test_asking_for_advice_or_an_opinion_is_plain_chat_even_about_ones_own_things(
    said: str,
) -> None:
    assert asks_about_a_concept(said)


async def test_no_published_example_request_reads_as_a_concept_or_advice_question() -> None:
    tools = await builtin_tools()
    examples = [example for tool in tools for example in tool.examples]
    assert len(examples) > 400
    assert [example for example in examples if asks_about_a_concept(example)] == []


async def test_a_concept_question_in_a_tools_words_gets_no_tool() -> None:
    tools = await builtin_tools()
    router = ToolRouter(min_similarity=0.0)
    assert router.choose("how do cloudwatch alarms work", tools).tool is None
    assert router.choose("which cloudwatch alarms are firing", tools).tool is not None
