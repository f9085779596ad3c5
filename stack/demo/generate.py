"""`python -m stack.demo.generate`: make the demo's sample speech again (`speech/*.flac`).

Alice's lines are spoken by the bundled Piper voice, Bob's by espeak-ng (installed by
`make demo`), with the same synthesis the ledger cases use; each file is 16 kHz mono FLAC with
a short silence after the speech.
"""

from __future__ import annotations

import numpy as np

from bot.demo.script import LINES, SPEECH_RATE, Line
from ledgers.generate import GenerateError, espeak_speech, piper_speech
from voxhall.audio import Samples, encode_audio

TAIL_S = 0.3


def line_audio(line: Line) -> Samples:
    """The line spoken by its voice, at 16 kHz."""
    if line.voice == "piper":
        speech = piper_speech(line.text, 1.0)
    else:
        engine, _, voice = line.voice.partition(":")
        if engine != "espeak-ng":
            raise GenerateError(f"unknown voice {line.voice!r}")
        speech = espeak_speech(voice, line.text, 1.0)
    tail = np.zeros(round(TAIL_S * SPEECH_RATE), dtype=np.float32)
    return np.concatenate([speech, tail]).astype(np.float32)


def main() -> None:
    for index, line in enumerate(LINES, start=1):
        path = line.audio_path(index)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(encode_audio(line_audio(line), SPEECH_RATE, "flac"))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
