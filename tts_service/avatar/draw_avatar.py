"""Draws the shipped avatar "pip" procedurally (Pillow): a base image, nine mouths, two blinks.

Run `python -m tts_service.avatar.draw_avatar [OUT_DIR]` to redraw it into
`tts_service/avatar/avatars/pip/`. Everything is drawn at twice the size and scaled down, so
edges are smooth. Overlays (mouths, eyelids) are full-size transparent PNGs laid on the base.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

SIZE = 512
SCALE = 2
S = SIZE * SCALE
SKIN = (246, 205, 170)
SKIN_SHADE = (228, 178, 142)
HAIR = (62, 44, 84)
LIP = (196, 92, 98)
MOUTH_DARK = (92, 28, 40)
TEETH = (250, 248, 244)
TONGUE = (222, 110, 118)
LASH = (40, 30, 50)
EYE_Y = 262
EYE_XS = (196, 316)
MOUTH_X, MOUTH_Y = 256, 352

Painter = Callable[[ImageDraw.ImageDraw], None]


def px(*values: float) -> list[float]:
    """Design units (a 512 canvas) to drawing pixels."""
    return [v * SCALE for v in values]


def layer(paint: Painter) -> Image.Image:
    """A transparent full-size layer painted by `paint`, scaled down to SIZE."""
    image = Image.new("RGBA", (S, S), (0, 0, 0, 0))
    paint(ImageDraw.Draw(image))
    return image.resize((SIZE, SIZE), Image.Resampling.BOX)


def background() -> Image.Image:
    """A soft teal-to-violet radial gradient."""
    image = Image.radial_gradient("L").resize((SIZE, SIZE))
    inner = Image.new("RGB", (SIZE, SIZE), (120, 200, 196))
    outer = Image.new("RGB", (SIZE, SIZE), (70, 74, 140))
    return Image.composite(outer, inner, image).convert("RGBA")


def paint_body(draw: ImageDraw.ImageDraw) -> None:
    draw.ellipse(px(96, 430, 416, 640), fill=(240, 176, 72))
    draw.rectangle(px(222, 380, 290, 450), fill=SKIN_SHADE)
    draw.polygon(px(210, 436, 256, 480, 302, 436), fill=SKIN_SHADE)
    draw.ellipse(px(110, 130, 402, 420), fill=SKIN)
    draw.ellipse(px(98, 244, 136, 310), fill=SKIN_SHADE)
    draw.ellipse(px(376, 244, 414, 310), fill=SKIN_SHADE)


def paint_hair(draw: ImageDraw.ImageDraw) -> None:
    draw.chord(px(100, 96, 412, 330), 180, 360, fill=HAIR)
    draw.ellipse(px(120, 120, 250, 230), fill=HAIR)
    draw.ellipse(px(230, 104, 390, 214), fill=HAIR)
    draw.polygon(px(112, 214, 150, 150, 160, 290), fill=HAIR)
    draw.polygon(px(400, 214, 362, 150, 352, 290), fill=HAIR)
    draw.ellipse(px(280, 120, 330, 150), fill=(96, 72, 126))


def paint_face(draw: ImageDraw.ImageDraw) -> None:
    for x in EYE_XS:
        draw.ellipse(px(x - 26, EYE_Y - 30, x + 26, EYE_Y + 30), fill=(255, 255, 255))
        draw.ellipse(px(x - 18, EYE_Y - 18, x + 18, EYE_Y + 22), fill=(70, 120, 170))
        draw.ellipse(px(x - 10, EYE_Y - 8, x + 10, EYE_Y + 14), fill=(24, 28, 40))
        draw.ellipse(px(x + 2, EYE_Y - 12, x + 10, EYE_Y - 4), fill=(255, 255, 255))
    for x in (170, 342):
        draw.ellipse(px(x - 26, 312, x + 26, 336), fill=(244, 160, 150))
    draw.arc(px(242, 290, 270, 318), 20, 160, fill=SKIN_SHADE, width=4 * SCALE)


def base_image() -> Image.Image:
    figure = Image.alpha_composite(layer(paint_body), layer(paint_face))
    figure = Image.alpha_composite(figure, layer(paint_hair))
    shadow = figure.getchannel("A").filter(ImageFilter.GaussianBlur(10))
    result = background()
    result.paste((30, 30, 60, 255), (6, 8), Image.eval(shadow, lambda a: a // 3))
    return Image.alpha_composite(result, figure).convert("RGB")


def open_mouth(width: float, height: float, *, teeth: bool, tongue: str | None) -> Painter:
    """A mouth opening `height` tall; `tongue` is None, "low" or "high"."""

    def paint(draw: ImageDraw.ImageDraw) -> None:
        box = px(MOUTH_X - width, MOUTH_Y - height / 2, MOUTH_X + width, MOUTH_Y + height / 2)
        draw.ellipse([box[0] - 5, box[1] - 5, box[2] + 5, box[3] + 5], fill=LIP)
        draw.ellipse(box, fill=MOUTH_DARK)
        if tongue:
            inner = [box[0] + 6, box[1] + 6, box[2] - 6, box[3] - 4]
            reach = 25 if tongue == "low" else -15
            draw.chord(inner, reach, 180 - reach, fill=TONGUE)
        if teeth:
            draw.chord(
                px(
                    MOUTH_X - width * 0.8,
                    MOUTH_Y - height / 2 - 2,
                    MOUTH_X + width * 0.8,
                    MOUTH_Y - height / 2 + height * 0.5,
                ),
                180,
                360,
                fill=TEETH,
            )

    return paint


def closed_mouth(width: float, thickness: float, smile: float) -> Painter:
    def paint(draw: ImageDraw.ImageDraw) -> None:
        draw.arc(
            px(MOUTH_X - width, MOUTH_Y - smile - 8, MOUTH_X + width, MOUTH_Y + smile),
            15,
            165,
            fill=LIP,
            width=int(thickness * SCALE),
        )

    return paint


def teeth_on_lip(draw: ImageDraw.ImageDraw) -> None:
    draw.rounded_rectangle(
        px(MOUTH_X - 28, MOUTH_Y - 10, MOUTH_X + 28, MOUTH_Y + 12), 10 * SCALE, fill=LIP
    )
    draw.rectangle(px(MOUTH_X - 20, MOUTH_Y - 8, MOUTH_X + 20, MOUTH_Y + 2), fill=TEETH)


MOUTHS: dict[str, Painter] = {
    "X": closed_mouth(30, 6, 8),
    "A": closed_mouth(26, 9, 2),
    "B": open_mouth(28, 12, teeth=True, tongue=None),
    "C": open_mouth(30, 28, teeth=True, tongue="low"),
    "D": open_mouth(34, 46, teeth=True, tongue="low"),
    "E": open_mouth(22, 30, teeth=False, tongue="low"),
    "F": open_mouth(13, 20, teeth=False, tongue=None),
    "G": teeth_on_lip,
    "H": open_mouth(28, 30, teeth=True, tongue="high"),
}


def eyelids(fraction: float) -> Painter:
    """Skin-coloured lids covering `fraction` of each eye from the top, with a lash line."""

    def paint(draw: ImageDraw.ImageDraw) -> None:
        for x in EYE_XS:
            draw.ellipse(px(x - 28, EYE_Y - 32, x + 28, EYE_Y + 32), fill=SKIN)
        if fraction >= 1:
            for x in EYE_XS:
                draw.arc(
                    px(x - 24, EYE_Y - 16, x + 24, EYE_Y + 12), 20, 160, fill=LASH, width=4 * SCALE
                )
            return
        bottom = EYE_Y - 32 + 64 * fraction
        draw.rectangle(px(0, bottom, SIZE, SIZE), fill=(0, 0, 0, 0))
        half_width = 28 * (1 - ((bottom - EYE_Y) / 32) ** 2) ** 0.5
        for x in EYE_XS:
            draw.line(
                px(x - half_width, bottom, x + half_width, bottom), fill=LASH, width=4 * SCALE
            )

    return paint


def draw(out: Path) -> None:
    """Write the avatar folder `out` (images and manifest.json)."""
    out.mkdir(parents=True, exist_ok=True)
    base_image().save(out / "base.png", optimize=True)
    for shape, paint in MOUTHS.items():
        layer(paint).save(out / f"mouth_{shape}.png", optimize=True)
    blinks = {"half": 0.5, "closed": 1.0}
    for name, fraction in blinks.items():
        layer(eyelids(fraction)).save(out / f"blink_{name}.png", optimize=True)
    manifest = {
        "name": out.name,
        "description": "Pip, a cheerful cartoon host drawn procedurally for Voxhall.",
        "license": "Same as Voxhall; drawn by tts_service/avatar/draw_avatar.py.",
        "size": SIZE,
        "base": "base.png",
        "mouths": {shape: f"mouth_{shape}.png" for shape in MOUTHS},
        "blinks": {name: f"blink_{name}.png" for name in blinks},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    draw(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "avatars" / "pip")
