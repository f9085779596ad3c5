"""Judging a turn: each check on outcomes whose verdict is known, one failure kind at a time."""

from __future__ import annotations

from typing import Any

import pytest

from ledgers.checks import judge, tool_call_divergence
from ledgers.format import ExpectedCall, ToolCallSeen, Turn
from ledgers.results import StreamHealth, TurnOutcome, WordErrorCounts
from tests.ledgers.support import answered
from voxhall.wer import word_errors


def make_turn(expect: dict[str, Any], **fields: Any) -> Turn:
    return Turn.model_validate(
        {"turn": 1, "speaker": "alice", "transcript": "Voxhall, hello", "expect": expect, **fields}
    )


def checks_failed(turn: Turn, outcome: TurnOutcome) -> list[str]:
    return [failure.check for failure in judge(turn, outcome)]


def seen(name: str, approval: str | None = None, **arguments: Any) -> ToolCallSeen:
    return ToolCallSeen(name=name, arguments=arguments, approval=approval)  # type: ignore[arg-type]


def expected(name: str, match: str = "exact", **arguments: Any) -> ExpectedCall:
    return ExpectedCall(name=name, arguments=arguments, match=match)  # type: ignore[arg-type]


def test_a_turn_that_does_what_it_should_passes_every_check() -> None:
    turn = make_turn(
        {
            "tool_calls": [{"name": "github__get_issue", "arguments": {"issue_number": 42}}],
            "reply": {"must": ["login"], "must_not": ["error"], "max_words": 10},
            "latency_ms": {"first_token": 2000, "first_audio": 3000},
        }
    )
    outcome = answered(
        "Issue 42: the login page is slow.", [seen("github__get_issue", issue_number=42)]
    )

    assert judge(turn, outcome) == []


def test_addressing_fails_both_ways() -> None:
    ignored = TurnOutcome(heard="Voxhall, hello", addressed=False)

    assert checks_failed(make_turn({}), ignored) == ["addressed"]
    assert checks_failed(make_turn({"addressed": False}), answered()) == ["addressed"]
    assert checks_failed(make_turn({"addressed": False}), ignored) == []


def test_asr_fails_over_the_wer_bound_and_on_words_heard_in_silence() -> None:
    turn = make_turn({"asr": {"max_wer": 0.3}}, audio="a.flac")
    silent = make_turn({"asr": {"max_wer": 0}, "addressed": False}, audio="a.flac", transcript="")
    misheard = answered(
        heard="Box all, yellow",
        asr=WordErrorCounts.of(word_errors("Voxhall, hello", "Box all, yellow")),
    )
    phantom = TurnOutcome(
        heard="Thank you.", addressed=False, asr=WordErrorCounts.of(word_errors("", "Thank you."))
    )

    [failure] = judge(turn, misheard)
    [hallucination] = judge(silent, phantom)

    assert failure.check == "asr" and failure.message.startswith("WER 1.50 > 0.30")
    assert hallucination.message == "heard 'Thank you.' where nothing was said"


@pytest.mark.parametrize(
    ("wanted", "made", "divergence"),
    [
        ([expected("a__x")], [seen("a__x")], None),
        ([expected("a__x", n=1)], [seen("a__y", n=1)], "diverged at call 1: expected a__x"),
        (
            [expected("a__x"), expected("a__y")],
            [seen("a__x")],
            "call 2: expected a__y({}), the bot made no more",
        ),
        (
            [expected("a__x")],
            [seen("a__x"), seen("a__z")],
            "diverged at call 2: unexpected a__z({})",
        ),
        ([expected("a__x", q="Dentist")], [seen("a__x", q=" dentist ")], None),
        ([expected("a__x", q="dentist")], [seen("a__x", q="dentist", start="now")], "call 1"),
        ([expected("a__x", "subset", q="dentist")], [seen("a__x", q="dentist", start="now")], None),
        ([expected("a__x", n=45)], [seen("a__x", n=45.0)], None),
        ([expected("a__x", flag=True)], [seen("a__x", flag=1)], "call 1"),
        (
            [expected("a__x", "subset", t={"$regex": "log ?in"})],
            [seen("a__x", t="Log in page")],
            None,
        ),
        (
            [expected("a__x", "subset", t={"$regex": "^login$"})],
            [seen("a__x", t="log in")],
            "call 1",
        ),
        (
            [expected("a__x"), expected("a__y", "unordered")],
            [seen("a__x"), seen("a__y")],
            None,
        ),
        (
            [expected("a__y", "unordered"), expected("a__x", "unordered")],
            [seen("a__x"), seen("a__y")],
            None,
        ),
        (
            [expected("a__y", "unordered")],
            [seen("a__x")],
            "expected a__y({}) somewhere, the bot never made it",
        ),
    ],
)
def test_tool_calls_report_where_they_first_diverge(
    wanted: list[ExpectedCall], made: list[ToolCallSeen], divergence: str | None
) -> None:
    found = tool_call_divergence(wanted, made)

    assert (found is None) == (divergence is None), found
    assert divergence is None or (found is not None and divergence in found)


