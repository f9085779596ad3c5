"""The local provider: faster-whisper (CTranslate2) on the CPU, a bundled Whisper by default.

`whisper_options` is the one place the decoding options are chosen, so the benchmark calls
`WhisperModel.transcribe` directly with exactly what the service uses.

faster-whisper pads every window to Whisper's 30 s, and the encoder's cost grows with the
window, so a three-word request paid for 30 s. `ShortWindowWhisper` hands the encoder the audio
and only `encoder_padding_s` of that padding (CTranslate2 takes windows shorter than 3000 frames):
several times faster on short requests, with about the same word error rate over a set of
requests (`bench/stt_models.py`), though single requests may be heard differently; 3 s by
default, off at 30 s.
With so little padding Whisper's decoder may not find the end of a very short clip and repeat a
word ("stop. stop. ..."), so it may write at most `max_tokens(seconds)` per window: more than
anyone says in that time, few enough that a loop ends within milliseconds. A window whose greedy
decoding fails (it writes more than anyone says in the time, compresses like a loop, or is
too unsure) is decoded again the way
faster-whisper would have: from Whisper's full window, with its temperature fallback; raising
the temperature on a short window only loops again, for seconds.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import ctranslate2
import numpy as np
from faster_whisper import WhisperModel
from faster_whisper.tokenizer import Tokenizer
from faster_whisper.transcribe import Segment, TranscriptionInfo
from faster_whisper.transcribe import TranscriptionOptions as WhisperOptions

from stt_service.languages import language_name
from stt_service.providers.base import TranscriptionOptions
from stt_service.schemas import Transcription, TranscriptionSegment, TranscriptionWord
from stt_service.settings import WHISPER_WINDOW_S, SttSettings
from voxhall.audio import WHISPER_RATE, Samples

# OpenAI's rule for temperature 0: start greedy and raise the temperature when decoding fails.
FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)


def faster_whisper_model_id(settings: SttSettings) -> str:
    """The id `/v1/models` lists: the setting, else derived from the model folder or name."""
    if settings.model_id:
        return settings.model_id
    if not settings.model:
        return f"faster-whisper-{settings.bundled_model}"
    name = Path(settings.model.rstrip("/")).name
    return name if name.startswith("faster-whisper") else f"faster-whisper-{name}"


FRAMES_PER_SECOND = 100
"""Whisper's log-Mel frames per second of audio (a 10 ms hop)."""


def heard_frames(features: np.ndarray) -> int:
    """The frames of `features` before the all-zero columns faster-whisper appended to fill the
    30 s window (real audio, silence included, is never exactly zero in log-Mel)."""
    heard = np.flatnonzero(np.any(features != 0, axis=-2))
    return int(heard[-1]) + 1 if heard.size else 0


def without_padding(features: np.ndarray, padding_frames: int) -> np.ndarray:
    """`features` with at most `padding_frames` of faster-whisper's padding."""
    end = heard_frames(features) + padding_frames
    return features[..., : min(end, features.shape[-1])]


TOKENS_PER_SECOND = 10
"""Twice the tokens of fast speech (about four words a second)."""
MAX_NEW_TOKENS = 220
"""Whisper's 448-token context less the longest prompt faster-whisper keeps (223) and the
start tokens."""


def max_tokens(seconds: float) -> int:
    """The most tokens a window of `seconds` of speech may be written as."""
    return min(16 + round(TOKENS_PER_SECOND * seconds), MAX_NEW_TOKENS)


Decoded = tuple[ctranslate2.models.WhisperGenerationResult, float, float, float]
"""faster-whisper's decoding of one window: result, average log probability, temperature and
compression ratio."""


MAX_CHARACTERS_PER_SECOND = 25
"""Written characters per second of audio no one speaks: fast speech (190 words a minute) is
written as about 17; a decoder that loops ("No. No. No. No.") writes 30 to 90."""


def decoding_failed(decoded: Decoded, text: str, seconds: float, options: WhisperOptions) -> bool:
    """True when a window's decoding `text` of `seconds` of audio loops (more characters than
    anyone says in that time, or too compressible) or is too unsure, by faster-whisper's own
    thresholds; a silent window never fails."""
    _, avg_logprob, _, compression_ratio = decoded
    if len(text) > MAX_CHARACTERS_PER_SECOND * max(seconds, 1 / FRAMES_PER_SECOND):
        return True
    ratio_limit = options.compression_ratio_threshold
    if ratio_limit is not None and compression_ratio > ratio_limit:
        return True
    logprob_limit, silence_limit = options.log_prob_threshold, options.no_speech_threshold
    unsure = logprob_limit is not None and avg_logprob < logprob_limit
    silent = silence_limit is not None and decoded[0].no_speech_prob > silence_limit
    return unsure and not silent


