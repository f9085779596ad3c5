"""Fixtures for the llm_service tests: the bundled SmolLM2 model, loaded once per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from llm_service.backends.local import LocalModel
from llm_service.settings import LlmSettings


@pytest.fixture(scope="session")
def local_model() -> Iterator[LocalModel]:
    """One real llama.cpp model shared by every app the tests start.

    One thread: on a shared 2-core machine, llama.cpp's two spinning threads slow to a crawl
    whenever other processes need the CPU.
    """
    model = LocalModel.from_settings(LlmSettings(local_threads=1))
    yield model
    model.close()
