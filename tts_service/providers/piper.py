"""The local provider: Piper voices, synthesized sentence by sentence in a worker thread.

The default voice loads at start-up and speaks one long sentence to warm up; other voices load
on first use. Every voice is loaded with Piper's alignment output (see
`tts_service.alignment`), so the same session serves streaming speech and timed speech.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator

import numpy as np
from opentelemetry import trace
from piper import PiperVoice, SynthesisConfig
from piper.const import BOS, EOS

from tts_service.alignment import default_cache_dir, load_aligned_voice
from tts_service.providers.base import (
    AudioPiece,
    PhonemeTime,
    TimedAudio,
    TimedSentence,
)
from tts_service.providers.threaded import iterate_in_thread
from tts_service.settings import TtsSettings
from tts_service.voices import PiperVoiceFile, VoiceInfo, discover_piper_voices
from voxhall.audio import Samples
from voxhall.sentences import Sentence, split_sentences

_tracer = trace.get_tracer(__name__)
_MARKERS = (BOS, EOS)
WARM_UP_TEXT = (
    "Voxhall is warming up its voice, so that the first answer it speaks comes as quickly as "
    "every later one, and the memory a long sentence needs is set aside before anyone talks."
)


class PiperProvider:
    """Piper voices on this machine."""

    name = "piper"

    def __init__(self, settings: TtsSettings) -> None:
        files = discover_piper_voices(settings.voice_path(), settings.voices_dir)
        self._files: dict[str, PiperVoiceFile] = {voice.info.id: voice for voice in files}
        self._default = files[0].info.id
        self._cache_dir = settings.alignment_cache_dir or default_cache_dir()
        self._cpu_threads = settings.cpu_threads
        self._loaded: dict[str, PiperVoice] = {}
        self._load_lock = threading.Lock()

    @property
    def default_voice(self) -> str:
        return self._default

    def voices(self) -> list[VoiceInfo]:
        return [voice.info for voice in self._files.values()]

    def load(self) -> None:
        """Load the default voice and speak one long sentence with it, so ONNX Runtime's
        arena holds what a long sentence needs before the first request, not after it."""
        voice = self.voice(self._default)
        for _ in voice.synthesize(WARM_UP_TEXT, include_alignments=True):
            pass

    def voice(self, voice_id: str) -> PiperVoice:
        """The loaded voice, loading it on first use."""
        loaded = self._loaded.get(voice_id)
        if loaded is not None:
            return loaded
        with self._load_lock:
            if voice_id not in self._loaded:
                file = self._files[voice_id]
                self._loaded[voice_id] = load_aligned_voice(
                    file.model_path, file.config_path, self._cache_dir, self._cpu_threads
                )
            return self._loaded[voice_id]

    def stream(self, text: str, voice: str, speed: float) -> AsyncIterator[AudioPiece]:
        return iterate_in_thread(self._sentence_audio(text, voice, speed))

    async def aclose(self) -> None:
        """Nothing to release: loaded voices stay, so the app can be served again at once."""

    def _sentence_audio(self, text: str, voice_id: str, speed: float) -> Iterator[AudioPiece]:
        voice = self.voice(voice_id)
        config = _synthesis_config(voice, speed)
        for index, sentence in enumerate(split_sentences(text)):
            samples, _ = _synthesize_sentence(voice, sentence, config, index, alignments=False)
            yield AudioPiece(samples, voice.config.sample_rate)

    def timed(self, text: str, voice: str, speed: float) -> TimedAudio:
        piper_voice = self.voice(voice)
        rate = piper_voice.config.sample_rate
        config = _synthesis_config(piper_voice, speed)
        clips: list[Samples] = []
        sentences: list[TimedSentence] = []
        offset = 0
        for index, sentence in enumerate(split_sentences(text)):
            samples, phonemes = _synthesize_sentence(
                piper_voice, sentence, config, index, alignments=True
            )
            times = [
                PhonemeTime(phoneme, (offset + start) / rate, (offset + end) / rate)
                for phoneme, start, end in phonemes
            ]
            end = offset + samples.size
            sentences.append(TimedSentence(sentence, offset / rate, end / rate, times))
            clips.append(samples)
            offset = end
        audio = np.concatenate(clips) if clips else np.zeros(0, np.float32)
        return TimedAudio(samples=audio, sample_rate=rate, sentences=sentences)


def _synthesis_config(voice: PiperVoice, speed: float) -> SynthesisConfig:
    """OpenAI's `speed` (2.0 is twice as fast) as Piper's length scale."""
    return SynthesisConfig(length_scale=voice.config.length_scale / speed)


def _synthesize_sentence(
    voice: PiperVoice, sentence: Sentence, config: SynthesisConfig, index: int, *, alignments: bool
) -> tuple[Samples, list[tuple[str, int, int]]]:
    """One sentence's audio and, with `alignments`, (phoneme, start, end) in samples.

    The span ends when the sentence is synthesized, before its audio is handed on.
    """
    span = _tracer.start_span(
        "tts.sentence",
        attributes={"tts.sentence.index": index, "tts.sentence.chars": len(sentence.text)},
    )
    try:
        chunks = list(voice.synthesize(sentence.text, config, include_alignments=alignments))
        span.set_attribute("tts.sentence.samples", sum(c.audio_float_array.size for c in chunks))
    finally:
        span.end()
    phonemes: list[tuple[str, int, int]] = []
    offset = 0
    for chunk in chunks:
        position = offset
        chunk_end = offset + chunk.audio_float_array.size
        for alignment in chunk.phoneme_alignments or ():
            end = min(position + int(alignment.num_samples), chunk_end)
            if alignment.phoneme not in _MARKERS:
                phonemes.append((alignment.phoneme, position, end))
            position = end
        offset += chunk.audio_float_array.size
    if not chunks:
        return np.zeros(0, np.float32), phonemes
    return np.concatenate([chunk.audio_float_array for chunk in chunks]), phonemes
