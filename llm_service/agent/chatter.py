"""What people say to the assistant that needs no tool: the local router's "no tool" examples.

The requests that do want a tool come from the tools themselves: each server publishes a few
in the tool's `_meta` (`voxhall.tool_meta.EXAMPLES_META_KEY`), and a server's table in
voxhall.toml may add more. Nothing here names a tool.
"""

from __future__ import annotations

CHAT: tuple[str, ...] = (
    "what is the capital of france",
    "tell me a joke",
    "how are you doing today",
    "thanks, that's all",
    "good morning everyone",
    "can you explain what a closure is in python",
    "what's the difference between tcp and udp",
    "who wrote pride and prejudice",
    "say hello to the team",
    "never mind",
    "what do you think about tabs versus spaces",
    "how do I reverse a list in python",
    "give me a fun fact",
    "translate good night into spanish",
    "who invented the telephone",
    "how many days are in a leap year",
    "what's the tallest mountain in the world",
    "how's your day been",
    "what's up",
    "thank you so much",
    "that's great, cheers",
    "what does http stand for",
    "write a haiku about autumn",
    "who was the first person on the moon",
    "how far away is the sun",
    "what is the meaning of life",
    "recommend a good book",
    "hello there",
    "see you later",
    "why is the sky blue",
)
