"""Tool choice by sentence embeddings (all-MiniLM-L6-v2 on ONNX Runtime, see `embeddings`).

The same nearest-neighbour scheme as `tool_router.ToolRouter`, with meaning instead of
spelling: the request and every document are embedded, and each candidate (each offered tool,
and plain chat with the `chatter.CHAT` requests) scores the mean cosine similarity of its
`NEIGHBOURS` nearest documents. A tool's documents are the requests its server publishes in the
tool's `_meta` and those of the server's table in voxhall.toml, and three written from the tool
itself, so a tool without examples is still found: its server and name, its name and
description, and its name with its parameters (`tool_documents`). The best candidate wins; a
tool only when its score reaches the threshold (`router_embedding_min_similarity`, calibrated
by `bench/router_calibration.py` on the development requests and on each published example
left out in turn), plain chat otherwise.

`HybridRouter` adds the two scores up, weighted: embeddings for the meaning, character
n-grams for the words that say which of two close tools is meant ("issue 42" is one issue).

The embedder keeps each document's embedding, so a change of the offered tools embeds only the
new documents; the model loads on the first request (or `warm`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from llm_service.agent.chatter import CHAT
from llm_service.agent.connections import AgentTool
from llm_service.agent.embeddings import SentenceEmbedder, Vectors, shared_embedder
from llm_service.agent.tool_router import NO_TOOL, RouteChoice, Router, ToolRouter, decide
from llm_service.settings import AgentSettings

NEIGHBOURS = 2


def tool_documents(tool: AgentTool) -> list[str]:
    """What a tool says of itself: server and name, name and description, name and
    parameters."""
    name = tool.name.replace("_", " ")
    properties = tool.input_schema.get("properties") or {}
    parameters = ", ".join(str(key).replace("_", " ") for key in properties)
    documents = [f"{tool.server} {name}", f"{name}: {tool.description}"]
    if parameters:
        documents.append(f"{name} ({parameters})")
    return documents


class EmbeddingRouter:
    """Nearest-neighbour tool choice over embedded example requests (see the module)."""

    def __init__(
        self,
        min_similarity: float,
        embedder: SentenceEmbedder | None = None,
        chat: Sequence[str] = CHAT,
    ) -> None:
        self.min_similarity = min_similarity
        self.embedder = embedder or shared_embedder()
        self._chat = tuple(chat)
        self._key: tuple[object, ...] | None = None
        self._matrix: Vectors | None = None
        self._groups: dict[str, Any] = {}

    def _index(self, tools: Sequence[AgentTool], examples: Mapping[str, Sequence[str]]) -> None:
        said = {name: tuple(phrases) for name, phrases in examples.items()}
        offered = tuple(
            sorted((tool.qualified, tool.examples, *tool_documents(tool)) for tool in tools)
        )
        key = (offered, tuple(sorted(said.items())))
        if key == self._key:
            return
        documents = list(self._chat)
        labels = [NO_TOOL] * len(documents)
        for tool in tools:
            phrases = [*tool_documents(tool), *tool.examples, *said.get(tool.qualified, ())]
            documents += phrases
            labels += [tool.qualified] * len(phrases)
        names = np.array(labels)
        self._matrix = self.embedder.embed_documents(documents)
        self._groups = {label: np.flatnonzero(names == label) for label in dict.fromkeys(labels)}
        self._key = key

    def warm(
        self, tools: Sequence[AgentTool], examples: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        """Load the model and embed the documents of `tools` now, not on the first request."""
        self._index(tools, examples or {})

    def scores(
        self,
        text: str,
        tools: Sequence[AgentTool],
        examples: Mapping[str, Sequence[str]] | None = None,
    ) -> dict[str, float]:
        """Each offered tool's score for the request, and plain chat's (under `NO_TOOL`)."""
        self._index(tools, examples or {})
        assert self._matrix is not None
        similarities = self._matrix @ self.embedder.embed([text])[0]
        return {
            label: float(np.sort(similarities[rows])[-NEIGHBOURS:].mean())
            for label, rows in self._groups.items()
        }

    def choose(
        self,
        text: str,
        tools: Sequence[AgentTool],
        examples: Mapping[str, Sequence[str]] | None = None,
    ) -> RouteChoice:
        """The tool the request asks for, or None when it is plain chat (or no tool is close)."""
        if not tools or not text.strip():
            return RouteChoice(None, 0.0)
        return decide(self.scores(text, tools, examples), tools, self.min_similarity)


class HybridRouter:
    """`weight` times the embedding score plus the rest times the TF-IDF score, per
    candidate; the best wins, a tool only from `min_similarity` on."""

    def __init__(
        self,
        min_similarity: float,
        weight: float,
        embedding: EmbeddingRouter,
        tfidf: ToolRouter,
    ) -> None:
        self.min_similarity = min_similarity
        self.weight = weight
        self.embedding = embedding
        self.tfidf = tfidf

    def warm(
        self, tools: Sequence[AgentTool], examples: Mapping[str, Sequence[str]] | None = None
    ) -> None:
        """Load the model and embed the documents of `tools` now."""
        self.embedding.warm(tools, examples)

    def scores(
        self,
        text: str,
        tools: Sequence[AgentTool],
        examples: Mapping[str, Sequence[str]] | None = None,
    ) -> dict[str, float]:
        meaning = self.embedding.scores(text, tools, examples)
        words = self.tfidf.scores(text, tools, examples)
        return {
            label: self.weight * meaning[label] + (1 - self.weight) * words[label]
            for label in meaning
        }

    def choose(
        self,
        text: str,
        tools: Sequence[AgentTool],
        examples: Mapping[str, Sequence[str]] | None = None,
    ) -> RouteChoice:
        """The tool the request asks for, or None when it is plain chat (or no tool is close)."""
        if not tools or not text.strip():
            return RouteChoice(None, 0.0)
        return decide(self.scores(text, tools, examples), tools, self.min_similarity)


def build_router(settings: AgentSettings, kind: str | None = None) -> Router:
    """The router `settings.router` names (or `kind`), with its threshold; an embedding one
    loads its model only on its first request."""
    kind = kind or settings.router
    tfidf = ToolRouter(settings.router_min_similarity)
    if kind == "tfidf":
        return tfidf
    embedding = EmbeddingRouter(
        settings.router_embedding_min_similarity, shared_embedder(settings.router_threads)
    )
    if kind == "embedding":
        return embedding
    if kind == "hybrid":
        return HybridRouter(
            settings.router_hybrid_min_similarity, settings.router_hybrid_weight, embedding, tfidf
        )
    raise ValueError(f"unknown router {kind!r}: tfidf, embedding or hybrid")
