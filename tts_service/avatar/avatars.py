"""Avatar folders and their sprites: every (mouth, blink) state composited once, as YUV planes.

An avatar is a folder with `manifest.json`, a base image and transparent overlays for the nine
mouth shapes and the two blink stages (see `avatars/README.md`). `Sprites` composites each
state once per clip size and converts it to yuv420p, so that drawing a frame is only a crop of
a precomputed canvas (the crop offset is the idle motion) and encoding dominates the work.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image

from tts_service.avatar.visemes import REST, SHAPES

BLINKS = ("open", "half", "closed")
"""Eye states; `open` is the base image itself."""

SHIPPED_AVATARS = Path(__file__).parent / "avatars"
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


class AvatarError(ValueError):
    """An avatar is unknown or its folder is incomplete; the message says what is wrong."""


@dataclass(frozen=True)
class Avatar:
    """A loaded avatar: its images as RGBA, all of the manifest's size."""

    name: str
    base: Image.Image
    mouths: dict[str, Image.Image]
    blinks: dict[str, Image.Image]

    def still(self) -> Image.Image:
        """The avatar at rest (mouth X, eyes open), e.g. the source image for hosted renderers."""
        return Image.alpha_composite(self.base, self.mouths[REST]).convert("RGB")

    def still_png(self) -> bytes:
        buffer = io.BytesIO()
        self.still().save(buffer, format="PNG")
        return buffer.getvalue()


def avatar_names(avatars_dir: Path = SHIPPED_AVATARS) -> list[str]:
    """The avatars in a folder (subfolders with a manifest), sorted."""
    return sorted(p.parent.name for p in avatars_dir.glob("*/manifest.json"))


def load_avatar(name: str, avatars_dir: Path = SHIPPED_AVATARS) -> Avatar:
    """Load the avatar `name` from `avatars_dir`; raises `AvatarError` with a clear reason."""
    if not _NAME.match(name):
        raise AvatarError(f"{name!r} is not an avatar name (lowercase letters, digits, - and _)")
    folder = avatars_dir / name
    if not (folder / "manifest.json").is_file():
        known = ", ".join(avatar_names(avatars_dir)) or "none"
        raise AvatarError(f"no avatar named {name!r} in {avatars_dir} (known: {known})")
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    size = int(manifest["size"])
    mouths, blinks = manifest.get("mouths", {}), manifest.get("blinks", {})
    missing = [s for s in SHAPES if s not in mouths] + [b for b in BLINKS[1:] if b not in blinks]
    if missing:
        raise AvatarError(f"avatar {name!r} lacks images for: {', '.join(missing)}")

    def image(file: str) -> Image.Image:
        loaded = Image.open(folder / file).convert("RGBA")
        if loaded.size != (size, size):
            raise AvatarError(f"{folder / file} is {loaded.size}, not {size}x{size}")
        return loaded

    return Avatar(
        name=name,
        base=image(manifest["base"]),
        mouths={shape: image(mouths[shape]) for shape in SHAPES},
        blinks={stage: image(blinks[stage]) for stage in BLINKS[1:]},
    )


class Sprites:
    """Every (mouth, blink) state of an avatar at one size, ready to crop into frames.

    Each state is a canvas `size + 2 * bob` pixels tall (the top and bottom rows repeated), so
    a frame is the window starting `dy` rows down, 0 <= dy <= 2 * bob, dy even.
    """

    def __init__(self, avatar: Avatar, size: int, bob: int = 4) -> None:
        if size % 4 or bob % 2:
            raise ValueError("the size must be a multiple of 4 and the bob even")
        self.size, self.bob = size, bob
        self._planes = {
            (shape, blink): self._yuv_canvas(self._composite(avatar, shape, blink))
            for shape in SHAPES
            for blink in BLINKS
        }

    @staticmethod
    def _composite(avatar: Avatar, shape: str, blink: str) -> Image.Image:
        image = Image.alpha_composite(avatar.base, avatar.mouths[shape])
        if blink != "open":
            image = Image.alpha_composite(image, avatar.blinks[blink])
        return image.convert("RGB")

    def _yuv_canvas(self, image: Image.Image) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rgb = np.asarray(image.resize((self.size, self.size), Image.Resampling.LANCZOS))
        padded = np.pad(rgb, ((self.bob, self.bob), (0, 0), (0, 0)), mode="edge")
        height = padded.shape[0]
        frame = av.VideoFrame.from_ndarray(padded, format="rgb24").reformat(format="yuv420p")
        packed = frame.to_ndarray()
        chroma = (height // 2, self.size // 2)
        u = packed[height : height + height // 4].reshape(chroma)
        v = packed[height + height // 4 :].reshape(chroma)
        return packed[:height], u, v

    def frame(self, shape: str, blink: str, dy: int) -> np.ndarray:
        """A yuv420p frame (`size * 3 // 2` rows, as `av.VideoFrame.from_ndarray` wants)."""
        y, u, v = self._planes[(shape, blink)]
        half, quarter = self.size // 2, self.size // 4
        return np.concatenate(
            (
                y[dy : dy + self.size],
                u[dy // 2 : dy // 2 + half].reshape(quarter, self.size),
                v[dy // 2 : dy // 2 + half].reshape(quarter, self.size),
            )
        )
