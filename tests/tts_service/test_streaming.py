"""The streaming parts: the thread bridge stops when closed; rendering resamples seamlessly."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import numpy as np
import pytest

from tts_service.providers.base import AudioPiece
from tts_service.providers.threaded import iterate_in_thread
from tts_service.streaming import AudioRenderer


async def test_closing_the_bridge_stops_the_worker() -> None:
    produced: list[int] = []
    release = threading.Event()

    def numbers() -> Iterator[int]:
        for number in range(100):
            produced.append(number)
            yield number
            release.wait(timeout=0.05)

    stream = iterate_in_thread(numbers())
    assert await anext(stream) == 0
    await stream.aclose()  # returns once the worker has stopped
    count = len(produced)
    release.set()
    assert count < 100
    assert len(produced) == count


async def test_worker_errors_reach_the_consumer() -> None:
    def failing() -> Iterator[int]:
        yield 1
        raise RuntimeError("voice crashed")

    received = []
    try:
        async for item in iterate_in_thread(failing()):
            received.append(item)
    except RuntimeError as error:
        assert str(error) == "voice crashed"
    else:
        raise AssertionError("the error was swallowed")
    assert received == [1]


def test_renderer_resamples_pieces_as_one_stream() -> None:
    rate = 22_050
    tone = np.sin(2 * np.pi * 440 * np.arange(rate) / rate).astype(np.float32) * 0.5
    renderer = AudioRenderer("pcm", 48_000, 2)
    pcm = b"".join(renderer.render(AudioPiece(piece, rate)) for piece in np.array_split(tone, 7))
    pcm += renderer.finish()
    frames = np.frombuffer(pcm, "<i2").reshape(-1, 2).astype(np.float32) / 32768
    assert abs(frames.shape[0] - 48_000) <= 2
    assert renderer.seconds == pytest.approx(1.0)
    steady = frames[1000:-1000, 0]
    assert np.abs(np.diff(steady)).max() < 0.05  # no clicks where pieces met
