"""Rules for a spoken chat reply of the small local model, and the trim that enforces them.

The local model answers plain chat (no tool) on its own, and a 135M or 270M model happily
promises what it cannot do ("I'll be back in 20 minutes!"), pads with "as an AI language
model", reads out identifiers, or claims a life it does not have. A reply keeps to the rules
when it is:

- `length`: short enough to say: at most `MAX_SENTENCES` sentences and `MAX_WORDS` words, and
  not empty;
- `tool_words`: free of tool identifiers (`calendar__list_events`, `snake_case`), JSON or code
  (braces, brackets, backticks) and talk of functions or tool calls;
- `promises`: free of first-person promises of later actions ("I'll be back", "I will remind
  you", "I'll check", "let me look that up"); saying what it says right now ("I'll tell you a
  story") is fine;
- `filler`: free of "as an AI", "language model" and the like;
- `self_claims`: free of false claims about itself: being a person, having a body, a home, a
  family, pets, a past or a website, another name, being made by a company that did not make
  it, or abilities it lacks (browsing, reminders, seeing, remembering, ordering, "anything");
- `facts`: free of the case's own `must_not` patterns (known false answers, in the study set).

`check` lists the rules a reply breaks; `trim` keeps the sentences that break none, up to the
length limit, which is what the local step says (`SpokenReplyFilter` does it as the reply
streams). `bench/chat_replies.py` measures the pass rate of each rule on
`tests/data/chatter_turns.jsonl` for each bundled model and candidate prompt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from voxhall.sentences import sentence_ends, split_sentences

MAX_SENTENCES = 2
MAX_WORDS = 40
RULES = ("length", "tool_words", "promises", "filler", "self_claims", "facts")

_I = r"(?:\bi|\bwe)"
_WILL = rf"{_I}(?:'ll|’ll| will| shall| am going to|'m going to|’m going to| are going to)"
# What a reply may say it will do right now, in the reply itself.
SAYING_NOW = (
    r"tell|say|share|explain|describe|give|try|answer|start|begin|keep it|be brief|be quick|"
    r"do my best|put it|sum"
)
PROMISE = re.compile(
    rf"{_WILL}\s+(?:be\s+)?(?!(?:{SAYING_NOW})\b)\w+"
    r"|\blet me\s+(?!(?:tell|say|share|explain|describe|give|try|think|know)\b)\w+"
    r"|\bi(?:'ll|’ll| will) be (?:back|right back|here|waiting|in touch)"
    r"|\b(?:be right back|brb|get back to you|remind you|keep you posted|follow up)\b",
    re.IGNORECASE,
)
FILLER = re.compile(
    r"\bas an? (?:ai|a\.i\.|artificial intelligence|language model|assistant|chatbot|bot)\b"
    r"|\blanguage model\b|\blarge language\b|\bllm\b"
    r"|\bi(?:'m| am) (?:just|only|merely) an? (?:ai|program|bot|machine|computer)\b",
    re.IGNORECASE,
)
SELF_CLAIMS = re.compile(
    # a person, with a body, a home, a family, a past
    r"\bi(?:'m| am) (?:a |an )?(?:real |actual )?(?:[\w-]+ ){0,2}"
    r"(?:human|person|man|woman|girl|boy)\b"
    r"|\bi(?:'m| am) (?:about )?\d+[- ]years?[- ]old\b"
    r"|\bi(?:'m| am) (?:not )?(?:a |an )?(?:robot|ai) (?:but|and) (?:a )?human\b"
    r"|\bi (?:live|grew up|was born|work) (?:in|at|on|near)\b"
    r"|\bmy (?:home|house|family|wife|husband|mom|mum|dad|mother|father|kids|children|"
    r"dog|cat|body|office|boss|birthday)\b"
    r"|\bi (?:eat|drink|sleep|ate|slept)\b|\bi(?:'m| am) (?:hungry|sleepy|at home|at work)\b"
    r"|\bi (?:had|have) (?:breakfast|lunch|dinner|coffee|a nap)\b"
    r"|\bi (?:have|had|own) (?:a|an|two|three) (?:\w+ )?(?:cat|dog|pet|car|house|son|daughter|"
    r"brother|sister|wife|husband|kid|child)\b"
    r"|\bi(?:'m| am) (?:about )?(?:\d+|a few|ten|twenty) (?:feet|foot|meters|miles|years)\b"
    r"|\bi(?:'m| am) (?:just )?enjoying (?:a|my|the) (?:\w+ )?(?:day|weekend|holiday|vacation)\b"
    r"|\bi(?:'m| am) (?:just )?(?:relaxing|sitting|lying|walking|eating|drinking|"
    r"cooking|sunbathing|on (?:a|my) (?:way|break|holiday|vacation)|at the (?:beach|park|office))\b"
    r"|\bi(?:'ve| have) been (?:using|living|working|doing|playing|reading|watching)\b"
    r"|\b(?:reach|find|contact|call|email|visit) me (?:by|on|at|via|through)\b"
    r"|\bmy (?:website|phone|email|address|cafe|shop|blog)\b"
    r"|\bmy name is (?!voxhall\b)\w+|\bi(?:'m| am) (?:dr|mr|mrs|ms|miss|professor)\b"
    r"|\bi specialize in\b"
    # made by somebody else, or another assistant
    r"|\b(?:made|created|built|developed|trained|designed) by (?:openai|google|microsoft|"
    r"meta|amazon|apple|anthropic|hugging ?face|deepmind|a team of)\b"
    r"|\bi(?:'m| am) (?:chatgpt|gpt|siri|alexa|cortana|gemini|bard|claude|google assistant)\b"
    # abilities it lacks
    r"|\bi can (?:see|hear you from|browse|search the (?:web|internet)|look (?:it|that) up|"
    r"set (?:a |an )?(?:reminder|alarm|timer)|send (?:an? )?(?:email|text|message)|order|"
    r"call|book|buy|remember)\b"
    r"|\bi can (?:help|assist)(?: you)? with (?:anything|everything|any kind|all kinds)\b"
    r"|\bi(?:'ve| have) (?:set|scheduled|booked|ordered|sent|saved|added|created|noted)\b"
    r"|\bi(?:'ll| will) remember\b|\bi remember (?:you|when|that)\b",
    re.IGNORECASE,
)
TOOL_WORDS = re.compile(
    r"\b\w+__\w+\b"  # a qualified tool name
    r"|\b[a-z]+_[a-z_]+\b"  # a snake_case identifier
    r"|[{}\[\]`<>]"  # JSON, code, markup
    r"|\b(?:json|api|function call|tool call|the tools?)\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[\w'’-]+")
_ENDED = re.compile(r"[.!?…][\"'”’)\]]*\s*$")


def words(text: str) -> int:
    return len(_WORD.findall(text))


def unfinished(text: str) -> bool:
    """Whether the text stops without a sentence's final punctuation."""
    return not _ENDED.search(text)


