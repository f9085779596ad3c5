"""The demo's conversation: who says what, in which voice, and on which cue.

Two people share a voice channel with the bot. Alice speaks with the bundled Piper voice and
Bob with espeak-ng; tiny.en hears espeak-ng's "Voxhall" as "Max Hall", so Bob uses the bot's
second wake name, "computer". The lines cover a calendar question (a read-only tool), chatter
the bot must ignore, a calendar booking that needs approval, a long answer Alice interrupts,
and a goodbye. Their audio ships in `speech/` as 16 kHz FLAC; `python -m stack.demo.generate`
makes it again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.conversation.local import CuedSpeech
from voxhall.audio import decode_audio, to_discord_pcm

SPEECH_DIR = Path(__file__).with_name("speech")
SPEECH_RATE = 16_000
WAKE_NAMES = "voxhall, computer"
NAMES = {"alice": "Alice", "bob": "Bob"}


@dataclass(frozen=True)
class Line:
    """One thing a person says: the words, the voice that speaks them and when."""

    speaker: str
    voice: str
    text: str
    after_quiet_s: float = 1.0
    over_bot_s: float | None = None
    addressed: bool = True

    def audio_path(self, index: int) -> Path:
        return SPEECH_DIR / f"{index:02d}-{self.speaker}.flac"


LINES: tuple[Line, ...] = (
    Line("alice", "piper", "Voxhall, what is on my calendar today?"),
    Line("bob", "espeak-ng:en-us", "Did anyone read the release notes yet?", addressed=False),
    Line("alice", "piper", "Voxhall, book a meeting with Sarah tomorrow at ten."),
    Line("bob", "espeak-ng:en-us", "Computer, tell me a long story about the moon."),
    Line("alice", "piper", "Sorry to cut in, stop there.", over_bot_s=2.5, addressed=False),
    Line("alice", "piper", "Voxhall, thanks, that is all for now."),
)


def cued_script() -> list[CuedSpeech]:
    """The lines as the voice source plays them (48 kHz stereo PCM)."""
    return [
        CuedSpeech(
            line.speaker,
            to_discord_pcm(
                decode_audio(line.audio_path(index).read_bytes(), SPEECH_RATE), SPEECH_RATE
            ),
            after_quiet_s=line.after_quiet_s,
            over_bot_s=line.over_bot_s,
        )
        for index, line in enumerate(LINES, start=1)
    ]


REPLY_PARAMS = {"model": "voxhall-agent", "max_tokens": 120, "seed": 7}
"""How the demo (and the benchmarks that replay it) ask for each reply. No temperature: the
local model's plain chat keeps its chosen decoding (`VOXHALL_AGENT_LOCAL_CHAT_*`)."""
