"""What a channel's conversation keeps stays bounded however long the bot stays in the channel.

`ChannelState` is what the edge reports (`/status`) and tests read: it keeps the last
`KEPT_TURNS` utterances, results and barge-ins, and no utterance's audio once transcribed.
Before, a bot left in a channel kept every utterance with its 48 kHz audio (about 0.6 MB for
a three-second question): the growth the load soak (bench/load.py) showed.
"""

from __future__ import annotations

from bot.conversation.pipeline import TurnRequest, TurnResult
from bot.conversation.segmenter import SpeechStarted, Utterance
from bot.conversation.turns import KEPT_TURNS, ChannelState, Heard
from voxhall.frames import BYTES_PER_SECOND

DAY_OF_TURNS = 1000
QUESTION_S = 3.0


def question(number: int) -> tuple[Utterance, TurnResult]:
    """The `number`th three-second question and the turn that answered it."""
    at = float(number * 10)
    utterance = Utterance(
        "alice", b"\x01" * int(QUESTION_S * BYTES_PER_SECOND), at, at + QUESTION_S, at
    )
    request = TurnRequest("guild:channel", "alice", "Alice", f"question {number}", at + 3, at + 4)
    return utterance, TurnResult(request, reply=f"answer {number}")


def test_a_day_of_turns_leaves_the_last_hundred_and_no_audio() -> None:
    state = ChannelState()

    for number in range(DAY_OF_TURNS):
        utterance, result = question(number)
        state.add_heard(Heard.of(utterance, f"question {number}", "wake_name"))
        state.add_result(result)
        state.add_barge_in(SpeechStarted("bob", float(number)))

    assert len(state.heard) == len(state.results) == len(state.barge_ins) == KEPT_TURNS
    first_kept = DAY_OF_TURNS - KEPT_TURNS
    assert [heard.text for heard in state.heard[:2]] == [
        f"question {first_kept}",
        f"question {first_kept + 1}",
    ]
    assert state.results[-1].reply == f"answer {DAY_OF_TURNS - 1}"
    assert sum(len(heard.utterance.pcm) for heard in state.heard) == 0
    assert {heard.seconds for heard in state.heard} == {QUESTION_S}
    assert state.heard[-1].utterance.speaker == "alice"
