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

from collections.abc import Sequence
from typing import Any

from llm_service.agent.chatter import CHAT
from llm_service.agent.classifier_router import ClassifierRouter
from llm_service.agent.connections import AgentTool
from llm_service.agent.embeddings import SentenceEmbedder, Vectors, shared_embedder
from llm_service.agent.routing import (
    ExampleRouter,
    Examples,
    Router,
    ScoringRouter,
    label_rows,
    nearest_scores,
)
from llm_service.agent.tool_router import ToolRouter
from llm_service.settings import AgentSettings


class EmbeddingRouter(ExampleRouter):
    """Nearest-neighbour tool choice over embedded example requests (see the module)."""

    def __init__(
        self,
        min_similarity: float,
        embedder: SentenceEmbedder | None = None,
        chat: Sequence[str] = CHAT,
    ) -> None:
        super().__init__(min_similarity, chat)
        self.embedder = embedder or shared_embedder()
        self._matrix: Vectors | None = None
        self._groups: dict[str, Any] = {}

    def _fit(self, documents: list[str], labels: list[str]) -> None:
        self._matrix = self.embedder.embed_documents(documents)
        self._groups = label_rows(labels)

    def _label_scores(self, text: str) -> dict[str, float]:
        assert self._matrix is not None
        return nearest_scores(self._matrix @ self.embedder.embed([text])[0], self._groups)


class HybridRouter(ScoringRouter):
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

    def warm(self, tools: Sequence[AgentTool], examples: Examples | None = None) -> None:
        """Load the model and build both indexes for `tools` now."""
        self.embedding.warm(tools, examples)
        self.tfidf.warm(tools, examples)

    def scores(
        self, text: str, tools: Sequence[AgentTool], examples: Examples | None = None
    ) -> dict[str, float]:
        meaning = self.embedding.scores(text, tools, examples)
        words = self.tfidf.scores(text, tools, examples)
        return {
            label: self.weight * meaning[label] + (1 - self.weight) * words[label]
            for label in meaning
        }


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
    if kind == "classifier":
        return ClassifierRouter(
            settings.router_classifier_min_margin,
            embedding.embedder,
            settings.router_classifier_words_weight,
        )
    if kind == "hybrid":
        return HybridRouter(
            settings.router_hybrid_min_similarity, settings.router_hybrid_weight, embedding, tfidf
        )
    raise ValueError(f"unknown router {kind!r}: tfidf, embedding, hybrid or classifier")
