"""Benchmark llm_service against llama-cpp-python called directly, in the same run.

Measures, as medians over `--repeats` interleaved rounds with the same prompt and greedy
decoding:

- time to first token and tokens per second through the service (SSE over loopback HTTP)
  versus `Llama.create_chat_completion(stream=True)` on the same loaded model;
- the fallback cost on the first token when the hosted backend refuses connections (its
  breaker kept closed, so every request tries it), and when its breaker is open.

Run: `PYTHONPATH=. .venv/bin/python bench/llm.py [--repeats 5] [--max-tokens 64]`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httpx
from llama_cpp.llama_types import ChatCompletionRequestMessage
from rich.console import Console
from rich.table import Table

from ledgers.settings import ReplaySettings
from llm_service.app import create_app
from llm_service.backends.local import LocalModel
from llm_service.settings import LlmSettings
from voxhall.launcher import BackgroundServer, free_loopback_port

PROMPT: list[ChatCompletionRequestMessage] = [
    {"role": "user", "content": "Tell me a short story about a robot who learns to paint."}
]
TTFT_OVERHEAD_GOAL_MS = 15.0
TPS_RATIO_GOAL = 0.95
REFUSED_GOAL_MS = 50.0
OPEN_BREAKER_GOAL_MS = 5.0


@dataclass
class Timing:
    """Time to first token and generation speed of one streamed answer."""

    first_token_s: float
    tokens_per_s: float


@dataclass
class Samples:
    timings: list[Timing] = field(default_factory=list)

    def first_token_ms(self) -> float:
        return statistics.median(t.first_token_s for t in self.timings) * 1000

    def tokens_per_s(self) -> float:
        return statistics.median(t.tokens_per_s for t in self.timings)


def timing(pieces: Iterator[str]) -> Timing:
    """Time a stream of text pieces from the moment this is called."""
    started = time.perf_counter()
    stamps = [time.perf_counter() for piece in pieces if piece]
    if len(stamps) < 2:
        raise RuntimeError("the answer was too short to measure; raise --max-tokens")
    rate = (len(stamps) - 1) / (stamps[-1] - stamps[0])
    return Timing(stamps[0] - started, rate)


def direct_pieces(model: LocalModel, max_tokens: int) -> Iterator[str]:
    chunks = model.llama.create_chat_completion(
        PROMPT,
        stream=True,
        max_tokens=max_tokens,
        temperature=0.0,
        seed=1,
    )
    if not isinstance(chunks, Iterator):
        raise TypeError(f"llama.cpp returned no stream of chunks: {chunks!r}")
    for chunk in chunks:
        content = chunk["choices"][0]["delta"].get("content")
        yield content if isinstance(content, str) else ""


def service_pieces(http: httpx.Client, base_url: str, model: str, max_tokens: int) -> Iterator[str]:
    body = {
        "model": model,
        "messages": PROMPT,
        "max_tokens": max_tokens,
        "temperature": 0.0,
        "seed": 1,
        "stream": True,
    }
    with http.stream("POST", f"{base_url}/v1/chat/completions", json=body) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if line.startswith("data: {"):
                chunk = json.loads(line.removeprefix("data: "))
                yield "".join(c["delta"].get("content") or "" for c in chunk["choices"])


def refused_url() -> str:
    """A loopback URL where nothing listens (connections are refused)."""
    return f"http://127.0.0.1:{free_loopback_port()}/v1"


def gateway(model: LocalModel, **llm: object) -> BackgroundServer:
    settings = ReplaySettings(llm=LlmSettings(**llm))  # type: ignore[arg-type]
    return BackgroundServer(create_app(settings, local_model=model)).start()


def run(repeats: int, max_tokens: int, threads: int) -> dict[str, Samples]:
    model = LocalModel.from_settings(LlmSettings(local_threads=threads))
    plain = gateway(model)
    refusing = gateway(model, hosted_base_url=refused_url(), breaker_failures=1_000_000)
    open_breaker = gateway(
        model, hosted_base_url=refused_url(), breaker_failures=1, breaker_cooldown_s=3600
    )
    http = httpx.Client(timeout=120)
    cases: dict[str, Callable[[], Iterator[str]]] = {
        "direct": lambda: direct_pieces(model, max_tokens),
        "service": lambda: service_pieces(http, plain.base_url, "local", max_tokens),
        "refused": lambda: service_pieces(http, refusing.base_url, "voxhall-default", max_tokens),
        "open": lambda: service_pieces(http, open_breaker.base_url, "voxhall-default", max_tokens),
    }
    samples = {name: Samples() for name in cases}
    try:
        for pieces in cases.values():  # warm up every path (and open the breaker)
            timing(pieces())
        for _ in range(repeats):
            for name, pieces in cases.items():
                samples[name].timings.append(timing(pieces()))
    finally:
        http.close()
        for server in (plain, refusing, open_breaker):
            server.stop()
        model.close()
    return samples


def report(samples: dict[str, Samples], repeats: int, console: Console) -> None:
    direct, service = samples["direct"], samples["service"]
    table = Table(title=f"llm_service vs llama-cpp-python (medians of {repeats})")
    for column in ("measure", "direct", "service", "result", "goal", "met"):
        table.add_column(column, justify="right" if column != "measure" else "left")

    def row(measure: str, base: str, value: str, result: float, goal: str, met: bool) -> None:
        table.add_row(measure, base, value, f"{result:.2f}", goal, "yes" if met else "no")

    ttft_overhead = service.first_token_ms() - direct.first_token_ms()
    tps_ratio = service.tokens_per_s() / direct.tokens_per_s()
    refused = samples["refused"].first_token_ms() - service.first_token_ms()
    opened = samples["open"].first_token_ms() - service.first_token_ms()
    row(
        "first token, ms (overhead)",
        f"{direct.first_token_ms():.1f}",
        f"{service.first_token_ms():.1f}",
        ttft_overhead,
        f"<= {TTFT_OVERHEAD_GOAL_MS:g} ms",
        ttft_overhead <= TTFT_OVERHEAD_GOAL_MS,
    )
    row(
        "first token ratio",
        f"{direct.first_token_ms():.1f}",
        f"{service.first_token_ms():.1f}",
        service.first_token_ms() / direct.first_token_ms(),
        "-",
        True,
    )
    row(
        "tokens/s (ratio)",
        f"{direct.tokens_per_s():.1f}",
        f"{service.tokens_per_s():.1f}",
        tps_ratio,
        f">= {TPS_RATIO_GOAL:g}",
        tps_ratio >= TPS_RATIO_GOAL,
    )
    row(
        "hosted refuses: added first token, ms",
        f"{service.first_token_ms():.1f}",
        f"{samples['refused'].first_token_ms():.1f}",
        refused,
        f"<= {REFUSED_GOAL_MS:g} ms",
        refused <= REFUSED_GOAL_MS,
    )
    row(
        "hosted breaker open: added first token, ms",
        f"{service.first_token_ms():.1f}",
        f"{samples['open'].first_token_ms():.1f}",
        opened,
        f"<= {OPEN_BREAKER_GOAL_MS:g} ms",
        opened <= OPEN_BREAKER_GOAL_MS,
    )
    console.print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="measured rounds (default 5)")
    parser.add_argument("--max-tokens", type=int, default=64, help="tokens per answer")
    parser.add_argument(
        "--threads",
        type=int,
        default=LlmSettings().local_threads,
        help="llama.cpp threads (default from VOXHALL_LLM_LOCAL_THREADS)",
    )
    args = parser.parse_args()
    samples = run(args.repeats, args.max_tokens, args.threads)
    report(samples, args.repeats, Console())


if __name__ == "__main__":
    main()