def _sentences(text: str) -> list[str]:
    return [s.text.strip() for s in split_sentences(text) if s.text.strip()]


@dataclass(frozen=True)
class Verdict:
    """What `check` found: the rules a reply breaks, each with the words that break it."""

    broken: dict[str, str]

    @property
    def passed(self) -> bool:
        return not self.broken

    def passes(self, rule: str) -> bool:
        return rule not in self.broken


def sentence_breaks(sentence: str, must_not: Sequence[str] = ()) -> dict[str, str]:
    """The content rules (all but `length`) one sentence breaks, with what broke each."""
    broken: dict[str, str] = {}
    for rule, pattern in (
        ("tool_words", TOOL_WORDS),
        ("promises", PROMISE),
        ("filler", FILLER),
        ("self_claims", SELF_CLAIMS),
    ):
        if found := pattern.search(sentence):
            broken[rule] = found.group(0)
    for myth in must_not:
        if found := re.search(myth, sentence, re.IGNORECASE):
            broken["facts"] = found.group(0)
    return broken


def check(reply: str, must_not: Sequence[str] = ()) -> Verdict:
    """The rules `reply` breaks (see the module docstring)."""
    broken: dict[str, str] = {}
    sentences = _sentences(reply)
    count = words(reply)
    if not sentences or count == 0:
        broken["length"] = "empty"
    elif len(sentences) > MAX_SENTENCES or count > MAX_WORDS:
        broken["length"] = f"{len(sentences)} sentences, {count} words"
    for sentence in sentences or [reply]:
        for rule, found in sentence_breaks(sentence, must_not).items():
            broken.setdefault(rule, found)
    return Verdict(broken)


def _cut_words(sentence: str, budget: int) -> str:
    """The sentence cut to `budget` words, ending with a full stop."""
    found = list(_WORD.finditer(sentence))
    if len(found) <= budget:
        return sentence
    return sentence[: found[budget - 1].end()].rstrip(",;:- ") + "."


def trim(reply: str, must_not: Sequence[str] = ()) -> str:
    """The reply as it may be said: the sentences that break no content rule, at most
    `MAX_SENTENCES` of them and `MAX_WORDS` words (the last one cut at a word if need be),
    without an unfinished last sentence (the model ran out of tokens) after a finished one."""
    kept: list[str] = []
    budget = MAX_WORDS
    sentences = _sentences(reply)
    for index, sentence in enumerate(sentences):
        if len(kept) == MAX_SENTENCES or budget <= 0:
            break
        if sentence_breaks(sentence, must_not):
            continue
        if kept and index == len(sentences) - 1 and unfinished(reply):
            break
        cut = _cut_words(sentence, budget)
        kept.append(cut)
        budget -= words(cut)
    return " ".join(kept)


class SpokenReplyFilter:
    """`trim` as the reply streams: text in, the sentences that may be said out, each as soon
    as it has ended; `done` says when no more text can be said (stop generating then)."""

    def __init__(self, must_not: Sequence[str] = ()) -> None:
        self._must_not = tuple(must_not)
        self._pending = ""
        self._kept = 0
        self._budget = MAX_WORDS

    @property
    def done(self) -> bool:
        return self._kept >= MAX_SENTENCES or self._budget <= 0

    def feed(self, text: str) -> str:
        """What of the text so far may be said now (whole sentences, with a leading space
        after the first)."""
        self._pending += text
        ends = sentence_ends(self._pending)
        if not ends:
            return self._overlong()
        finished, self._pending = self._pending[: ends[-1]], self._pending[ends[-1] :]
        return self._say(_sentences(finished))

    def finish(self) -> str:
        """The tail when the model stops: a last sentence, or, when nothing was said yet, even
        an unfinished one (after a finished sentence, one cut off by the token limit is not)."""
        tail, self._pending = self._pending, ""
        if self._kept and unfinished(tail):
            return ""
        return self._say(_sentences(tail))

    def _overlong(self) -> str:
        """A sentence that runs past the word budget is said cut, and ends the reply."""
        if self.done or words(self._pending) <= self._budget:
            return ""
        tail, self._pending = self._pending, ""
        return self._say(_sentences(tail))

    def _say(self, sentences: Iterable[str]) -> str:
        said: list[str] = []
        for sentence in sentences:
            if self.done:
                break
            if sentence_breaks(sentence, self._must_not):
                continue
            cut = _cut_words(sentence, self._budget)
            said.append(cut)
            self._kept += 1
            self._budget -= words(cut)
        if not said:
            return ""
        lead = " " if self._kept > len(said) else ""
        return lead + " ".join(said)
