"""The frame plan of a clip: per frame, its mouth shape, eye state and idle offset.

Blinks come every 2.5 to 5 seconds (a seeded schedule, so a clip renders the same every time)
and take three frames: half closed, closed, half closed. The idle motion is a slow vertical
sway of a few pixels, in even steps so the yuv420p chroma planes move with the luma.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

BLINK_STAGES = ("half", "closed", "half")
BLINK_GAP_S = (2.5, 5.0)
SWAY_PERIOD_S = 3.6


@dataclass(frozen=True)
class FrameState:
    """What one frame shows."""

    shape: str
    blink: str
    dy: int


def blink_track(frames: int, fps: int, seed: int = 7) -> list[str]:
    """The eye state of each frame."""
    eyes = ["open"] * frames
    rng = np.random.default_rng(seed)
    at = rng.uniform(0.8, BLINK_GAP_S[0])
    while (start := int(at * fps)) < frames:
        for offset, stage in enumerate(BLINK_STAGES):
            if start + offset < frames:
                eyes[start + offset] = stage
        at += rng.uniform(*BLINK_GAP_S)
    return eyes


def sway(frame: int, fps: int, bob: int) -> int:
    """The idle offset (even, 0 to 2 * bob) of a frame."""
    phase = math.sin(2 * math.pi * frame / (fps * SWAY_PERIOD_S))
    return 2 * round(bob * (1 + phase) / 2)


def plan_frames(track: str, fps: int, bob: int = 4) -> list[FrameState]:
    """The frame plan for a viseme track (one mouth shape per frame)."""
    eyes = blink_track(len(track), fps)
    return [
        FrameState(shape, eye, sway(index, fps, bob))
        for index, (shape, eye) in enumerate(zip(track, eyes, strict=True))
    ]
