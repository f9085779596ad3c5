"""Plain chat on the bundled local models: which prompt and decoding keep replies short and honest.

Every chatter turn of `tests/data/chatter_turns.jsonl` (thanks, goodbyes, greetings, stories,
"what can you do", "who made you", jokes, opinions, general knowledge) goes to each bundled
model (SmolLM2-135M, Gemma 3 270M) under each candidate: a system prompt and a decoding
(temperature, top_p, llama.cpp repeat penalty, max_tokens), through the same local backend
and request the agent's local step builds (`llm_service.agent.local_chat.LocalChat`).
"agent/today" is the setup before the study: the agent's own prompt, the demo's decoding. The raw
reply is checked with `llm_service.agent.reply_rules`; reported per model and candidate:

- the pass rate of each rule (length, tool_words, promises, filler, self_claims, facts) and of
  all of them together, on the raw reply;
- spoken: the share whose trimmed reply (what the local step says) is not empty, so the
  fallback sentence is not needed;
- knows: of the general-knowledge turns that name their answer (`knows`), the share answered
  with it; echo: the share of replies that only say the user's words back (neither is a rule:
  a reply may honestly not know, and the trim cannot add knowledge);
- first token and whole reply, p50 in ms (the whole raw reply: the local step stops sooner,
  once two sentences are said).

Run: `PYTHONPATH=. .venv/bin/python bench/chat_replies.py [--models smollm2-135m,gemma3-270m]
[--candidates all|chosen|NAME,...] [--threads 2] [--show FILE.jsonl] [--json]`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, get_args

from rich.console import Console
from rich.table import Table

from llm_service.agent.local_chat import LocalChat, local_chat
from llm_service.agent.reply_rules import RULES, check, trim
from llm_service.backends.local import LocalBackend, LocalModel
from llm_service.schemas import ChatCompletionRequest
from llm_service.settings import AgentSettings, LlmSettings
from voxhall.bundled_models import LocalLlm

ROOT = Path(__file__).resolve().parents[1]
TURNS = ROOT / "tests" / "data" / "chatter_turns.jsonl"
SEED = 7

PROMPTS = {
    "agent": AgentSettings.model_fields["system_prompt"].default,
    "short": "You are Voxhall, a voice assistant in a Discord voice channel. Answer in one or "
    "two short spoken sentences.",
    "honest": "You are Voxhall, a voice assistant. Reply in one short sentence. Say only what "
    "you know, and never promise to do anything later.",
    "plain": "You are Voxhall, a friendly voice assistant. Give a short, friendly, one-sentence "
    "reply.",
    "software": "You are Voxhall, a voice assistant program with no body. Answer in one short "
    "sentence. You cannot set reminders, look things up or do anything later.",
    "example": "You are Voxhall, a friendly voice assistant. Give a short, friendly, "
    'one-sentence reply. For example, to "thanks, bye" you say "You\'re welcome, bye!"',
}


@dataclass(frozen=True)
class Decoding:
    temperature: float
    top_p: float
    repeat_penalty: float
    max_tokens: int
    seed: int = SEED

    def label(self) -> str:
        seed = f" seed{self.seed}" if self.temperature and self.seed != SEED else ""
        sampling = f"t{self.temperature:g} p{self.top_p:g} rp{self.repeat_penalty:g}"
        return f"{sampling} max{self.max_tokens}{seed}"


@dataclass(frozen=True)
class Candidate:
    name: str
    prompt: str
    decoding: Decoding

    def chat(self) -> LocalChat:
        d = self.decoding
        return LocalChat(self.prompt, d.temperature, d.top_p, d.max_tokens, d.repeat_penalty)


TODAY = Decoding(0.2, 0.95, 1.1, 120)  # the demo's temperature and max_tokens, llama's top_p
GREEDY = Decoding(0.0, 1.0, 1.1, 48)
DECODINGS = {
    "rp1.3": Decoding(0.0, 1.0, 1.3, 48),
    "rp1.3-max32": Decoding(0.0, 1.0, 1.3, 32),
    "warm-rp1.3": Decoding(0.3, 0.9, 1.3, 48),
    "warm-rp1.3-max32": Decoding(0.3, 0.9, 1.3, 32),
    "warm-rp1.3-max32-seed8": Decoding(0.3, 0.9, 1.3, 32, seed=8),
    "warm-rp1.3-max32-seed9": Decoding(0.3, 0.9, 1.3, 32, seed=9),
}


def candidates() -> dict[str, Candidate]:
    """Today's setup (the agent's prompt, the demo's decoding); each prompt greedily; and the
    other decodings on the prompts that did best greedily."""
    found = {"agent/today": Candidate("agent/today", PROMPTS["agent"], TODAY)}
    for prompt, text in PROMPTS.items():
        found[f"{prompt}/greedy"] = Candidate(f"{prompt}/greedy", text, GREEDY)
    for prompt in ("plain", "short", "example"):
        for name, decoding in DECODINGS.items():
            if prompt == "plain" or name in ("rp1.3", "rp1.3-max32", "warm-rp1.3-max32"):
                key = f"{prompt}/{name}"
                found[key] = Candidate(key, PROMPTS[prompt], decoding)
    return found


def chosen() -> Candidate:
    """The defaults in `AgentSettings`, as a candidate."""
    chat = local_chat(AgentSettings())
    decoding = Decoding(chat.temperature, chat.top_p, chat.repeat_penalty, chat.max_tokens)
    return Candidate("chosen (defaults)", chat.prompt, decoding)


@dataclass
class Reply:
    turn: str
    text: str
    first_token_s: float
    total_s: float
    broken: dict[str, str]
    spoken: str
    knows: bool | None = None
    echo: bool = False


@dataclass
class Result:
    model: str
    candidate: str
    decoding: str
    replies: list[Reply] = field(default_factory=list)

    def rate(self, rule: str | None = None) -> float:
        if rule is None:
            return sum(not r.broken for r in self.replies) / len(self.replies)
        return sum(rule not in r.broken for r in self.replies) / len(self.replies)

    def spoken_rate(self) -> float:
        return sum(bool(r.spoken) for r in self.replies) / len(self.replies)

    def knows_rate(self) -> float:
        asked = [r.knows for r in self.replies if r.knows is not None]
        return sum(asked) / len(asked) if asked else 0.0

    def echo_rate(self) -> float:
        return sum(r.echo for r in self.replies) / len(self.replies)

    def p50_ms(self, what: str) -> float:
        return statistics.median(getattr(r, what) for r in self.replies) * 1000


def load_turns(path: Path = TURNS) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


async def reply(
    backend: LocalBackend, chat: LocalChat, words: str, seed: int = SEED
) -> tuple[str, float, float]:
    """The raw reply to `words`, its first-token and total time in seconds."""
    base = ChatCompletionRequest(
        model="local", messages=[{"role": "user", "content": words}], seed=seed
    )
    started = time.perf_counter()
    first = None
    text: list[str] = []
    async for chunk in backend.stream(chat.request(base, words)):
        for choice in chunk.choices:
            if choice.delta.content:
                first = first or time.perf_counter()
                text.append(choice.delta.content)
    end = time.perf_counter()
    return "".join(text), (first or end) - started, end - started


def echoes(words: str, reply: str) -> bool:
    """The reply is the user's words said back (most of its words are theirs)."""
    theirs = set(re.findall(r"[a-z']+", words.lower()))
    said = re.findall(r"[a-z']+", reply.lower())
    return bool(said) and sum(word in theirs for word in said) / len(said) >= 0.8


