"""Score the local tool router on labelled spoken requests: which tool, and which arguments.

The scored set (`tests/data/agent_requests_scored.jsonl`) is written apart from the phrasings
the servers publish in their tools' `_meta` and from the development set
(`tests/data/agent_requests.jsonl`), which tuning may look at; the scored set is only scored.
A second held-out set (`tests/data/agent_requests_heldout.jsonl`, `--set heldout`) was written
blind by another writer from the tools' names, descriptions and input schemas alone, and a
third ("heldout2", `tests/data/agent_requests_heldout_second.jsonl`) the same way on 7
December 2026, after the first had been read while tuning: score it, never tune on it; a
fourth ("heldout3", `tests/data/agent_requests_heldout_third.jsonl`, 170 rows, 40 of them
chatter) the same way later that day, after both tuning sets had been read. The
tuning set (`tests/data/agent_requests_tuning.jsonl`, `--set tuning`, 220 rows, 50 of them
chatter) was written the same way by a third writer on 7 December 2026 for tuning to look at:
its misses (`--show-misses`) are what slot rules are built from. A second tuning set
("tuning2", `tests/data/agent_requests_tuning_second.jsonl`, 200 rows, 40 of them chatter) was
written the same way by a fourth writer on 7 December 2026 and first scored before it was
read: key arguments 0.654, selection 0.895, chatter 0.900; a third ("tuning3",
`tests/data/agent_requests_tuning_third.jsonl`, 200 rows, 35 chatter, most of them with names
said many ways) after heldout3, first scored at key arguments 0.641; a fourth ("tuning4",
`tests/data/agent_requests_tuning_fourth.jsonl`, 200 rows, 35 chatter) by a new writer later,
first scored at key arguments 0.715; a fifth ("tuning5",
`tests/data/agent_requests_tuning_fifth.jsonl`, 200 rows, 35 chatter) by another new writer on
8 December 2026, first scored at key arguments 0.777, selection 0.915, chatter 0.943.
Each row: `request`, `tool` (`<server>__<tool>`, or null for chat that needs no tool),
`arguments` (only the key arguments the request states) and `slots` (each labelled argument's
slot type: name, title, number, date, enum or text).

The four built-in servers' tools are listed in memory; each router picks a tool per request,
and where it picked right and the row labels arguments, the slots are filled as the local step
fills them (`tool_router.fill_arguments`: read off the request, and the bundled SmolLM2-135M
through llm_service's fallback for a choice no rule ranks), told the time `REFERENCE_NOW` (the
date labels are relative to Wednesday 4 March 2026, 09:00 UTC). Reported per set and router:

- selection: the right tool, or none for chat, over every row;
- chatter answered without a tool, over the rows labelled null;
- argument exact-match: rows picked right whose every labelled argument came back equal
  (strings case-insensitively, without surrounding punctuation or a leading article, also
  inside a map or a list; numbers as numbers; date-times as the same instant), and per slot
  type over
  the labelled arguments;
- end to end: rows with the right tool and all their labelled arguments, over every row;
- router time per request (p50/p95, after one warm-up call that builds the index) and slot
  filling time (p50/p95 of the fills).

Goals (issue 14, reported, not timed tests): selection >= 0.92, key arguments >= 0.85, chatter
without a tool >= 0.95. Any object with `.choose(request, tools) -> RouteChoice` can be scored
(`score_router`); `--router embedding`, `hybrid` and `classifier` are built as the agent builds
them (`embedding_router.build_router`, with the defaults of `AgentSettings`; the model loads on
the warm-up call), or the embedding one by `--embedding-router module:callable`; `both` is
tfidf and embedding, `all` the four. `--set tuning` is the five tuning sets (`tuning5` the
fifth alone), `--set heldout` the three blind held-out sets, `--set both` the scored and the
development set, and `all` every set.

Run: `PYTHONPATH=. .venv/bin/python bench/router.py
[--router tfidf|embedding|hybrid|classifier|both|all]
[--set scored|dev|tuning|tuning5|heldout|both|all]
[--no-fill] [--show-misses] [--json]`.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Protocol

from mcp import Client
from rich.console import Console
from rich.table import Table

from llm_service.agent.chain import ChatChain
from llm_service.agent.config import builtin_server
from llm_service.agent.connections import AgentTool, agent_tool
from llm_service.agent.embedding_router import build_router
from llm_service.agent.routing import RouteChoice
from llm_service.agent.tool_router import ToolRouter, fill_arguments
from llm_service.settings import AgentSettings

ROOT = Path(__file__).resolve().parents[1]
SCORED = ROOT / "tests" / "data" / "agent_requests_scored.jsonl"
DEV = ROOT / "tests" / "data" / "agent_requests.jsonl"
HELDOUT = ROOT / "tests" / "data" / "agent_requests_heldout.jsonl"
HELDOUT_SECOND = ROOT / "tests" / "data" / "agent_requests_heldout_second.jsonl"
HELDOUT_THIRD = ROOT / "tests" / "data" / "agent_requests_heldout_third.jsonl"
TUNING = ROOT / "tests" / "data" / "agent_requests_tuning.jsonl"
TUNING_SECOND = ROOT / "tests" / "data" / "agent_requests_tuning_second.jsonl"
TUNING_THIRD = ROOT / "tests" / "data" / "agent_requests_tuning_third.jsonl"
TUNING_FOURTH = ROOT / "tests" / "data" / "agent_requests_tuning_fourth.jsonl"
TUNING_FIFTH = ROOT / "tests" / "data" / "agent_requests_tuning_fifth.jsonl"
SETS = {
    "scored": SCORED,
    "dev": DEV,
    "heldout": HELDOUT,
    "heldout2": HELDOUT_SECOND,
    "heldout3": HELDOUT_THIRD,
    "tuning": TUNING,
    "tuning2": TUNING_SECOND,
    "tuning3": TUNING_THIRD,
    "tuning4": TUNING_FOURTH,
    "tuning5": TUNING_FIFTH,
}
SET_CHOICES = {
    "scored": ("scored",),
    "dev": ("dev",),
    "tuning": ("tuning", "tuning2", "tuning3", "tuning4", "tuning5"),
    "tuning5": ("tuning5",),
    "heldout": ("heldout", "heldout2", "heldout3"),
    "both": ("scored", "dev"),
    "all": (
        *("scored", "heldout", "heldout2", "heldout3", "dev"),
        *("tuning", "tuning2", "tuning3", "tuning4", "tuning5"),
    ),
}
SERVERS = ("github", "calendar", "monday", "aws")
SLOT_TYPES = ("name", "title", "number", "date", "enum", "text")
REFERENCE_NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
EMBEDDING_ROUTER_DEFAULT = "auto"

SELECTION_GOAL = 0.92
ARGUMENTS_GOAL = 0.85
CHATTER_GOAL = 0.95

ARTICLES = ("the ", "a ", "an ")
EDGE_PUNCTUATION = " \t\n.,;:!?'\"`"


class Router(Protocol):
    """What is scored: a tool (or None) for the request among the offered tools."""

    def choose(self, text: str, tools: Sequence[AgentTool], /) -> RouteChoice: ...


@dataclass(frozen=True)
class Row:
    """One labelled request."""

    request: str
    tool: str | None
    arguments: dict[str, Any]
    slots: dict[str, str]


@dataclass(frozen=True)
class Miss:
    """A row scored wrong: the wrong tool, or the right one with wrong arguments."""

    request: str
    expected_tool: str | None
    picked_tool: str | None
    similarity: float
    expected_arguments: dict[str, Any] = field(default_factory=dict)
    filled_arguments: dict[str, Any] | None = None

    def line(self) -> str:
        if self.picked_tool != self.expected_tool:
            return (
                f"{self.request!r}: {self.picked_tool} ({self.similarity:.2f}) "
                f"instead of {self.expected_tool}"
            )
        return f"{self.request!r}: {self.filled_arguments} for {self.expected_arguments}"


@dataclass
class RouterScore:
    """The counts behind the figures of one router on one set of rows."""

    rows: int = 0
    selected: int = 0
    chatter: int = 0
    chatter_quiet: int = 0
    argument_rows: int = 0
    argument_exact: int = 0
    end_to_end: int = 0
    slot_right: dict[str, int] = field(default_factory=dict)
    slot_total: dict[str, int] = field(default_factory=dict)
    warmup_s: float = 0.0
    route_s: list[float] = field(default_factory=list)
    fill_s: list[float] = field(default_factory=list)
    misses: list[Miss] = field(default_factory=list)
    filled: bool = True

    @property
    def selection(self) -> float:
        return self.selected / self.rows if self.rows else float("nan")

    @property
    def no_tool(self) -> float:
        return self.chatter_quiet / self.chatter if self.chatter else float("nan")

    @property
    def arguments(self) -> float:
        return self.argument_exact / self.argument_rows if self.argument_rows else float("nan")

    @property
    def end_to_end_rate(self) -> float:
        return self.end_to_end / self.rows if self.rows else float("nan")

    def slot(self, kind: str) -> float:
        total = self.slot_total.get(kind, 0)
        return self.slot_right.get(kind, 0) / total if total else float("nan")

    def figures(self, with_misses: bool = False) -> dict[str, Any]:
        """The figures as plain values (the JSON output); the rows scored wrong only when
        asked for, so that reading the figures does not show the held-out requests."""
        figures: dict[str, Any] = {
            "rows": self.rows,
            "selection": self.selection,
            "chatter_rows": self.chatter,
            "no_tool": self.no_tool,
            "argument_rows": self.argument_rows if self.filled else None,
            "arguments": self.arguments if self.filled else None,
            "end_to_end": self.end_to_end_rate if self.filled else None,
            "slots": {
                kind: {
                    "right": self.slot_right.get(kind, 0),
                    "total": self.slot_total.get(kind, 0),
                    "rate": self.slot(kind),
                }
                for kind in SLOT_TYPES
                if self.slot_total.get(kind)
            },
            "warmup_ms": self.warmup_s * 1000,
            "route_p50_ms": percentile(self.route_s, 50) * 1000,
            "route_p95_ms": percentile(self.route_s, 95) * 1000,
            "fill_p50_ms": percentile(self.fill_s, 50) * 1000,
            "fill_p95_ms": percentile(self.fill_s, 95) * 1000,
            "fills": len(self.fill_s),
        }
        if with_misses:
            figures["misses"] = [miss.line() for miss in self.misses]
        return figures


def load_rows(path: Path) -> list[Row]:
    """The labelled rows of a JSONL file (a row without `slots` has its arguments unlabelled)."""
    rows = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        rows.append(
            Row(
                request=raw["request"],
                tool=raw["tool"],
                arguments=dict(raw.get("arguments") or {}),
                slots=dict(raw.get("slots") or {}),
            )
        )
    return rows


async def server_tools(name: str) -> list[AgentTool]:
    """A built-in server's tools as the agent offers them (listed in memory)."""
    module = importlib.import_module(f"mcp_servers.{name}.server")
    config = builtin_server(name)
    async with Client(module.create_server()) as client:
        listing = await client.list_tools()
    return [agent_tool(name, tool, config) for tool in listing.tools]


