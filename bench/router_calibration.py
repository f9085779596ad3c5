"""Calibrate the routers' thresholds (and the hybrid's weight) without the scored set.

The calibration requests are the development set (`tests/data/agent_requests.jsonl`) and every
published phrasing left out in its fold (`FOLDS`-fold cross-validation): each example a server
publishes in a tool's `_meta` is asked with its fold's examples removed from every tool (it
should pick that tool), and each `chatter.CHAT` request with its fold's requests removed from
the chatter (it should pick none). So that a threshold keeps routing a voxhall.toml server that
publishes no examples, each server's first-fold examples are also asked with all of that
server's examples removed (its tools known by name, description and schema only). Neither
held-out set (`tests/data/agent_requests_scored.jsonl`, `tests/data/agent_requests_heldout.jsonl`)
is read here.

For each router its per-candidate scores are computed once (`scores()`; the hybrid's are the
weighted sum of the other two), then every threshold from 0 to 0.8 in steps of 0.01 is tried:
the chosen one is the middle of those whose selection accuracy over all calibration requests
is within one request of the best (one request either way is noise, not a peak). The
hybrid's weight is chosen the same way among `WEIGHTS`, the classifier's TF-IDF weight among
`WORDS_WEIGHTS` (its scores are the linear classifier's margins, so its threshold, the lowest
margin of the best tool, is tried over `MARGINS`, from -1 to 0.8). The chosen values are the
defaults of `router_min_similarity`, `router_hybrid_min_similarity`, `router_hybrid_weight`,
`router_classifier_min_margin` and `router_classifier_words_weight`
(`llm_service.settings.AgentSettings`), except the embedding router's: calibration says 0.39,
which leaves a server without examples unrouted by description (the weather test of
`tests/llm_service/agent/test_embedding_router.py`), so its default stays 0.35. This prints the
chosen values beside the defaults in force.

Run: `PYTHONPATH=. .venv/bin/python bench/router_calibration.py`.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import numpy.typing as npt
from rich.console import Console
from rich.table import Table

from bench.router import DEV, builtin_tools, load_rows
from llm_service.agent.chatter import CHAT
from llm_service.agent.classifier_router import ClassifierRouter
from llm_service.agent.connections import AgentTool
from llm_service.agent.embedding_router import EmbeddingRouter
from llm_service.agent.embeddings import SentenceEmbedder
from llm_service.agent.routing import NO_TOOL, ExampleRouter
from llm_service.agent.tool_router import ToolRouter
from llm_service.settings import AgentSettings

THRESHOLDS = np.round(np.arange(0.0, 0.81, 0.01), 2)
MARGINS = np.round(np.arange(-1.0, 0.81, 0.01), 2)
"""The classifier's thresholds: its scores are margins, below zero when no class is sure."""
WEIGHTS = (0.5, 0.6, 0.7, 0.8, 0.9)
WORDS_WEIGHTS = (0.0, 0.5, 1.0, 1.5, 2.0)
FOLDS = 5
Scorer = Callable[[str, Sequence[AgentTool], Sequence[str]], dict[str, float]]


@dataclass(frozen=True)
class Case:
    """One calibration request: the tools and chatter it is asked against, and the answer."""

    request: str
    expected: str
    tools: tuple[AgentTool, ...]
    chat: tuple[str, ...]
    source: str


def cases(tools: Sequence[AgentTool]) -> list[Case]:
    """The development rows, then each fold's published examples and chatter lines, each
    asked against the tools and chatter without that fold."""
    offered = tuple(tools)
    found = [Case(row.request, row.tool or NO_TOOL, offered, CHAT, "dev") for row in load_rows(DEV)]
    for fold in range(FOLDS):
        kept = tuple(
            dataclasses.replace(tool, examples=_outside(tool.examples, fold)) for tool in offered
        )
        chat = _outside(CHAT, fold)
        found += [
            Case(example, tool.qualified, kept, chat, "example left out")
            for tool in offered
            for example in _inside(tool.examples, fold)
        ]
        found += [
            Case(line, NO_TOOL, kept, chat, "chatter left out") for line in _inside(CHAT, fold)
        ]
    return found + _unlisted(offered)


def _unlisted(offered: tuple[AgentTool, ...]) -> list[Case]:
    """Each server's first-fold examples asked with that server's examples all removed, as a
    voxhall.toml server offers its tools: routed by name, description and schema alone."""
    found = []
    for server in dict.fromkeys(tool.server for tool in offered):
        bare = tuple(
            dataclasses.replace(tool, examples=()) if tool.server == server else tool
            for tool in offered
        )
        found += [
            Case(example, tool.qualified, bare, CHAT, "server without examples")
            for tool in offered
            if tool.server == server
            for example in _inside(tool.examples, 0)
        ]
    return found


def _inside(phrases: Sequence[str], fold: int) -> tuple[str, ...]:
    return tuple(phrase for index, phrase in enumerate(phrases) if index % FOLDS == fold)


def _outside(phrases: Sequence[str], fold: int) -> tuple[str, ...]:
    return tuple(phrase for index, phrase in enumerate(phrases) if index % FOLDS != fold)


def scorer(build: Callable[[Sequence[str]], ExampleRouter]) -> Scorer:
    """Scores by a router `build` makes per chatter, refitted when the offered tools change."""
    routers: dict[tuple[str, ...], ExampleRouter] = {}

    def score(text: str, tools: Sequence[AgentTool], chat: Sequence[str]) -> dict[str, float]:
        router = routers.setdefault(tuple(chat), build(chat))
        return router.scores(text, tools)

    return score


