"""Whether an utterance is meant for the bot: wake names, follow-up window, alone or not."""

from __future__ import annotations

import pytest

from bot.conversation.addressing import AddressPolicy, WakeNames
from bot.settings import BotSettings

POLICY_SETTINGS = BotSettings(wake_names="voxhall, computer", follow_up_s=8.0)


@pytest.mark.parametrize(
    "heard",
    [
        "Voxhall, what time is it?",
        "Box Hall, what time is it?",
        "Vox hall what's the weather",
        "Hey Fox Hall, are you there?",
        "Okay vox-hall, book a room.",
        "So, computer, read my mail.",
    ],
)
def test_wake_names_are_found_however_whisper_spells_them(heard: str) -> None:
    names = WakeNames(POLICY_SETTINGS.wake_name_list(), POLICY_SETTINGS.wake_name_similarity)
    assert names.heard_in(heard)


@pytest.mark.parametrize(
    "heard",
    [
        "Did you watch the football last night?",
        "The box is in the hall.",
        "Let's grab lunch at noon.",
        "",
    ],
)
def test_ordinary_talk_has_no_wake_name(heard: str) -> None:
    names = WakeNames(POLICY_SETTINGS.wake_name_list(), POLICY_SETTINGS.wake_name_similarity)
    assert not names.heard_in(heard)


def test_the_wake_name_addresses_the_bot_in_a_group() -> None:
    policy = AddressPolicy.from_settings(POLICY_SETTINGS)
    assert policy.reason("alice", "Voxhall, any meetings?", 10.0, people_present=3) == "wake_name"
    assert policy.reason("alice", "Any meetings?", 10.0, people_present=3) is None


def test_alone_with_one_person_every_utterance_is_for_the_bot() -> None:
    policy = AddressPolicy.from_settings(POLICY_SETTINGS)
    assert policy.reason("alice", "Any meetings today?", 10.0, people_present=1) == "alone"


def test_the_follow_up_window_belongs_to_the_person_answered_and_closes() -> None:
    policy = AddressPolicy.from_settings(POLICY_SETTINGS)
    policy.replied("alice", finished_at=100.0)

    assert policy.reason("alice", "And tomorrow?", 105.0, people_present=2) == "follow_up"
    assert policy.reason("alice", "And tomorrow?", 108.0, people_present=2) == "follow_up"
    assert policy.reason("alice", "And tomorrow?", 108.5, people_present=2) is None
    assert policy.reason("bob", "Sounds good to me.", 101.0, people_present=2) is None


def test_people_talking_to_each_other_are_ignored() -> None:
    policy = AddressPolicy.from_settings(POLICY_SETTINGS)
    chatter = [
        ("alice", "Did you see the release notes?"),
        ("bob", "Yes, the login page is fixed."),
        ("alice", "Great, let's ship it on Friday."),
    ]
    assert [policy.reason(who, said, 1.0, people_present=2) for who, said in chatter] == [
        None,
        None,
        None,
    ]


def test_whisper_is_primed_with_the_names_as_spelled() -> None:
    assert WakeNames(["Voxhall"]).prompt == "Voxhall: the assistant's name."
    assert WakeNames([" voxhall", "computer ", ""]).prompt == (
        "Voxhall, computer: the assistant's names."
    )


@pytest.mark.parametrize(
    ("heard", "asked"),
    [
        ("Voxhall, book a meeting tomorrow.", "Book a meeting tomorrow."),
        ("Hey Box Hall, what's on my calendar?", "What's on my calendar?"),
        ("Vox hall. Thanks, that's all.", "Thanks, that's all."),
        ("What is on my calendar, Voxhall?", "What is on my calendar, Voxhall?"),
        ("Voxhall?", "Voxhall?"),
        ("Book a room.", "Book a room."),
    ],
)
def test_the_name_a_request_starts_with_is_not_part_of_the_request(heard: str, asked: str) -> None:
    assert WakeNames(["voxhall"]).without_leading_name(heard) == asked


@pytest.mark.parametrize(
    ("heard", "asked"),
    [
        ("Computer, tell me a long story about the moon.", "Tell me a long story about the moon."),
        ("Computer, what's on my calendar today?", "What's on my calendar today?"),
        ("Computer tell me a joke", "Tell me a joke"),
        ("Voxhall, tell me a joke.", "Tell me a joke."),
        ("Voxhall! Me first, then Sam.", "Me first, then Sam."),
        ("Box Hall, tell me more.", "Tell me more."),
        ("Vox hall: list my issues", "List my issues"),
        ("Hey Fox Hall, are you there?", "Are you there?"),
        ("Okay, computer... read my mail.", "Read my mail."),
        ("So vox-hall; tell everyone hi", "Tell everyone hi"),
        ("Voxel, what time is it?", "Voxel, what time is it?"),
    ],
)
def test_every_wake_name_comes_off_with_its_punctuation_and_no_following_word(
    heard: str, asked: str
) -> None:
    names = WakeNames(POLICY_SETTINGS.wake_name_list(), POLICY_SETTINGS.wake_name_similarity)
    assert names.without_leading_name(heard) == asked
