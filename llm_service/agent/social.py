"""Social turns the small local model answers badly: thanks, goodbyes and greetings.

SmolLM2-135M answers "thanks, that is all for now" with "I'm sorry for any confusion." and
"goodbye" by echoing it (measured with `bench/chat_replies.py`). Like the built-in intents of
voice assistants, these acts are known by meaning instead: the words' sentence embedding
(`embeddings`) against a few phrasings of each act, and the nearest act answers with its own
reply when it is at least `min_similarity` close (`local_social_min_similarity`, chosen on
`tests/data/chatter_turns.jsonl`, whose other turns must stay with the model). Anything else
goes to the model as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from llm_service.agent.embeddings import SentenceEmbedder, Vectors, shared_embedder
from llm_service.settings import AgentSettings


@dataclass(frozen=True)
class SocialAct:
    """A social act: how people say it and what the assistant says back."""

    name: str
    phrasings: tuple[str, ...]
    reply: str


ACTS: tuple[SocialAct, ...] = (
    SocialAct(
        "thanks",
        (
            "thanks",
            "thank you",
            "thanks a lot",
            "many thanks, that helped",
            "great, thank you very much",
            "cheers",
            "thanks, that's all I needed",
            "that's all for now, thanks",
            "okay, that's everything, thank you",
        ),
        "You're welcome. Just say my name when you need me again.",
    ),
    SocialAct(
        "goodbye",
        (
            "bye",
            "goodbye",
            "bye for now",
            "see you",
            "see you soon",
            "I'm off, bye",
            "good night",
            "catch you later",
            "talk to you later",
        ),
        "Bye for now!",
    ),
    SocialAct(
        "greeting",
        (
            "hi",
            "hey",
            "hello there",
            "good morning",
            "good afternoon",
            "hey there, how's it going",
            "hi, how are you",
            "yo",
        ),
        "Hi! What can I do for you?",
    ),
)


class SocialReplies:
    """The reply of the social act the words are, if they are one (see the module)."""

    def __init__(
        self,
        embedder: SentenceEmbedder,
        min_similarity: float,
        acts: tuple[SocialAct, ...] = ACTS,
    ) -> None:
        self.embedder = embedder
        self.min_similarity = min_similarity
        self._acts = acts
        self._owners = [act for act in acts for _ in act.phrasings]
        self._index: Vectors | None = None

    def warm(self) -> None:
        """Embed the acts' phrasings now, not on the first turn."""
        self._index = self.embedder.embed_documents(
            [phrasing for act in self._acts for phrasing in act.phrasings]
        )

    def nearest(self, words: str) -> tuple[SocialAct, float]:
        """The act nearest to the words, and how close (cosine similarity)."""
        if self._index is None:
            self.warm()
        assert self._index is not None
        similarities = self._index @ self.embedder.embed([words])[0]
        best = int(np.argmax(similarities))
        return self._owners[best], float(similarities[best])

    def reply(self, words: str) -> str | None:
        """The act's reply when the words are one, else None (the model answers)."""
        if not words.strip():
            return None
        act, similarity = self.nearest(words)
        return act.reply if similarity >= self.min_similarity else None


def social_replies(settings: AgentSettings) -> SocialReplies | None:
    """The social replies the settings ask for (None when `local_social_replies` is off)."""
    if not settings.local_social_replies:
        return None
    return SocialReplies(
        shared_embedder(settings.router_threads), settings.local_social_min_similarity
    )
