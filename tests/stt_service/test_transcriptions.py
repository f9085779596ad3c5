"""The official `openai` client against stt_service over real HTTP, in every response format."""

from __future__ import annotations

import io
import re

import av
import numpy as np
import openai
import pytest

from tests.stt_service.support import Speech, has_key_words, words_of
from voxhall.audio import encode_audio, float_to_pcm16, to_discord_pcm

SRT_TIMING = re.compile(r"^\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}$", re.MULTILINE)
VTT_TIMING = re.compile(r"^\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}$", re.MULTILINE)


@pytest.fixture(scope="module")
def client(stt_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{stt_url}/v1", api_key="x", max_retries=0)


def test_json(client: openai.OpenAI, speech: Speech) -> None:
    result = client.audio.transcriptions.create(
        model="whisper-1", file=("speech.wav", speech.wav(), "audio/wav")
    )
    assert has_key_words(result.text, speech), result.text
    assert result.usage is not None and result.usage.type == "duration"


def test_text(client: openai.OpenAI, speech: Speech) -> None:
    text = client.audio.transcriptions.create(
        model="gpt-4o-transcribe", file=("speech.wav", speech.wav()), response_format="text"
    )
    assert isinstance(text, str)
    assert has_key_words(text, speech), text


def test_srt(client: openai.OpenAI, speech: Speech) -> None:
    subtitles = client.audio.transcriptions.create(
        model="whisper-1", file=("speech.wav", speech.wav()), response_format="srt"
    )
    assert subtitles.startswith("1\n")
    assert SRT_TIMING.search(subtitles)
    assert has_key_words(subtitles, speech), subtitles


def test_vtt(client: openai.OpenAI, speech: Speech) -> None:
    subtitles = client.audio.transcriptions.create(
        model="whisper-1", file=("speech.wav", speech.wav()), response_format="vtt"
    )
    assert subtitles.startswith("WEBVTT\n\n")
    assert VTT_TIMING.search(subtitles)
    assert has_key_words(subtitles, speech), subtitles


def test_verbose_json_segments(client: openai.OpenAI, speech: Speech) -> None:
    result = client.audio.transcriptions.create(
        model="whisper-1", file=("speech.wav", speech.wav()), response_format="verbose_json"
    )
    assert result.language == "english"
    assert result.duration == pytest.approx(speech.seconds, abs=0.05)
    assert has_key_words(result.text, speech)
    assert result.segments and result.words is None
    assert [segment.id for segment in result.segments] == list(range(len(result.segments)))
    for segment in result.segments:
        assert 0 <= segment.start < segment.end <= result.duration + 0.05
        assert segment.tokens and segment.no_speech_prob < 0.6
    assert "".join(segment.text for segment in result.segments).strip() == result.text


def test_verbose_json_words(client: openai.OpenAI, speech: Speech) -> None:
    result = client.audio.transcriptions.create(
        model="whisper-1",
        file=("speech.wav", speech.wav()),
        response_format="verbose_json",
        timestamp_granularities=["word"],
    )
    assert result.words and result.segments is None
    spoken = {word.word.lower().strip(".,") for word in result.words}
    assert speech.key_words <= spoken
    starts = [word.start for word in result.words]
    assert starts == sorted(starts)
    assert all(word.start <= word.end <= result.duration + 0.05 for word in result.words)


def test_verbose_json_words_and_segments(client: openai.OpenAI, speech: Speech) -> None:
    result = client.audio.transcriptions.create(
        model="whisper-1",
        file=("speech.wav", speech.wav()),
        response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
    )
    assert result.words and result.segments


@pytest.mark.parametrize(
    ("audio_format", "filename"),
    [("mp3", "speech.mp3"), ("opus", "speech.ogg"), ("flac", "speech.flac"), ("aac", "speech.m4a")],
)
def test_compressed_containers(
    client: openai.OpenAI, speech: Speech, audio_format: str, filename: str
) -> None:
    encoded = encode_audio(speech.samples, speech.sample_rate, audio_format)  # type: ignore[arg-type]
    result = client.audio.transcriptions.create(model="whisper-1", file=(filename, encoded))
    assert has_key_words(result.text, speech), result.text


@pytest.mark.parametrize(
    ("filename", "container", "codec"),
    [
        ("speech.webm", "webm", "libopus"),
        ("speech.m4a", "mp4", "aac"),
        ("speech-float.wav", "wav", "pcm_f32le"),
    ],
)
def test_containers_written_with_pyav(
    client: openai.OpenAI, speech: Speech, filename: str, container: str, codec: str
) -> None:
    result = client.audio.transcriptions.create(
        model="whisper-1", file=(filename, _muxed(speech, container, codec))
    )
    assert has_key_words(result.text, speech), result.text


def _muxed(speech: Speech, container: str, codec: str) -> bytes:
    """`speech` at 48 kHz encoded with `codec` into `container`, written with PyAV."""
    samples = speech.at(48_000)
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as output:
        stream = output.add_stream(codec, rate=48_000)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = 48_000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            output.mux(packet)
    return buffer.getvalue()


def test_raw_l16_48k_stereo(client: openai.OpenAI, speech: Speech) -> None:
    little_endian = float_to_pcm16(speech.at(48_000), channels=2)
    big_endian = np.frombuffer(little_endian, dtype="<i2").astype(">i2").tobytes()
    result = client.audio.transcriptions.create(
        model="whisper-1",
        file=("speech.raw", big_endian, "audio/L16;rate=48000;channels=2"),
    )
    assert has_key_words(result.text, speech), result.text


def test_raw_discord_pcm(client: openai.OpenAI, speech: Speech) -> None:
    pcm = to_discord_pcm(speech.samples, speech.sample_rate)
    result = client.audio.transcriptions.create(
        model="whisper-1", file=("speech.pcm", pcm, "audio/pcm;rate=48000;channels=2")
    )
    assert has_key_words(result.text, speech), result.text


def test_prompt_language_and_temperature_are_accepted(
    client: openai.OpenAI, speech: Speech
) -> None:
    result = client.audio.transcriptions.create(
        model="whisper-1",
        file=("speech.wav", speech.wav()),
        language="en",
        prompt="A note about Alice and a meeting.",
        temperature=0.2,
    )
    assert {"alice", "meeting"} <= words_of(result.text)


def test_models_list_offers_the_model_and_openai_names(client: openai.OpenAI) -> None:
    ids = [model.id for model in client.models.list()]
    assert ids[0] == "faster-whisper-base"
    assert {"whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe"} <= set(ids)
    assert client.models.retrieve("whisper-1").owned_by == "voxhall"


def test_unknown_model_is_404_in_openai_shape(client: openai.OpenAI, speech: Speech) -> None:
    with pytest.raises(openai.NotFoundError) as raised:
        client.audio.transcriptions.create(model="whisper-large-v9", file=("a.wav", speech.wav()))
    assert raised.value.code == "model_not_found"
    assert "whisper-large-v9" in raised.value.message


def test_unknown_language_is_400(client: openai.OpenAI, speech: Speech) -> None:
    with pytest.raises(openai.BadRequestError) as raised:
        client.audio.transcriptions.create(
            model="whisper-1", file=("a.wav", speech.wav()), language="klingon"
        )
    assert raised.value.param == "language"
