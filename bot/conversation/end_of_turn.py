"""Whether a person has finished speaking, judged from how their speech ends (Smart Turn v3).

Silence alone cannot tell "book a meeting with ... Sam" from "book a meeting.": both pause.
Smart Turn v3.2 (an 8 MB ONNX model from the `pipecat-ai` wheel, run with ONNX Runtime) hears
the last eight seconds of the utterance, as Whisper-style log-mel features, and gives the
probability that the turn is complete; the segmenter asks it once per pause, shortly after the
pause starts, and ends the turn at once when it is confident. Its features are faster-whisper's
own `FeatureExtractor` with an 8 s window over the waveform normalised to zero mean and unit
variance, identical to the features the model was trained on.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import onnxruntime
from faster_whisper.feature_extractor import FeatureExtractor

from voxhall.audio import WHISPER_RATE, Samples, discord_to_whisper
from voxhall.bundled_models import bundled_smart_turn

WINDOW_S = 8
NORMALISE_EPSILON = 1e-7


class SmartTurn:
    """The Smart Turn v3 model: `completion(pcm)` is the chance the speech in `pcm` is a
    finished turn (0-1)."""

    def __init__(self, model: Path, threads: int = 1) -> None:
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(
            str(model), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self._features = FeatureExtractor(feature_size=80, chunk_length=WINDOW_S)

    def completion(self, pcm: bytes) -> float:
        """Score 48 kHz stereo s16le speech, as the segmenter collects it."""
        return self.completion_of(discord_to_whisper(pcm))

    def completion_of(self, samples: Samples) -> float:
        """Score 16 kHz mono speech: the last `WINDOW_S` seconds, left-padded with silence."""
        window = WINDOW_S * WHISPER_RATE
        audio = samples[-window:]
        audio = np.pad(audio, (window - audio.size, 0))
        audio = (audio - audio.mean()) / np.sqrt(audio.var() + NORMALISE_EPSILON)
        features = self._features(audio, padding=0)[:, : window // self._features.hop_length]
        (scores,) = self._session.run(None, {"input_features": features[None].astype(np.float32)})
        return float(np.asarray(scores).reshape(-1)[0])


@functools.cache
def bundled_smart_turn_model() -> SmartTurn:
    """One Smart Turn model per process, shared by every speaker (loaded on first use)."""
    return SmartTurn(bundled_smart_turn())