async def builtin_tools() -> list[AgentTool]:
    """The tools of the four built-in servers."""
    return [tool for name in SERVERS for tool in await server_tools(name)]


def percentile(samples: Sequence[float], q: int) -> float:
    if not samples:
        return float("nan")
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def _text(value: str) -> str:
    text = " ".join(value.split()).casefold().strip(EDGE_PUNCTUATION)
    for article in ARTICLES:
        if text.startswith(article):
            return text.removeprefix(article)
    return text


def _moment(value: Any) -> datetime | date | None:
    if not isinstance(value, str):
        return None
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            return date.fromisoformat(value.strip())
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def same(expected: Any, got: Any, kind: str = "") -> bool:
    """Whether a filled argument is the labelled one (see the module's docstring)."""
    if got is None:
        return False
    if kind == "date":
        wanted, filled = _moment(expected), _moment(got)
        return filled is not None and type(wanted) is type(filled) and wanted == filled
    if isinstance(expected, bool) or isinstance(got, bool):
        return expected == got
    if isinstance(expected, list) and isinstance(got, list):
        return len(expected) == len(got) and all(map(same, expected, got, [kind] * len(got)))
    if isinstance(expected, int | float) or kind == "number":
        try:
            return float(expected) == float(got)
        except (TypeError, ValueError):
            return False
    if isinstance(expected, str) and isinstance(got, str):
        return _text(expected) == _text(got)
    if isinstance(expected, dict) and isinstance(got, dict):
        return expected.keys() == got.keys() and all(
            same(value, got[key]) for key, value in expected.items()
        )
    return bool(expected == got)


