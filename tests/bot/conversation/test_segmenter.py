"""The segmenter on real speech: pre-roll, end of turn, early transcription at pauses, silence
and noise, long speech."""

from __future__ import annotations

import pytest
from piper import PiperVoice

from bot.conversation.segmenter import (
    Segmenter,
    SegmenterConfig,
    SpeakerSegmenter,
    SpeechPaused,
    SpeechStarted,
    Utterance,
)
from tests.bot.conversation.support import (
    Clip,
    espeak_clip,
    frames,
    piper_clip,
    segment,
    silence,
    white_noise,
)
from voxhall.frames import BYTES_PER_SECOND

CONFIG = SegmenterConfig()


@pytest.fixture(scope="module")
def question(piper_voice: PiperVoice) -> Clip:
    return piper_clip(piper_voice, "Voxhall, what is on my calendar this afternoon?")


@pytest.fixture(scope="module")
def follow_on(piper_voice: PiperVoice) -> Clip:
    return piper_clip(piper_voice, "And tomorrow morning?")


def utterances(events: list[tuple[float, object]]) -> list[tuple[float, Utterance]]:
    return [(at, event) for at, event in events if isinstance(event, Utterance)]


def test_speech_with_a_short_pause_is_one_utterance_with_pre_roll(
    question: Clip, follow_on: Clip
) -> None:
    lead, pause = 1.0, 0.25
    gap = silence(pause - question.trailing_silence_s() - follow_on.onset_s())
    clip = silence(lead) + question + gap + follow_on + silence(1.5)
    events = segment(Segmenter(CONFIG), "alice", clip)

    [(closed_at, utterance)] = utterances(events)
    started = [event for _, event in events if isinstance(event, SpeechStarted)]
    assert started == [SpeechStarted("alice", utterance.speech_start)]
    assert utterance.speech_start == pytest.approx(lead + question.onset_s(), abs=0.07)
    assert utterance.speech_start - utterance.start == pytest.approx(0.3, abs=0.021)
    spoken = question.seconds + gap.seconds + follow_on.seconds
    assert utterance.end - utterance.speech_start == pytest.approx(spoken, abs=0.25)
    assert utterance.seconds >= spoken
    silence_waited = closed_at - utterance.end
    assert 0.3 - 0.02 <= silence_waited <= 0.8 + 0.04


def test_a_long_silence_ends_the_turn_and_the_next_speech_is_a_new_utterance(
    question: Clip, follow_on: Clip
) -> None:
    clip = question + silence(1.2) + follow_on + silence(1.0)
    found = utterances(segment(Segmenter(CONFIG), "alice", clip))

    assert len(found) == 2
    first, second = (utterance for _, utterance in found)
    assert first.end < second.start
    assert second.end - second.speech_start == pytest.approx(follow_on.seconds, abs=0.25)


def test_end_of_turn_shortens_for_a_speaker_who_pauses_briefly(
    question: Clip, follow_on: Clip
) -> None:
    segmenter = SpeakerSegmenter("alice", CONFIG)
    assert segmenter.end_of_turn_s() == pytest.approx(0.8)

    for at, frame in frames((question + silence(0.25) + follow_on).discord_pcm()):
        segmenter.push(frame, at)

    adapted = segmenter.end_of_turn_s()
    assert 0.3 <= adapted < 0.8
    assert segmenter.end_of_turn_s(utterance_s=10.0) <= adapted


@pytest.mark.parametrize(
    "clip", [silence(3.0), white_noise(3.0, 0.05), white_noise(3.0, 0.3)], ids=str
)
def test_silence_and_white_noise_give_no_utterance(clip: Clip) -> None:
    segmenter = Segmenter(CONFIG)
    assert segment(segmenter, "bob", clip) == []
    assert segmenter.flush(now=10.0) == []


def test_speech_longer_than_the_maximum_is_cut(question: Clip, follow_on: Clip) -> None:
    config = SegmenterConfig(max_utterance_s=1.5)
    clip = question + follow_on + silence(1.0)
    found = [utterance for _, utterance in utterances(segment(Segmenter(config), "al", clip))]

    assert len(found) >= 2
    assert found[0].cut_at_max_length
    assert all(utterance.seconds <= 1.5 + 0.02 for utterance in found)
    assert not found[-1].cut_at_max_length


def test_flush_ends_a_turn_when_frames_stop_arriving(question: Clip) -> None:
    segmenter = Segmenter(CONFIG)
    assert utterances(segment(segmenter, "alice", question)) == []
    last_frame_end = question.seconds

    assert segmenter.flush(now=last_frame_end + 0.1) == []
    [utterance] = segmenter.flush(now=last_frame_end + 1.0)
    assert isinstance(utterance, Utterance)
    assert utterance.speaker == "alice"


def test_two_voices_are_segmented_apart(question: Clip) -> None:
    other = espeak_clip("Hey Sam, did you watch the game last night?")
    segmenter = Segmenter(CONFIG)
    pcm_a, pcm_b = (question + silence(1.0)).discord_pcm(), (other + silence(1.0)).discord_pcm()
    found = []
    for (at, frame_a), (_, frame_b) in zip(frames(pcm_a), frames(pcm_b), strict=False):
        found += segmenter.push("alice", frame_a, at) + segmenter.push("bob", frame_b, at)

    done = [event for event in found if isinstance(event, Utterance)]
    assert sorted(event.speaker for event in done) == ["alice", "bob"]


class RecordingSink:
    """A partial-audio sink that keeps what it was fed, per speaker."""

    def __init__(self) -> None:
        self.audio: dict[str, bytearray] = {}
        self.ended: list[str] = []

    def feed(self, speaker: str, pcm: bytes) -> None:
        self.audio.setdefault(speaker, bytearray()).extend(pcm)

    def end(self, speaker: str) -> None:
        self.ended.append(speaker)


def test_partial_audio_streams_while_the_person_talks(question: Clip) -> None:
    sink = RecordingSink()
    events = segment(Segmenter(CONFIG, partial_sink=sink), "alice", question + silence(1.0))

    [(closed_at, utterance)] = utterances(events)
    streamed = bytes(sink.audio["alice"])
    assert streamed.startswith(utterance.pcm)
    assert len(streamed) / BYTES_PER_SECOND <= closed_at + 0.02
    assert sink.ended == ["alice"]


def test_a_pause_offers_the_utterance_as_it_will_end_and_only_the_last_one_matches(
    question: Clip, follow_on: Clip
) -> None:
    gap = silence(0.45)
    clip = silence(0.5) + question + gap + follow_on + silence(1.5)
    config = SegmenterConfig(end_of_turn_min_ms=600, end_of_turn_max_ms=800)
    events = segment(Segmenter(config), "alice", clip)

    paused = [(at, event) for at, event in events if isinstance(event, SpeechPaused)]
    [(_, utterance)] = utterances(events)
    *inside, (end_at, last) = paused
    assert inside, "the pause between the sentences (and after 'Voxhall,') was offered too"
    assert last.pcm == utterance.pcm, "nothing more was said: the early transcript is the one"
    assert all(len(early.pcm) < len(utterance.pcm) for _, early in inside)
    waited_s = config.early_transcript_ms / 1000 if config.early_transcript_ms else 0
    assert end_at - utterance.end == pytest.approx(waited_s, abs=0.07), "after the set silence"


def test_early_transcription_can_be_turned_off(question: Clip) -> None:
    config = SegmenterConfig(early_transcript_ms=None)
    events = segment(Segmenter(config), "alice", silence(0.5) + question + silence(1.5))
    assert not [event for _, event in events if isinstance(event, SpeechPaused)]
    assert len(utterances(events)) == 1
