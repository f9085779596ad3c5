"""`render_clip_cli`: text in, clip file out, through a real in-process tts_service."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from stack.avatar import render_clip_cli
from stack.settings import Settings
from tts_service.avatar.avatars import AvatarError
from tts_service.settings import AvatarSettings, TtsSettings


def settings(cache: Path, out: Path) -> Settings:
    return Settings(
        tts=TtsSettings(alignment_cache_dir=cache),
        avatar=AvatarSettings(_env_file=None, out_dir=out),  # type: ignore[call-arg]
    )


def test_the_cli_function_speaks_and_renders(alignment_cache: Path, tmp_path: Path) -> None:
    out = tmp_path / "clip.mp4"
    clip = render_clip_cli(
        "Good morning, everyone.", out, settings=settings(alignment_cache, tmp_path)
    )
    assert out.read_bytes() == clip.data
    with av.open(str(out)) as container:
        assert container.streams.audio[0].codec_context.name == "aac"
        assert container.duration / av.time_base > 0.5
    assert set(clip.track or "") - {"X"}


def test_an_unknown_avatar_is_named_in_the_error(alignment_cache: Path, tmp_path: Path) -> None:
    with pytest.raises(AvatarError, match=r"no avatar named 'nobody'.*known: pip"):
        render_clip_cli(
            "Hi.", tmp_path / "x.mp4", "nobody", settings=settings(alignment_cache, tmp_path)
        )
    assert not (tmp_path / "x.mp4").exists()
