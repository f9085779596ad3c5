"""Loading Piper voices so they report phoneme timings, via patched copies kept in a cache.

Piper reports how many samples each phoneme lasts only when the voice model exposes its
duration tensor as an output. Released voices do not, so the first load writes a patched copy
(`piper.patch_voice_with_alignment`) into the cache and later loads use that copy: cheaper in
memory than patching in memory on every start. The ONNX session is built here (rather than by
`PiperVoice.load`) so its CPU thread count follows `VOXHALL_TTS_CPU_THREADS`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path

import onnxruntime
from piper import PiperVoice
from piper.config import PiperConfig

logger = logging.getLogger(__name__)


def default_cache_dir() -> Path:
    """`$XDG_CACHE_HOME/voxhall/piper-aligned`, or under `~/.cache`."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "voxhall" / "piper-aligned"


def load_aligned_voice(
    model_path: Path, config_path: Path, cache_dir: Path, cpu_threads: int = 0
) -> PiperVoice:
    """Load a Piper voice whose synthesis can report phoneme alignments.

    `cpu_threads` 0 lets ONNX Runtime choose. When the cache folder cannot be written, the
    model is patched in memory instead.
    """
    model: str | bytes
    try:
        model = str(aligned_model(model_path, cache_dir))
    except OSError as error:
        logger.warning(
            "cannot cache an aligned voice in %s (%s); patching in memory", cache_dir, error
        )
        model = _patched_in_memory(model_path)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = cpu_threads
    # Every sentence is a new input length; with memory patterns on, ONNX Runtime plans a
    # block per length and its arena kept growing over a soak (650 MB after 80 random
    # sentences against 466 MB without, at the same speed: see the README's Reliability).
    options.enable_mem_pattern = False
    session = onnxruntime.InferenceSession(
        model, sess_options=options, providers=["CPUExecutionProvider"]
    )
    config = PiperConfig.from_dict(json.loads(config_path.read_text(encoding="utf-8")))
    return PiperVoice(session=session, config=config)


def aligned_model(model_path: Path, cache_dir: Path) -> Path:
    """A model file with the alignment output: a cached patched copy, or the model itself
    when it already has that output or has no duration tensor to expose."""
    stat = model_path.stat()
    key = hashlib.sha256(f"{model_path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    cached = cache_dir / f"{model_path.stem}-{key.hexdigest()[:16]}.onnx"
    if cached.exists():
        return cached
    import onnx

    model = onnx.load(str(model_path))
    if not _add_alignment_output(model, model_path):
        return model_path
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(f".{os.getpid()}.partial")
    onnx.save(model, str(partial))
    partial.replace(cached)
    logger.info("cached %s with its alignment output at %s", model_path.name, cached)
    return cached


def _patched_in_memory(model_path: Path) -> bytes | str:
    import onnx

    model = onnx.load(str(model_path))
    if not _add_alignment_output(model, model_path):
        return str(model_path)
    return model.SerializeToString()


def _add_alignment_output(model: object, model_path: Path) -> bool:
    """Patch `model` in place; False when it already has the output or cannot get it."""
    from piper.patch_voice_with_alignment import add_alignment_output

    try:
        add_alignment_output(model)  # type: ignore[arg-type]
    except ValueError as error:
        logger.info("using %s as it is for alignments: %s", model_path.name, error)
        return False
    return True