async def run_candidate(
    model: LocalModel, name: str, candidate: Candidate, turns: list[dict[str, Any]]
) -> Result:
    backend = LocalBackend(LlmSettings(), model)
    chat = candidate.chat()
    result = Result(name, candidate.name, candidate.decoding.label())
    for turn in turns:
        must_not = turn.get("must_not", ())
        text, first, total = await reply(backend, chat, turn["text"], candidate.decoding.seed)
        knows = turn.get("knows")
        result.replies.append(
            Reply(
                turn["text"],
                text,
                first,
                total,
                check(text, must_not).broken,
                trim(text, must_not),
                None if knows is None else any(re.search(p, text, re.I) for p in knows),
                echoes(turn["text"], text),
            )
        )
    print(f"{name} {candidate.name}: {result.rate():.0%} keep every rule", file=sys.stderr)
    return result


def pick(names: str) -> list[Candidate]:
    every = candidates()
    if names == "all":
        return list(every.values())
    if names == "chosen":
        return [chosen()]
    return [every[name.strip()] for name in names.split(",")]


def table(results: list[Result], turns: int) -> Table:
    table = Table(title=f"Plain chat on the bundled models ({turns} chatter turns, raw replies)")
    columns = ("model", "candidate", "decoding", *RULES, "all", "spoken", "knows", "echo")
    for column in (*columns, "ttft", "total"):
        table.add_column(column, justify="left" if column in ("model", "candidate") else "right")
    for result in results:
        table.add_row(
            result.model,
            result.candidate,
            result.decoding,
            *(f"{result.rate(rule):.0%}" for rule in RULES),
            f"{result.rate():.0%}",
            f"{result.spoken_rate():.0%}",
            f"{result.knows_rate():.0%}",
            f"{result.echo_rate():.0%}",
            f"{result.p50_ms('first_token_s'):.0f}",
            f"{result.p50_ms('total_s'):.0f}",
        )
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(get_args(LocalLlm)))
    parser.add_argument("--candidates", default="chosen", help="all, chosen, or names")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--show", type=Path, help="write every reply to this JSONL file")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    args = parser.parse_args()
    turns = load_turns()
    results: list[Result] = []
    for name in args.models.split(","):
        settings = LlmSettings(local_model=name, local_threads=args.threads)
        model = LocalModel.from_settings(settings)
        try:
            for candidate in pick(args.candidates):
                results.append(asyncio.run(run_candidate(model, name, candidate, turns)))
        finally:
            model.close()
    if args.show:
        with args.show.open("w") as out:
            for result in results:
                for one in result.replies:
                    row = {"model": result.model, "candidate": result.candidate, **asdict(one)}
                    out.write(json.dumps(row) + "\n")
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "model": r.model,
                        "candidate": r.candidate,
                        "decoding": r.decoding,
                        "rules": {rule: r.rate(rule) for rule in RULES},
                        "all": r.rate(),
                        "spoken": r.spoken_rate(),
                        "knows": r.knows_rate(),
                        "echo": r.echo_rate(),
                        "first_token_p50_ms": r.p50_ms("first_token_s"),
                        "total_p50_ms": r.p50_ms("total_s"),
                    }
                    for r in results
                ],
                indent=2,
            )
        )
    else:
        Console(width=200).print(table(results, len(turns)))


if __name__ == "__main__":
    main()