@dataclass(frozen=True)
class Calibration:
    """A router's chosen threshold and what it scores there."""

    threshold: float
    selection: float
    no_tool: float
    by_source: dict[str, float]


def picks(scores: list[dict[str, float]], threshold: float) -> list[str]:
    chosen = []
    for candidates in scores:
        label = max(candidates, key=candidates.__getitem__)
        chosen.append(NO_TOOL if candidates[label] < threshold else label)
    return chosen


def calibrate(
    all_cases: Sequence[Case],
    scores: list[dict[str, float]],
    thresholds: npt.NDArray[np.float64] = THRESHOLDS,
) -> Calibration:
    """The middle of the thresholds whose selection is within one request of the best: the
    scores are flat near the best, and one request either way is noise, not a peak."""
    expected = [case.expected for case in all_cases]
    chatter = [index for index, label in enumerate(expected) if label == NO_TOOL]
    results = []
    for threshold in thresholds:
        chosen = picks(scores, float(threshold))
        right = [got == want for got, want in zip(chosen, expected, strict=True)]
        selection = sum(right) / len(right)
        no_tool = sum(right[index] for index in chatter) / len(chatter)
        results.append((selection, no_tool, float(threshold), right))
    best = max(selection for selection, _, _, _ in results)
    tied = [result for result in results if result[0] >= best - 1 / len(all_cases)]
    selection, no_tool, threshold, right = tied[len(tied) // 2]
    sources = sorted({case.source for case in all_cases})
    by_source = {
        source: float(
            np.mean(
                [hit for hit, case in zip(right, all_cases, strict=True) if case.source == source]
            )
        )
        for source in sources
    }
    return Calibration(threshold, selection, no_tool, by_source)


def combined(
    meaning: list[dict[str, float]], words: list[dict[str, float]], weight: float
) -> list[dict[str, float]]:
    return [
        {label: weight * m[label] + (1 - weight) * w[label] for label in m}
        for m, w in zip(meaning, words, strict=True)
    ]


def classifier(embedder: SentenceEmbedder, words: float, chat: Sequence[str]) -> ClassifierRouter:
    """A classifier router with no minimum margin, TF-IDF weighed by `words`."""
    return ClassifierRouter(0.0, embedder, words, chat)


async def main() -> None:
    console = Console(width=140)
    tools = await builtin_tools()
    all_cases = cases(tools)
    embedder = SentenceEmbedder(threads=AgentSettings().router_threads)
    scorers = {
        "tfidf": scorer(lambda chat: ToolRouter(0.0, chat)),
        "embedding": scorer(lambda chat: EmbeddingRouter(0.0, embedder, chat)),
        **{
            f"classifier (words {words})": scorer(partial(classifier, embedder, words))
            for words in WORDS_WEIGHTS
        },
    }
    scored = {
        name: [score(case.request, case.tools, case.chat) for case in all_cases]
        for name, score in scorers.items()
    }
    results = {
        name: calibrate(all_cases, scores, MARGINS if name.startswith("classifier") else THRESHOLDS)
        for name, scores in scored.items()
    }
    hybrids = {
        weight: calibrate(all_cases, combined(scored["embedding"], scored["tfidf"], weight))
        for weight in WEIGHTS
    }
    weight = max(hybrids, key=lambda w: (hybrids[w].selection, hybrids[w].no_tool))
    results[f"hybrid (weight {weight})"] = hybrids[weight]
    settings = AgentSettings()
    in_force = {
        "tfidf": settings.router_min_similarity,
        "embedding": settings.router_embedding_min_similarity,
        f"hybrid (weight {weight})": settings.router_hybrid_min_similarity,
        f"classifier (words {settings.router_classifier_words_weight})": (
            settings.router_classifier_min_margin
        ),
    }
    sources = sorted({case.source for case in all_cases})
    counts = {source: sum(case.source == source for case in all_cases) for source in sources}
    table = Table(title=f"router calibration on {len(all_cases)} requests (no held-out set)")
    table.add_column("router")
    table.add_column("threshold", justify="right")
    table.add_column("default now", justify="right")
    table.add_column("selection", justify="right")
    table.add_column("chatter without a tool", justify="right")
    for source in sources:
        table.add_column(f"{source} ({counts[source]})", justify="right")
    for name, result in results.items():
        table.add_row(
            name,
            f"{result.threshold:.2f}",
            f"{in_force[name]:.2f}" if name in in_force else "-",
            f"{result.selection:.3f}",
            f"{result.no_tool:.3f}",
            *(f"{result.by_source[source]:.3f}" for source in sources),
        )
    console.print(table)
    weights = Table(title="hybrid weight (embedding share)")
    for column in ("weight", "threshold", "selection", "chatter without a tool"):
        weights.add_column(column, justify="right")
    for candidate, result in hybrids.items():
        weights.add_row(
            f"{candidate}",
            f"{result.threshold:.2f}",
            f"{result.selection:.3f}",
            f"{result.no_tool:.3f}",
        )
    console.print(weights)
    console.print(f"hybrid weight chosen {weight} (default now {settings.router_hybrid_weight})")


if __name__ == "__main__":
    asyncio.run(main())