async def score_router(
    router: Router,
    tools: Sequence[AgentTool],
    rows: Sequence[Row],
    chain: ChatChain | None,
    *,
    model: str = "local",
    now: datetime = REFERENCE_NOW,
) -> RouterScore:
    """Score `router` on `rows` over `tools`; with `chain`, also fill the labelled arguments
    of the rows it picked right (None: selection only)."""
    score = RouterScore(filled=chain is not None)
    offered = list(tools)
    started = time.perf_counter()
    router.choose("hello", offered)
    score.warmup_s = time.perf_counter() - started
    for row in rows:
        started = time.perf_counter()
        choice = router.choose(row.request, offered)
        score.route_s.append(time.perf_counter() - started)
        picked = choice.tool.qualified if choice.tool else None
        score.rows += 1
        if row.tool is None:
            score.chatter += 1
            score.chatter_quiet += picked is None
        if picked != row.tool:
            score.misses.append(Miss(row.request, row.tool, picked, choice.similarity))
            continue
        score.selected += 1
        if choice.tool is None or not row.arguments:
            score.end_to_end += 1
            continue
        if chain is None:
            continue
        started = time.perf_counter()
        filled = await fill_arguments(chain, choice.tool, row.request, model, now)
        score.fill_s.append(time.perf_counter() - started)
        score.argument_rows += 1
        right = True
        for name, value in row.arguments.items():
            kind = row.slots.get(name, "unlabelled")
            hit = same(value, filled.get(name), kind)
            right = right and hit
            score.slot_total[kind] = score.slot_total.get(kind, 0) + 1
            score.slot_right[kind] = score.slot_right.get(kind, 0) + hit
        if right:
            score.argument_exact += 1
            score.end_to_end += 1
        else:
            score.misses.append(
                Miss(row.request, row.tool, picked, choice.similarity, row.arguments, filled)
            )
    return score


