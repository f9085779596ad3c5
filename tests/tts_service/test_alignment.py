"""Piper voices patched for phoneme timings: cached on disk, or in memory when it cannot be."""

from __future__ import annotations

from pathlib import Path

from piper import PiperVoice

from tts_service.alignment import aligned_model, load_aligned_voice
from voxhall.bundled_models import bundled_piper_voice


def phoneme_samples(voice: PiperVoice) -> tuple[int, int]:
    """(samples covered by phoneme alignments, audio samples) for one sentence."""
    chunk = next(iter(voice.synthesize("Lips move.", include_alignments=True)))
    assert chunk.phoneme_alignments
    covered = sum(int(alignment.num_samples) for alignment in chunk.phoneme_alignments)
    return covered, chunk.audio_float_array.size


def test_patched_copy_is_cached_once(alignment_cache: Path) -> None:
    model = bundled_piper_voice()
    first = aligned_model(model, alignment_cache)
    written = first.stat().st_mtime_ns
    assert first.parent == alignment_cache and first != model
    assert aligned_model(model, alignment_cache) == first
    assert first.stat().st_mtime_ns == written


def test_unwritable_cache_falls_back_to_patching_in_memory(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "cache"
    not_a_folder.write_text("a file where the cache folder should be")
    model = bundled_piper_voice()
    voice = load_aligned_voice(model, model.with_name(model.name + ".json"), not_a_folder, 1)
    covered, samples = phoneme_samples(voice)
    assert covered == samples
