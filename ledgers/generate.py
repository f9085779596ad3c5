"""`python -m ledgers.generate [PATH ...]`: make the cases' audio from their `synth` recipes.

Every turn with a `synth` gets its `audio` file made (default: every case under
`ledgers/cases`). The source is speech by the bundled Piper voice (`piper`) or an espeak-ng
voice (`espeak-ng:en-gb`, ...) at the recipe's speed, or `silence`, or `noise` (a fan's
rumble and hum); then, in this order, optional reverb (a synthetic room: exponentially decaying
noise as the impulse response, `reverb` seconds long), noise mixed in at `snr_db`, and
`lead_in_s` of silence before and 0.3 s after. Files are 16 kHz mono FLAC, which keeps the
repository small and stt_service decodes. Every random choice is seeded from the ledger id
and turn number, so regenerating gives the same audio.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import zlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import numpy as np
from piper import PiperVoice, SynthesisConfig

from ledgers.format import Ledger, Synth, Turn, load_ledgers
from voxhall.audio import WHISPER_RATE, Samples, encode_audio, read_wav, resample
from voxhall.bundled_models import bundled_piper_voice

CASES = Path(__file__).with_name("cases")
RATE = WHISPER_RATE
TAIL_S = 0.3
ESPEAK_WORDS_PER_MINUTE = 165
NOISE_LEVEL = 0.08
HUM_HZ = 100.0
PEAK = 0.7


class GenerateError(RuntimeError):
    """A recipe cannot be made (an unknown voice, espeak-ng missing)."""


@cache
def _piper() -> PiperVoice:
    return PiperVoice.load(str(bundled_piper_voice()))


def piper_speech(text: str, speed: float) -> Samples:
    """`text` by the bundled Piper voice, without its random variation."""
    config = SynthesisConfig(length_scale=1 / speed, noise_scale=0.0, noise_w_scale=0.0)
    chunks = list(_piper().synthesize(text, config))
    samples = np.concatenate([chunk.audio_float_array for chunk in chunks])
    return resample(samples.astype(np.float32), chunks[0].sample_rate, RATE)


def espeak_speech(voice: str, text: str, speed: float, *, ssml: bool = False) -> Samples:
    """`text` by espeak-ng's `voice` (en-us, en-gb, en-gb-scotland, ...); with `ssml`, `text`
    may hold SSML such as `<break time="600ms"/>` (a pause inside one sentence's melody)."""
    executable = shutil.which("espeak-ng")
    if executable is None:
        raise GenerateError("espeak-ng is not installed (apt-get install espeak-ng)")
    words_per_minute = str(round(ESPEAK_WORDS_PER_MINUTE * speed))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "speech.wav"
        command = [executable, "-v", voice, "-s", words_per_minute, "-w", str(path)]
        command += ["-m", text] if ssml else [text]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0 or not path.is_file():
            raise GenerateError(f"espeak-ng voice {voice!r} failed: {done.stderr.strip()}")
        samples, rate = read_wav(path.read_bytes())
    return resample(samples, rate, RATE)


def speech(recipe: Synth, text: str) -> Samples:
    if recipe.voice == "piper":
        return piper_speech(text, recipe.speed)
    engine, _, voice = recipe.voice.partition(":")
    if engine != "espeak-ng" or not voice:
        raise GenerateError(f"unknown voice {recipe.voice!r}: use piper or espeak-ng:<voice>")
    return espeak_speech(voice, text, recipe.speed)


def background_noise(seconds: float, rng: np.random.Generator) -> Samples:
    """A fan: low-passed noise with a soft mains hum, at a steady level."""
    count = round(seconds * RATE)
    rumble = np.convolve(rng.standard_normal(count), np.ones(8) / 8, mode="same")
    hum = 0.3 * np.sin(2 * np.pi * HUM_HZ * np.arange(count) / RATE)
    noise = rumble / (np.abs(rumble).max() or 1.0) + hum
    return (NOISE_LEVEL * noise / np.abs(noise).max()).astype(np.float32)


def reverb(samples: Samples, seconds: float, rng: np.random.Generator) -> Samples:
    """The sound in a room whose echo dies away (by 60 dB) over `seconds`."""
    count = round(seconds * RATE)
    decay = np.exp(-6.9 * np.arange(count) / count)
    response = rng.standard_normal(count) * decay * 0.3
    response[0] = 1.0
    size = samples.size + count - 1
    wet = np.fft.irfft(np.fft.rfft(samples, size) * np.fft.rfft(response, size), size)
    return (wet * np.abs(samples).max() / (np.abs(wet).max() or 1.0)).astype(np.float32)


def mix_noise(samples: Samples, snr_db: float, rng: np.random.Generator) -> Samples:
    """`samples` with background noise at a signal-to-noise ratio of `snr_db`."""
    noise = background_noise(samples.size / RATE, rng)
    signal_power = float(np.mean(samples**2))
    noise_power = float(np.mean(noise**2)) or 1.0
    scale = np.sqrt(signal_power / (noise_power * 10 ** (snr_db / 10)))
    return (samples + scale * noise).astype(np.float32)


def render(ledger: Ledger, turn: Turn) -> Samples:
    """The turn's audio as its recipe says, at 16 kHz."""
    recipe = turn.synth
    assert recipe is not None
    rng = np.random.default_rng(zlib.crc32(f"{ledger.id}#{turn.turn}".encode()))
    seconds = recipe.seconds or 2.0
    if recipe.source == "silence":
        audio = np.zeros(round(seconds * RATE), dtype=np.float32)
    elif recipe.source == "noise":
        audio = background_noise(seconds, rng)
    else:
        audio = speech(recipe, recipe.text or turn.transcript)
        audio = audio * (PEAK / (np.abs(audio).max() or 1.0))
    if recipe.reverb:
        audio = reverb(audio, recipe.reverb, rng)
    if recipe.snr_db is not None:
        audio = mix_noise(audio, recipe.snr_db, rng)
    lead_in = np.zeros(round(recipe.lead_in_s * RATE), dtype=np.float32)
    tail = np.zeros(round(TAIL_S * RATE), dtype=np.float32)
    return np.clip(np.concatenate([lead_in, audio, tail]), -1.0, 1.0).astype(np.float32)


def generate(paths: Sequence[Path]) -> list[Path]:
    """Write the audio of every turn with a recipe; returns the files written."""
    written = []
    for ledger in load_ledgers(paths, check_audio=False):
        for turn in ledger.turns:
            target = ledger.audio_path(turn)
            if turn.synth is None or target is None:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(encode_audio(render(ledger, turn), RATE, "flac"))
            written.append(target)
    return written


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m ledgers.generate",
        description="Make the audio of ledger turns from their synth recipes.",
    )
    parser.add_argument(
        "paths", nargs="*", type=Path, default=[CASES], help="ledgers or folders (default: cases)"
    )
    options = parser.parse_args(argv)
    for path in generate(options.paths):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
