"""A remark about something in a tool's words goes to plain chat; a request stays a request,
however it is phrased, and no example request a server publishes reads as a remark."""

from __future__ import annotations

import pytest

from bench.router import builtin_tools
from llm_service.agent.remarks import is_a_remark
from llm_service.agent.tool_router import ToolRouter


@pytest.mark.parametrize(
    "said",
    [
        "honestly github has been so slow today",
        "my calendar is a disaster this week haha",
        "i think aws pricing is kind of wild",
        "that pull request review was brutal lol",
        "we should get pizza after the standup",
        "ugh the build is red again",
        "let's take a five minute break",
        "the calendar invite looked weird but whatever",
        "it's been a long day",
        "okay, the deploy went fine i think",
        "I had the weirdest dream about github last night",
        "I wonder why they called it monday.com",
        "github actions pricing is so confusing, ugh",
        "great job on the deploy everyone",
    ],
)
def test_remarks_that_ask_for_nothing(said: str) -> None:
    assert is_a_remark(said)


@pytest.mark.parametrize(
    "said",
    [
        "the nightly build failed, rerun it",
        "i need the open pull requests on voxhall",
        "ugh, show me the failing runs",
        "let's book a meeting with priya tomorrow at ten",
        "we should open an issue about the flaky test",
        "honestly just list the stacks",
        "is the payments alarm firing",
        "the billing stack, describe it please",
        "it's time to merge pr 42",
        "my calendar for tomorrow",
        "that review was brutal, can you merge it",
        "the build is red?",
        "I wonder if there are open pull requests on voxhall",
        "we spent a lot on aws last month, show me the breakdown",
        "good job, now merge pr 4",
    ],
)
def test_requests_in_the_form_of_a_remark_still_ask(said: str) -> None:
    assert not is_a_remark(said)


async def test_no_published_example_request_reads_as_a_remark() -> None:
    tools = await builtin_tools()
    examples = [example for tool in tools for example in tool.examples]
    assert len(examples) > 400
    assert [example for example in examples if is_a_remark(example)] == []


async def test_a_remark_in_a_tools_words_gets_no_tool() -> None:
    tools = await builtin_tools()
    router = ToolRouter(min_similarity=0.0)
    assert router.choose("ugh the build is red again", tools).tool is None
    assert router.choose("the nightly build failed, rerun it", tools).tool is not None
