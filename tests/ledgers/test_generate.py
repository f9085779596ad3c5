"""The shipped cases' audio: regenerated from the recipes, it is what the repository holds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ledgers.format import load_ledger
from ledgers.generate import CASES, RATE, generate, mix_noise, render, reverb
from tests.ledgers.support import header, turn, write_ledger
from voxhall.audio import decode_audio


@pytest.mark.parametrize(
    "case", ["chat-hello", "chat-espeak-question", "aws-alarms-noisy", "speech-in-noise-reverb"]
)
def test_regenerating_a_case_gives_the_audio_in_the_repository(case: str) -> None:
    ledger = load_ledger(CASES / f"{case}.jsonl")

    for turn_ in ledger.turns:
        shipped = ledger.audio_path(turn_)
        assert shipped is not None
        made = render(ledger, turn_)
        kept = decode_audio(shipped.read_bytes(), RATE)
        assert made.size == kept.size
        assert float(np.abs(made - kept).max()) < 1e-3


def test_recipes_make_silence_noise_and_speech_files(tmp_path: Path) -> None:
    path = write_ledger(
        tmp_path / "made.jsonl",
        header("made"),
        turn(1, "", audio="a/1.flac", synth={"source": "silence", "seconds": 1}),
        turn(2, "", audio="a/2.flac", synth={"source": "noise", "seconds": 1}),
        turn(3, "Hello there.", audio="a/3.flac", synth={"voice": "espeak-ng:en-us"}),
        turn(4, "No recipe, no audio."),
    )

    written = generate([path])

    assert written == [tmp_path / "a" / f"{n}.flac" for n in (1, 2, 3)]
    silence, noise, speech = (decode_audio(p.read_bytes(), RATE) for p in written)
    assert silence.size == round(1.6 * RATE) and not silence.any()
    assert 0.01 < float(np.abs(noise).max()) < 0.2
    assert float(np.abs(speech).max()) > 0.5


def test_noise_is_mixed_at_the_asked_ratio_and_reverb_lengthens_the_sound() -> None:
    rng = np.random.default_rng(1)
    tone = (0.5 * np.sin(2 * np.pi * 440 * np.arange(RATE) / RATE)).astype(np.float32)

    noisy = mix_noise(tone, 10.0, rng)
    echoing = reverb(tone, 0.5, rng)

    snr = 10 * np.log10(np.mean(tone**2) / np.mean((noisy - tone) ** 2))
    assert snr == pytest.approx(10.0, abs=0.01)
    assert echoing.size == tone.size + round(0.5 * RATE) - 1
