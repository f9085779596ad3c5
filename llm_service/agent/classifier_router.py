"""Tool choice by a classifier trained on the offered tools' example requests, at run time.

The nearest-neighbour routers (`tool_router`, `embedding_router`) let the two closest
documents of each candidate speak for it; with a handful of examples per tool that is noisy,
and two tools with close examples pull the same requests. Here every document of every
candidate (see `routing.ExampleRouter`) is one training row: its sentence embedding (meaning,
`embeddings`) beside its character n-gram TF-IDF vector scaled by `words_weight` (the words
that tell two close tools apart, "issue 42" is one issue), and a linear support-vector
classifier (scikit-learn's `LinearSVC`, one-vs-rest, balanced class weights so plain chat's many
lines do not outweigh a tool's few) learns one class per candidate. A request's scores are the
classes' decision margins; the best candidate wins, a tool only when its margin reaches
`min_similarity` (`router_classifier_min_margin`, calibrated by `bench/router_calibration.py`
without the scored or held-out sets). The model is refitted only when the offered tools or their
examples change (about 0.5 s for the four built-in servers, done at start by `warm`); a logistic
regression scored the same but took 5 s to fit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from llm_service.agent.chatter import CHAT
from llm_service.agent.embeddings import SentenceEmbedder, Vectors
from llm_service.agent.routing import ExampleRouter

STRENGTH = 1.0
"""Inverse regularization strength (scikit-learn's `C`): chosen on the calibration requests."""


class ClassifierRouter(ExampleRouter):
    """A linear classifier over embeddings and weighted TF-IDF (see the module)."""

    def __init__(
        self,
        min_similarity: float,
        embedder: SentenceEmbedder,
        words_weight: float,
        chat: Sequence[str] = CHAT,
    ) -> None:
        super().__init__(min_similarity, chat)
        self.embedder = embedder
        self.words_weight = words_weight
        self._vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True
        )
        self._model: LinearSVC | None = None
        self._labels: tuple[str, ...] = ()

    def _features(self, meaning: Vectors, texts: Sequence[str]) -> Any:
        words = self._vectorizer.transform([text.lower() for text in texts])
        return sparse.hstack([sparse.csr_matrix(meaning), self.words_weight * words]).tocsr()

    def _fit(self, documents: list[str], labels: list[str]) -> None:
        self._labels = tuple(dict.fromkeys(labels))
        if len(self._labels) < 2:
            self._model = None
            return
        self._vectorizer.fit([document.lower() for document in documents])
        features = self._features(self.embedder.embed_documents(documents), documents)
        model = LinearSVC(C=STRENGTH, class_weight="balanced")
        self._model = model.fit(features, np.array(labels))

    def _label_scores(self, text: str) -> dict[str, float]:
        if self._model is None:
            return dict.fromkeys(self._labels, 0.0)
        features = self._features(self.embedder.embed([text]), [text])
        margins = np.atleast_1d(self._model.decision_function(features)[0])
        if len(margins) == 1:
            margins = np.array([-margins[0], margins[0]])
        return {
            str(label): float(margin)
            for label, margin in zip(self._model.classes_, margins, strict=True)
        }