class ShortWindowWhisper(WhisperModel):
    """A `WhisperModel` whose encoder sees the audio and `padding_s` of silence, not 30 s, and
    whose decoder writes at most `max_tokens` for the audio's length; a window that fails
    greedily is decoded from the full window."""

    def __init__(self, model_path: str, *, padding_s: float, **options: Any) -> None:
        super().__init__(model_path, **options)
        self.padding_frames = round(padding_s * FRAMES_PER_SECOND)
        self._window = threading.local()

    def transcribe(
        self, audio: np.ndarray, **options: Any
    ) -> tuple[Iterable[Segment], TranscriptionInfo]:
        options.setdefault("max_new_tokens", max_tokens(audio.size / WHISPER_RATE))
        return super().transcribe(audio, **options)

    def encode(self, features: np.ndarray) -> ctranslate2.StorageView:
        self._window.features = features
        return super().encode(without_padding(features, self.padding_frames))

    def generate_with_fallback(
        self,
        encoder_output: ctranslate2.StorageView,
        prompt: list[int],
        tokenizer: Tokenizer,
        options: WhisperOptions,
    ) -> Decoded:
        greedy = dataclasses.replace(options, temperatures=options.temperatures[:1])
        decoded = super().generate_with_fallback(encoder_output, prompt, tokenizer, greedy)
        text = tokenizer.decode(decoded[0].sequences_ids[0]).strip()
        seconds = heard_frames(self._window.features) / FRAMES_PER_SECOND
        if not decoding_failed(decoded, text, seconds, greedy):
            return decoded
        full_window = super().encode(self._window.features)
        return super().generate_with_fallback(full_window, prompt, tokenizer, options)


def load_whisper_model(settings: SttSettings) -> WhisperModel:
    """The configured model on the CPU with the configured compute type and threads, its
    encoder window cut to the audio plus `encoder_padding_s` unless that is off."""
    options: dict[str, Any] = {
        "device": "cpu",
        "compute_type": settings.compute_type,
        "cpu_threads": settings.cpu_threads,
        "num_workers": settings.max_concurrency,
    }
    if settings.encoder_padding_s >= WHISPER_WINDOW_S:
        return WhisperModel(settings.model_path(), **options)
    return ShortWindowWhisper(
        settings.model_path(), padding_s=settings.encoder_padding_s, **options
    )


def whisper_options(settings: SttSettings, options: TranscriptionOptions) -> dict[str, Any]:
    """Keyword arguments for `WhisperModel.transcribe` for one request."""
    temperature = options.temperature
    return {
        "language": options.language or settings.language or None,
        "beam_size": settings.beam_size,
        "temperature": FALLBACK_TEMPERATURES if temperature == 0 else (temperature,),
        "initial_prompt": options.prompt or None,
        "word_timestamps": options.word_timestamps,
        "vad_filter": settings.vad_filter,
        "vad_parameters": {"min_speech_duration_ms": settings.vad_min_speech_ms},
        "no_speech_threshold": settings.no_speech_threshold,
        "log_prob_threshold": settings.log_prob_threshold,
        "condition_on_previous_text": False,
    }


def _segment(segment: Segment) -> TranscriptionSegment:
    return TranscriptionSegment(
        id=segment.id,
        seek=segment.seek,
        start=segment.start,
        end=segment.end,
        text=segment.text,
        tokens=segment.tokens,
        temperature=segment.temperature or 0.0,
        avg_logprob=segment.avg_logprob,
        compression_ratio=segment.compression_ratio,
        no_speech_prob=segment.no_speech_prob,
    )


def to_transcription(segments: Iterable[Segment], info: TranscriptionInfo) -> Transcription:
    """faster-whisper's output as a `Transcription` (words without their leading spaces)."""
    decoded = list(segments)
    return Transcription(
        text="".join(segment.text for segment in decoded).strip(),
        language=language_name(info.language),
        duration=info.duration,
        segments=[_segment(segment) for segment in decoded],
        words=[
            TranscriptionWord(word=word.word.strip(), start=word.start, end=word.end)
            for segment in decoded
            for word in segment.words or ()
        ],
    )


class FasterWhisperProvider:
    """Runs a faster-whisper model in worker threads."""

    def __init__(self, settings: SttSettings) -> None:
        self._settings = settings
        self._model: WhisperModel | None = None
        self.model_id = faster_whisper_model_id(settings)

    @property
    def loaded(self) -> bool:
        return self._model is not None

    def load(self) -> None:
        self._model = load_whisper_model(self._settings)

    async def transcribe(self, audio: Samples, options: TranscriptionOptions) -> Transcription:
        return await asyncio.to_thread(self._transcribe, audio, options)

    def _transcribe(self, audio: Samples, options: TranscriptionOptions) -> Transcription:
        if self._model is None:
            raise RuntimeError("the faster-whisper model is not loaded yet")
        segments, info = self._model.transcribe(audio, **whisper_options(self._settings, options))
        return to_transcription(segments, info)

    async def aclose(self) -> None:
        self._model = None