def tfidf_router() -> ToolRouter:
    """The router the agent uses today, with the agent's threshold."""
    return ToolRouter(AgentSettings().router_min_similarity)


def embedding_router(spec: str = EMBEDDING_ROUTER_DEFAULT) -> tuple[Router | None, str]:
    """The embedding router and its name, or None and why there is none (its model loads only
    on its first request)."""
    try:
        if spec == EMBEDDING_ROUTER_DEFAULT:
            return build_router(AgentSettings(), "embedding"), "EmbeddingRouter"
        module_name, _, attribute = spec.partition(":")
        factory = getattr(importlib.import_module(module_name), attribute)
        router = factory()
    except Exception as error:  # any failure to build it only skips it
        return None, (
            f"embedding router {spec!r} not available, skipped ({type(error).__name__}: "
            f"{error}); name a callable that builds it with --embedding-router module:callable"
        )
    return router, getattr(factory, "__qualname__", str(factory))


def hybrid_router() -> Router:
    """Embedding and TF-IDF scores weighted, with the agent's weight and threshold."""
    return build_router(AgentSettings(), "hybrid")


def classifier_router() -> Router:
    """The linear SVM over both, with the agent's words weight and margin."""
    return build_router(AgentSettings(), "classifier")


async def local_chain() -> tuple[ChatChain, Callable[[], Any]]:
    """The bundled local model behind llm_service's fallback, and how to close it."""
    from llm_service.agent import FallbackChatChain
    from llm_service.app import build_fallback
    from llm_service.backends.local import LocalBackend
    from llm_service.metrics import GatewayInstruments
    from llm_service.settings import LlmSettings

    llm = LlmSettings(_env_file=None)
    backend = LocalBackend(llm)
    await backend.start()
    chain = FallbackChatChain(build_fallback(llm, [backend], GatewayInstruments()), "local")
    return chain, backend.aclose


def _rate(value: float, right: int | None = None, total: int | None = None) -> str:
    if value != value:  # NaN
        return "-"
    counts = f" ({right}/{total})" if total is not None else ""
    return f"{value:.3f}{counts}"


def _goal(value: float, goal: float) -> str:
    return "met" if value == value and value >= goal else "missed"


