"""One run of the demo, however its lines were played: what the report is made from."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.conversation.turns import ChannelState
from stack.demo.terminal import TerminalChannel


@dataclass
class DemoRun:
    """What happened: the channel's state, the text channel, and everything the bot said;
    `speakers` names the script's speaker of each id the conversation knows people by (where
    that is not the script's own name, as over Discord: user ids)."""

    state: ChannelState
    channel: TerminalChannel
    voice: bytes
    speakers: dict[str, str] = field(default_factory=dict)

    def speaker(self, who: str) -> str:
        """The script's name ("alice") of the person the conversation calls `who`."""
        return self.speakers.get(who, who)
