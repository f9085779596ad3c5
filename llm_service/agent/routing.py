"""What every local tool router shares: the choice, the protocol, the index of example requests.

A router scores each candidate for a spoken request (each offered tool, and plain chat under
`NO_TOOL`) and `decide`s: the best candidate wins, a tool only when its score reaches the
router's threshold; a question about what something is (`concept_questions`) and a remark that
asks for nothing (`remarks`) are plain chat before any scoring. `ExampleRouter` is the common
frame of the routers that learn from example requests: the documents of each candidate (plain
chat's are the `chatter.CHAT` requests, a tool's are what it says of itself, `tool_documents`,
the requests its server publishes in the tool's `_meta` and those of the server's table in
voxhall.toml) are indexed once per set of offered tools, and rebuilt only when the tools or
their examples change; a subclass says how documents become an index (`_fit`) and how a
request is scored against it (`_label_scores`).
Nothing here names a tool.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from llm_service.agent.chatter import CHAT
from llm_service.agent.concept_questions import asks_about_a_concept
from llm_service.agent.connections import AgentTool
from llm_service.agent.remarks import is_a_remark

NO_TOOL = ""
NEIGHBOURS = 2
Examples = Mapping[str, Sequence[str]]


@dataclass(frozen=True)
class RouteChoice:
    """The router's pick: a tool, or None for plain chat, with its score."""

    tool: AgentTool | None
    similarity: float


class Router(Protocol):
    """What the local step asks: the tool a request wants among those offered, or none."""

    def choose(
        self, text: str, tools: Sequence[AgentTool], examples: Examples | None = None
    ) -> RouteChoice:
        """The tool for `text` (`examples`: more phrasings per qualified tool name)."""
        ...

    def warm(self, tools: Sequence[AgentTool], examples: Examples | None = None) -> None:
        """Prepare for these tools now (build the index), not on the first request."""
        ...


def decide(
    scores: Mapping[str, float], tools: Sequence[AgentTool], min_similarity: float
) -> RouteChoice:
    """The best scoring label wins; a tool only when its score reaches `min_similarity`."""
    label = max(scores, key=scores.__getitem__)
    if label == NO_TOOL or scores[label] < min_similarity:
        return RouteChoice(None, scores[label])
    return RouteChoice(next(tool for tool in tools if tool.qualified == label), scores[label])


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


def nearest_scores(
    similarities: npt.NDArray[np.floating], groups: Mapping[str, npt.NDArray[np.intp]]
) -> dict[str, float]:
    """Each label's score: the mean similarity of its `NEIGHBOURS` nearest documents (steadier
    than the single nearest one)."""
    return {
        label: float(np.sort(similarities[rows])[-NEIGHBOURS:].mean())
        for label, rows in groups.items()
    }


class ScoringRouter(ABC):
    """A router that scores every candidate and lets `decide` pick at `min_similarity`."""

    min_similarity: float

    @abstractmethod
    def scores(
        self, text: str, tools: Sequence[AgentTool], examples: Examples | None = None
    ) -> dict[str, float]:
        """Each offered tool's score for the request, and plain chat's (under `NO_TOOL`)."""

    @abstractmethod
    def warm(self, tools: Sequence[AgentTool], examples: Examples | None = None) -> None:
        """Prepare for these tools now, not on the first request."""

    def choose(
        self, text: str, tools: Sequence[AgentTool], examples: Examples | None = None
    ) -> RouteChoice:
        """The tool the request asks for, or None when it is plain chat (or no tool is close)."""
        if not tools or not text.strip() or asks_about_a_concept(text) or is_a_remark(text):
            return RouteChoice(None, 0.0)
        return decide(self.scores(text, tools, examples), tools, self.min_similarity)


class ExampleRouter(ScoringRouter):
    """A router over the candidates' documents, indexed once per set of offered tools."""

    def __init__(self, min_similarity: float, chat: Sequence[str] = CHAT) -> None:
        self.min_similarity = min_similarity
        self._chat = tuple(chat)
        self._key: tuple[object, ...] | None = None

    def documents(self, tool: AgentTool, examples: Sequence[str]) -> list[str]:
        """A tool's documents: what it says of itself, then its example requests."""
        return [*tool_documents(tool), *examples]

    @abstractmethod
    def _fit(self, documents: list[str], labels: list[str]) -> None:
        """Build the index over the documents, each labelled with its candidate."""

    @abstractmethod
    def _label_scores(self, text: str) -> dict[str, float]:
        """Every candidate's score for the request, against the index."""

    def _index(self, tools: Sequence[AgentTool], examples: Examples) -> None:
        documents = list(self._chat)
        labels = [NO_TOOL] * len(documents)
        for tool in tools:
            said = [*tool.examples, *examples.get(tool.qualified, ())]
            phrases = self.documents(tool, said)
            documents += phrases
            labels += [tool.qualified] * len(phrases)
        key = (tuple(documents), tuple(labels))
        if key != self._key:
            self._fit(documents, labels)
            self._key = key

    def warm(self, tools: Sequence[AgentTool], examples: Examples | None = None) -> None:
        """Build the index for these tools now (with none, for plain chat alone)."""
        self._index(tools, examples or {})

    def scores(
        self, text: str, tools: Sequence[AgentTool], examples: Examples | None = None
    ) -> dict[str, float]:
        """Each offered tool's score for the request, and plain chat's (under `NO_TOOL`)."""
        self._index(tools, examples or {})
        return self._label_scores(text)


def label_rows(labels: Sequence[str]) -> dict[str, npt.NDArray[np.intp]]:
    """Each label's document rows, in the order the labels first appear."""
    names = np.array(labels)
    return {label: np.flatnonzero(names == label) for label in dict.fromkeys(labels)}