def results_table(scores: dict[str, RouterScore]) -> Table:
    table = Table(title="local tool router: selection and slot filling (bundled model)")
    table.add_column("measure")
    for column in scores:
        table.add_column(column, justify="right")
    table.add_column("goal")

    def add(measure: str, cells: list[str], goal: str = "") -> None:
        table.add_row(measure, *cells, goal)

    columns = list(scores.values())
    add("requests (chatter)", [f"{s.rows} ({s.chatter})" for s in columns])
    add(
        "selection",
        [
            _rate(s.selection, s.selected, s.rows) + f" {_goal(s.selection, SELECTION_GOAL)}"
            for s in columns
        ],
        f">= {SELECTION_GOAL}",
    )
    add(
        "chatter without a tool",
        [
            _rate(s.no_tool, s.chatter_quiet, s.chatter) + f" {_goal(s.no_tool, CHATTER_GOAL)}"
            for s in columns
        ],
        f">= {CHATTER_GOAL}",
    )
    add(
        "arguments exact (rows)",
        [
            _rate(s.arguments, s.argument_exact, s.argument_rows)
            + (f" {_goal(s.arguments, ARGUMENTS_GOAL)}" if s.filled else "")
            for s in columns
        ],
        f">= {ARGUMENTS_GOAL}",
    )
    kinds = [k for k in (*SLOT_TYPES, "unlabelled") if any(s.slot_total.get(k) for s in columns)]
    for kind in kinds:
        add(
            f"  slot: {kind}",
            [
                _rate(s.slot(kind), s.slot_right.get(kind, 0), s.slot_total.get(kind, 0))
                for s in columns
            ],
        )
    add(
        "end to end (tool + arguments)",
        [_rate(s.end_to_end_rate, s.end_to_end, s.rows) if s.filled else "-" for s in columns],
    )
    add("router warm-up (index), ms", [f"{s.warmup_s * 1000:.1f}" for s in columns])
    add(
        "router per request p50 / p95, ms",
        [
            f"{percentile(s.route_s, 50) * 1000:.2f} / {percentile(s.route_s, 95) * 1000:.2f}"
            for s in columns
        ],
    )
    add(
        "slot filling p50 / p95, ms",
        [
            f"{percentile(s.fill_s, 50) * 1000:.0f} / {percentile(s.fill_s, 95) * 1000:.0f}"
            if s.fill_s
            else "-"
            for s in columns
        ],
    )
    return table


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--router",
        choices=("tfidf", "embedding", "hybrid", "classifier", "both", "all"),
        default="all",
    )
    parser.add_argument("--set", choices=tuple(SET_CHOICES), default="both", dest="sets")
    parser.add_argument(
        "--embedding-router",
        default=EMBEDDING_ROUTER_DEFAULT,
        help="module:callable that builds the embedding router with no arguments "
        "(default: the agent's EmbeddingRouter)",
    )
    parser.add_argument("--no-fill", action="store_true", help="score selection only")
    parser.add_argument("--show-misses", action="store_true", help="list the rows scored wrong")
    parser.add_argument(
        "--json", action="store_true", help="print the figures as JSON (misses with --show-misses)"
    )
    return parser.parse_args()


async def main() -> None:
    options = parse_options()
    console = Console(width=140, stderr=options.json)
    routers: dict[str, Callable[[], Router | None]] = {}
    if options.router in ("tfidf", "both", "all"):
        routers["tfidf"] = tfidf_router
    if options.router in ("embedding", "both", "all"):
        router, name = embedding_router(options.embedding_router)
        if router is None:
            console.print(name, style="yellow", markup=False, emoji=False)
        else:
            console.print(f"embedding router: {name}")
            routers["embedding"] = lambda: embedding_router(options.embedding_router)[0]
    if options.router in ("hybrid", "all"):
        routers["hybrid"] = hybrid_router
    if options.router in ("classifier", "all"):
        routers["classifier"] = classifier_router
    if not routers:
        console.print("no router to score")
        sys.exit(1)
    chosen = {name: load_rows(SETS[name]) for name in SET_CHOICES[options.sets]}
    tools = await builtin_tools()
    chain, close = (None, None) if options.no_fill else await local_chain()
    scores: dict[str, RouterScore] = {}
    try:
        for set_name, rows in chosen.items():
            for router_name, build in routers.items():
                router = build()  # a fresh one per set, so each warm-up builds its index
                assert router is not None
                scores[f"{set_name} · {router_name}"] = await score_router(
                    router, tools, rows, chain
                )
    finally:
        if close is not None:
            await close()
    console.print(results_table(scores))
    if options.show_misses:
        for column, score in scores.items():
            console.print(f"\n[bold]misses, {column}[/bold] ({len(score.misses)})")
            for miss in score.misses:
                console.print(f"  {miss.line()}", markup=False, highlight=False)
    if options.json:
        figures = {column: s.figures(options.show_misses) for column, s in scores.items()}
        print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
