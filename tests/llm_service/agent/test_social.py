"""Social replies with the real bundled embedding model: thanks, goodbyes and greetings get
their own reply, every other chatter turn of the chat study stays with the model, and the
setting turns them off."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from llm_service.agent.social import ACTS, SocialReplies, social_replies
from llm_service.settings import AgentSettings

pytestmark = pytest.mark.slow

CHATTER_TURNS = Path(__file__).parents[2] / "data" / "chatter_turns.jsonl"
REPLIES = {act.name: act.reply for act in ACTS}


@pytest.fixture(scope="module")
def social() -> SocialReplies:
    replies = social_replies(AgentSettings())
    assert replies is not None
    return replies


@pytest.mark.parametrize(
    ("words", "act"),
    [
        ("thanks, that is all for now", "thanks"),
        ("Thanks, that is all for now.", "thanks"),
        ("okay great, thanks a lot", "thanks"),
        ("goodbye", "goodbye"),
        ("see you later", "goodbye"),
        ("good night everyone", "goodbye"),
        ("hello", "greeting"),
    ],
)
def test_thanks_goodbyes_and_greetings_get_their_reply(
    social: SocialReplies, words: str, act: str
) -> None:
    assert social.reply(words) == REPLIES[act]


def test_no_other_chatter_turn_gets_a_social_reply(social: SocialReplies) -> None:
    turns = [json.loads(line) for line in CHATTER_TURNS.read_text().splitlines()]
    others = [turn["text"] for turn in turns if turn["kind"] not in REPLIES]
    assert len(others) >= 30
    assert [words for words in others if social.reply(words)] == []


@pytest.mark.parametrize(
    "words",
    [
        "",
        "thanks, now list my pull requests",
        "hi, can you tell me a joke",
        "say hello to the team",
    ],
)
def test_a_request_that_only_starts_socially_goes_to_the_model(
    social: SocialReplies, words: str
) -> None:
    assert social.reply(words) is None


def test_the_setting_turns_them_off() -> None:
    assert social_replies(AgentSettings(local_social_replies=False)) is None
