"""Smart Turn v3 on real speech: how it scores finished and unfinished sentences, and how the
segmenter uses it to end a turn early or to wait through a mid-sentence pause."""

from __future__ import annotations

import pytest
from piper import PiperVoice

from bot.conversation.end_of_turn import SmartTurn, bundled_smart_turn_model
from bot.conversation.segmenter import Segmenter, SegmenterConfig, Utterance
from tests.bot.conversation.support import Clip, espeak_clip, piper_clip, segment, silence

JUDGING = SegmenterConfig(
    smart_turn_pause_ms=150, smart_turn_threshold=0.95, smart_turn_unfinished_below=0.3
)
MID_SENTENCE = 'Voxhall, please schedule a call with, um <break time="600ms"/> Priya.'


@pytest.fixture(scope="module")
def model() -> SmartTurn:
    return bundled_smart_turn_model()


@pytest.fixture(scope="module")
def finished(piper_voice: PiperVoice) -> Clip:
    return piper_clip(piper_voice, "Voxhall, book a meeting with Sam tomorrow at ten.")


def utterances(segmenter: Segmenter, clip: Clip) -> list[tuple[float, Utterance]]:
    events = segment(segmenter, "alice", silence(0.5) + clip + silence(1.5))
    return [(at, event) for at, event in events if isinstance(event, Utterance)]


def test_a_finished_request_scores_high_and_a_dangling_one_low(
    model: SmartTurn, finished: Clip
) -> None:
    dangling = espeak_clip('Voxhall, please schedule a call with, um <break time="2s"/>', ssml=True)

    assert model.completion((finished + silence(0.15)).discord_pcm()) > 0.95
    assert model.completion(dangling.discord_pcm()) < 0.3


def test_a_confident_model_ends_the_turn_soon_after_the_pause(
    model: SmartTurn, finished: Clip
) -> None:
    [(closed_at, utterance)] = utterances(Segmenter(JUDGING, turn_model=model), finished)
    [(silence_closed_at, by_silence)] = utterances(Segmenter(SegmenterConfig()), finished)

    assert utterance.ended_by_model and not by_silence.ended_by_model
    assert closed_at - utterance.end <= 0.15 + 0.1
    assert silence_closed_at - by_silence.end >= 0.3 - 0.02


def test_an_unfinished_verdict_waits_through_a_mid_sentence_pause(model: SmartTurn) -> None:
    clip = espeak_clip(MID_SENTENCE, ssml=True)

    judged = utterances(Segmenter(JUDGING, turn_model=model), clip)
    by_silence = utterances(Segmenter(SegmenterConfig()), clip)

    assert len(judged) == 1
    assert len(by_silence) == 2, "the pause history of short pauses cuts the sentence in two"


def test_the_bundled_model_is_loaded_once_and_only_when_asked_for() -> None:
    assert Segmenter(SegmenterConfig()).turn_model is None
    shared = Segmenter(JUDGING).turn_model
    assert shared is not None and shared is bundled_smart_turn_model()