def test_the_approval_of_a_call_is_part_of_what_must_match() -> None:
    wanted = [ExpectedCall(name="calendar__delete_event", approval="denied")]

    assert tool_call_divergence(wanted, [seen("calendar__delete_event", "denied")]) is None
    assert "approved" in (
        tool_call_divergence(wanted, [seen("calendar__delete_event", "approved")]) or ""
    )


def test_no_tool_fails_when_a_tool_was_called() -> None:
    turn = make_turn({"no_tool": True})

    [failure] = judge(turn, answered(calls=[seen("calendar__list_events")]))

    assert failure.check == "tool_calls" and "unexpected calendar__list_events" in failure.message


def test_reply_rules_search_case_insensitively_and_count_words() -> None:
    turn = make_turn(
        {"reply": {"must": ["standup", "design review"], "must_not": ["sorry"], "max_words": 5}}
    )
    reply = "Sorry, you have a Standup tomorrow and nothing else at all."

    messages = [failure.message for failure in judge(turn, answered(reply))]

    assert messages == [
        f"reply lacks /design review/: {reply!r}",
        f"reply contains /sorry/: {reply!r}",
        "reply has 11 words, more than 5",
    ]


def test_latency_budgets_fail_when_over_or_when_the_stage_never_came() -> None:
    turn = make_turn({"latency_ms": {"first_token": 500, "first_audio": 9000}})
    outcome = answered()
    outcome.latency_ms.first_audio = None

    messages = [failure.message for failure in judge(turn, outcome)]

    assert messages == [
        "first_token took 900 ms, over the budget of 500 ms",
        "first_audio never came (budget 9000 ms)",
    ]


@pytest.mark.parametrize(
    ("stream", "reply", "complaint"),
    [
        (
            StreamHealth(finished=True, errors=["No model could answer"], audio_bytes=4),
            "Sorry.",
            "stream error: No model could answer",
        ),
        (StreamHealth(finished=False, audio_bytes=4), "Half an ans", "ended without finishing"),
        (StreamHealth(finished=True, audio_bytes=6), "Hello.", "6 audio bytes are not whole"),
        (StreamHealth(finished=True, audio_bytes=0), "", "the reply is empty"),
        (StreamHealth(finished=True, audio_bytes=0), "Hello.", "never spoken"),
        (
            StreamHealth(finished=True, audio_bytes=4, unsynthesized=["Bye."]),
            "Hello. Bye.",
            "never synthesized",
        ),
    ],
)
def test_a_broken_reply_stream_fails_the_stream_check(
    stream: StreamHealth, reply: str, complaint: str
) -> None:
    outcome = answered(reply)
    outcome.stream = stream

    [failure] = judge(make_turn({}), outcome)

    assert failure.check == "stream" and complaint in failure.message


def test_an_interruption_must_happen_when_expected_and_excuses_the_unfinished_stream() -> None:
    turn = make_turn({"interrupted": True}, interrupt_after_ms=1500)
    cut = answered("Once upon a time")
    cut.interrupted = True
    cut.stream = StreamHealth(finished=False, audio_bytes=144_000, unsynthesized=["The end."])

    assert judge(turn, cut) == []
    [failure] = judge(turn, answered())
    assert failure.check == "interrupted" and "ended before the interruption" in failure.message


def test_a_turn_the_bot_ignored_is_not_judged_on_its_reply() -> None:
    turn = make_turn({"addressed": False})

    assert judge(turn, TurnOutcome(heard="Did you see the game?", addressed=False)) == []
