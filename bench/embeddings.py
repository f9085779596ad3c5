"""Benchmark the router's sentence embeddings against ONNX Runtime called directly, same run.

For each thread count: the time to embed one spoken request (`SentenceEmbedder.embed`, which
tokenizes, runs the model, mean-pools and normalises) beside the bare model call
(`onnxruntime.InferenceSession.run` on the same request's token ids, prepared beforehand, on a
session of its own with the same options), as p50/p95 and their ratio; and the whole router's
choice per request (`EmbeddingRouter` and `HybridRouter` over the 54 built-in tools, index
built), and the cold start: the model's load and the embedding of the tools' documents. The
two are called alternately, request by request, so load on the machine weighs on both alike;
the caller's CPU time (`time.thread_time`) is also shown: with one thread ONNX Runtime computes
in the calling thread, so that row is the cost without the wait for a busy core.
The requests are the development set's and the chatter examples (not the scored set).

Goal (issue 14): embedding a request costs under 15 ms (p95) on 2 cores.

Run: `PYTHONPATH=. .venv/bin/python bench/embeddings.py [--repeats 5] [--threads 1 2]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Callable, Sequence
from functools import partial

import numpy as np
import onnxruntime
from rich.console import Console
from rich.table import Table

from bench.router import DEV, builtin_tools, load_rows
from llm_service.agent.chatter import CHAT
from llm_service.agent.connections import AgentTool
from llm_service.agent.embedding_router import EmbeddingRouter, HybridRouter
from llm_service.agent.embeddings import SentenceEmbedder
from llm_service.agent.tool_router import ToolRouter
from llm_service.settings import AgentSettings
from voxhall.bundled_models import bundled_minilm_onnx

GOAL_MS = 15.0


def percentile(samples: Sequence[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1]


def direct_session(threads: int) -> onnxruntime.InferenceSession:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(
        str(bundled_minilm_onnx()), sess_options=options, providers=["CPUExecutionProvider"]
    )


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def cpu_timed(call: Callable[[], object]) -> float:
    """The calling thread's CPU time for `call`: with one ONNX Runtime thread the model runs in
    the caller, so this is its cost without the time it waited for a core."""
    started = time.thread_time()
    call()
    return time.thread_time() - started


def measure(
    threads: int, texts: Sequence[str], tools: Sequence[AgentTool], repeats: int
) -> dict[str, float]:
    settings = AgentSettings()
    embedder = SentenceEmbedder(threads)
    load_s = timed(embedder.load)
    router = EmbeddingRouter(settings.router_embedding_min_similarity, embedder)
    index_s = timed(lambda: router.warm(tools))
    hybrid = HybridRouter(
        settings.router_hybrid_min_similarity,
        settings.router_hybrid_weight,
        router,
        ToolRouter(settings.router_min_similarity),
    )
    hybrid.warm(tools)
    hybrid.tfidf.warm(tools)
    session = direct_session(threads)
    feeds = []
    for ids in embedder.token_ids(texts):
        row = np.array([ids], dtype=np.int64)
        feeds.append(
            {"input_ids": row, "attention_mask": np.ones_like(row), "token_type_ids": row * 0}
        )
    ours: list[float] = []
    direct: list[float] = []
    routed: list[float] = []
    hybrid_routed: list[float] = []
    cpu: list[float] = []
    for _ in range(repeats):
        for text, feed in zip(texts, feeds, strict=True):
            direct.append(timed(partial(session.run, None, feed)))
            ours.append(timed(partial(embedder.embed, [text])))
            cpu.append(cpu_timed(partial(embedder.embed, [text])))
            routed.append(timed(partial(router.choose, text, tools)))
            hybrid_routed.append(timed(partial(hybrid.choose, text, tools)))
    return {
        "load_ms": load_s * 1000,
        "index_ms": index_s * 1000,
        **{
            f"{name}_p{q}": percentile(samples, q) * 1000
            for name, samples in (
                ("ours", ours),
                ("direct", direct),
                ("routed", routed),
                ("hybrid", hybrid_routed),
                ("cpu", cpu),
            )
            for q in (50, 95)
        },
        "samples": len(ours),
    }


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    return parser.parse_args()


async def main() -> None:
    options = parse_options()
    texts = [row.request for row in load_rows(DEV)] + list(CHAT)
    tools = await builtin_tools()
    results = {
        threads: measure(threads, texts, tools, options.repeats) for threads in options.threads
    }
    table = Table(
        title=f"router embeddings: {len(texts)} requests x {options.repeats}, {len(tools)} tools"
    )
    table.add_column("measure")
    for threads in results:
        table.add_column(f"{threads} thread{'s' if threads > 1 else ''}", justify="right")
    table.add_column("goal")

    def row(label: str, cell: Callable[[dict[str, float]], str], goal: str = "") -> None:
        table.add_row(label, *(cell(r) for r in results.values()), goal)

    row(
        "embed one request p50 / p95, ms",
        lambda r: f"{r['ours_p50']:.2f} / {r['ours_p95']:.2f}",
        f"p95 < {GOAL_MS:.0f} ms",
    )
    row(
        "onnxruntime run directly p50 / p95, ms",
        lambda r: f"{r['direct_p50']:.2f} / {r['direct_p95']:.2f}",
    )
    row("ratio embed / direct (p50)", lambda r: f"{r['ours_p50'] / r['direct_p50']:.2f}x")
    row("goal", lambda r: "met" if r["ours_p95"] < GOAL_MS else "missed")
    row(
        "embed one request, caller's CPU time p50 / p95, ms",
        lambda r: f"{r['cpu_p50']:.2f} / {r['cpu_p95']:.2f}",
        "1 thread: unqueued cost",
    )
    row(
        "embedding router choice p50 / p95, ms",
        lambda r: f"{r['routed_p50']:.2f} / {r['routed_p95']:.2f}",
    )
    row(
        "hybrid router choice p50 / p95, ms",
        lambda r: f"{r['hybrid_p50']:.2f} / {r['hybrid_p95']:.2f}",
    )
    row("model load, ms", lambda r: f"{r['load_ms']:.0f}")
    row("embed the tools' documents (index), ms", lambda r: f"{r['index_ms']:.0f}")
    Console(width=140).print(table)


if __name__ == "__main__":
    asyncio.run(main())
