"""The CPU renderer: real clips decoded with PyAV, mouth shapes following Piper's timings,
and the byte budget."""

from __future__ import annotations

import io
import itertools

import av
import numpy as np
import pytest

from tests.tts_service.avatar.conftest import request_for
from tts_service.avatar.cpu import CpuAvatarProvider
from tts_service.avatar.errors import ClipTooLarge
from tts_service.avatar.provider import Clip, render_clip
from tts_service.avatar.visemes import (
    CARRY_ON,
    LONG_PAUSE_S,
    PHONEME_SHAPES,
    REST,
    SHAPES,
    frame_count,
    phoneme_shape,
    track_from_loudness,
)
from tts_service.schemas import TimedSpeech
from voxhall.audio import read_wav

FPS = 24


def test_the_clip_is_h264_yuv420p_with_aac_at_24_fps_and_faststart(
    clip: Clip, speech: TimedSpeech
) -> None:
    with av.open(io.BytesIO(clip.data)) as container:
        video, audio = container.streams.video[0], container.streams.audio[0]
        assert video.codec_context.name == "h264"
        assert video.codec_context.pix_fmt == "yuv420p"
        assert (video.width, video.height) == (512, 512)
        assert video.average_rate == FPS
        assert audio.codec_context.name == "aac"
        decoded = sum(1 for _ in container.decode(video=0))
        duration = container.duration / av.time_base
    assert decoded == len(clip.track or "") == frame_count(speech.duration, FPS)
    assert abs(duration - speech.duration) <= 0.1
    assert 0 < clip.data.find(b"moov") < clip.data.find(b"mdat")


def _silent_frames(speech: TimedSpeech) -> list[int]:
    """Frames that overlap only punctuation, pauses between sentences or nothing at all
    (a short space between words is part of speech: the mouth keeps its shape across it)."""
    sounding = [
        (p.start, p.end)
        for p in speech.phonemes
        if p.phoneme[0].isalpha()
        or p.phoneme in CARRY_ON - {" "}
        or (p.phoneme == " " and p.end - p.start <= LONG_PAUSE_S)
    ]
    frames = frame_count(speech.duration, FPS)
    return [
        i
        for i in range(frames)
        if not any(start < (i + 1) / FPS and end > i / FPS for start, end in sounding)
    ]


def test_the_mouth_rests_in_silence_and_moves_during_speech(
    clip: Clip, speech: TimedSpeech
) -> None:
    track = clip.track or ""
    silent = _silent_frames(speech)
    assert len(silent) >= 3, "the reply has a pause between its sentences"
    assert all(track[i] == REST for i in silent)
    spoken = [shape for i, shape in enumerate(track) if i not in silent]
    assert set(spoken) - {REST} >= {"A", "B", "C", "D", "G", "H"}, spoken
    changes = sum(a != b for a, b in itertools.pairwise(spoken))
    assert changes >= len(spoken) / 4


def test_frames_follow_the_phoneme_timings(clip: Clip, speech: TimedSpeech) -> None:
    """Each open-mouth frame shows a shape of a phoneme sounding in it, and each phoneme
    lasting a frame or longer shows its shape in a frame it covers."""
    track = clip.track or ""
    shaped, previous = [], REST
    for span in speech.phonemes:
        previous = phoneme_shape(span.phoneme, span.end - span.start, previous)
        shaped.append((span.start, span.end, previous))
    for index, shape in enumerate(track):
        if shape != REST:
            sounding = {
                s for start, end, s in shaped if start < (index + 1) / FPS and end > index / FPS
            }
            assert shape in sounding, (index, shape, sounding)
    checked = 0
    for span in speech.phonemes:
        shape = PHONEME_SHAPES.get(span.phoneme[0])
        if shape is None or span.end - span.start < 1 / FPS:
            continue
        covered = track[int(span.start * FPS) : int(span.end * FPS) + 1]
        assert shape in covered, (span, covered)
        checked += 1
    assert checked >= 10


def test_without_timings_loudness_drives_the_mouth(speech: TimedSpeech) -> None:
    samples, rate = read_wav(request_for(speech).audio_wav)
    padded = np.concatenate([np.zeros(rate, np.float32), samples])
    track = track_from_loudness(padded, rate, FPS)
    assert len(track) == frame_count(padded.size / rate, FPS)
    assert set(track[: FPS - 1]) == {REST}
    assert len(set(track[FPS:]) & set(SHAPES[2:])) >= 2


def test_a_small_budget_forces_a_smaller_encoding(
    clip: Clip, speech: TimedSpeech, cpu_provider: CpuAvatarProvider
) -> None:
    budget = len(clip.data) - 1
    smaller = cpu_provider.render_now(request_for(speech, byte_budget=budget))
    assert len(smaller.attempts) >= 2
    assert smaller.attempts[0].bytes > budget >= len(smaller.data)
    assert smaller.attempts[-1].options.crf > smaller.attempts[0].options.crf
    with av.open(io.BytesIO(smaller.data)) as container:
        assert container.streams.video[0].codec_context.name == "h264"


async def test_an_impossible_budget_gives_no_clip_and_says_why(
    speech: TimedSpeech, cpu_provider: CpuAvatarProvider
) -> None:
    with pytest.raises(ClipTooLarge, match="exceeds the byte budget of 2000 bytes") as caught:
        await render_clip(cpu_provider, request_for(speech, byte_budget=2000))
    assert str(caught.value).startswith("no clip:")
    assert [a.options.size for a in caught.value.attempts][-1] == 256
