"""Recording: the bot appends each consented turn, its audio and what happened, to a ledger.

`LedgerRecorder` implements the conversation core's `TurnRecorder` for the whole bot: each
channel's conversation (by the turn's thread id; a new one after half an hour of quiet) becomes
`<folder>/<id>.jsonl`, its first turn writing the header; every turn appends a line and writes
the utterance as 16 kHz mono FLAC to `<folder>/<id>/<n>.flac`. The turn layer hands it only
turns of speakers who consented. The header leaves `people` out (the default then counts the
recorded speakers, who may be fewer than those present): set it when accepting.

Everything kept as text (the transcript, the reply, tool arguments and results) is scrubbed of
secrets (those that look like one, and every secret value the recorder is given: the bot gives it
all of its settings'), email addresses and phone numbers (`voxhall.redact.redact_for_storage`);
the audio is
kept as spoken, which is what consent covers. A recorded turn is a ledger turn whose `recorded`
field says what happened (Whisper's transcript, the reply, the tool calls, latencies), with
`pause_s`, `approve` and `interrupt_after_ms` filled in so a replay meets the same situation.
`voxhall ledger accept` turns a recording into a case.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from bot.conversation.pipeline import TurnResult
from bot.conversation.segmenter import Utterance
from ledgers.format import Happened, Header, Turn, dump_line
from ledgers.results import what_happened
from voxhall.audio import WHISPER_RATE, discord_to_whisper, encode_audio
from voxhall.frames import BYTES_PER_SECOND
from voxhall.redact import redact_for_storage

BARGE_IN_MS = 250
CONVERSATION_GAP_S = 30 * 60
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
NOTES = (
    "Recorded by the bot with the speakers' consent. Transcripts are Whisper's, scrubbed of "
    "secrets, email addresses and phone numbers; correct them before accepting the recording."
)


def scrubbed(value: Any, secrets: Sequence[SecretStr] = ()) -> Any:
    """Strings scrubbed for storage (and of the `secrets`), inside lists and objects too."""
    if isinstance(value, str):
        return redact_for_storage(value, secrets)
    if isinstance(value, list):
        return [scrubbed(item, secrets) for item in value]
    if isinstance(value, dict):
        return {key: scrubbed(item, secrets) for key, item in value.items()}
    return value


def scrubbed_happening(result: TurnResult, secrets: Sequence[SecretStr] = ()) -> Happened:
    """What the bot heard and did, every text in it scrubbed."""
    return Happened.model_validate(scrubbed(what_happened(result).model_dump(), secrets))


def interrupted_after_ms(result: TurnResult) -> int | None:
    """About when the person talked over the bot: after the sentences they heard, plus the
    moment speech takes to count as a barge-in."""
    if not result.interrupted:
        return None
    heard_end = max(
        (sentence.audio_end for sentence in result.spoken if sentence.text in result.heard),
        default=0,
    )
    return heard_end * 1000 // BYTES_PER_SECOND + BARGE_IN_MS


class _Conversation:
    """One recorded conversation: a ledger file and its audio folder."""

    def __init__(
        self, folder: Path, thread_id: str, wake_names: list[str], started: datetime
    ) -> None:
        stamp = started.strftime("%Y%m%d-%H%M%S")
        self.id = f"{stamp}-{_UNSAFE.sub('-', thread_id).strip('-') or 'channel'}"
        self.path = folder / f"{self.id}.jsonl"
        self.header = Header(
            ledger=1,
            id=self.id,
            title=f"Recorded in {thread_id} on {started:%Y-%m-%d %H:%M} UTC",
            created=started,
            consent=True,
            notes=NOTES,
            wake_names=wake_names or None,
        )
        self.turns = 0
        self.last_end: float | None = None

    def over_by(self, moment: float) -> bool:
        """Whether the conversation had gone quiet for good before `moment` (monotonic)."""
        return self.last_end is not None and moment - self.last_end > CONVERSATION_GAP_S

    def _write_audio(self, utterance: Utterance) -> str:
        relative = f"{self.id}/{self.turns}.flac"
        audio = self.path.parent / relative
        audio.parent.mkdir(parents=True, exist_ok=True)
        samples = discord_to_whisper(utterance.pcm)
        audio.write_bytes(encode_audio(samples, WHISPER_RATE, "flac"))
        return relative

    def append(
        self, utterance: Utterance, result: TurnResult, secrets: Sequence[SecretStr]
    ) -> None:
        """Write the turn's audio and line (the header first, for the first turn)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lines = [] if self.turns else [dump_line(self.header)]
        self.turns += 1
        pause = 1.0 if self.last_end is None else utterance.speech_start - self.last_end
        what = scrubbed_happening(result, secrets)
        turn = Turn(
            turn=self.turns,
            speaker=result.request.speaker_name,
            audio=self._write_audio(utterance),
            transcript=what.heard,
            approve=not any(call.approval in ("denied", "expired") for call in what.tool_calls),
            interrupt_after_ms=interrupted_after_ms(result),
            pause_s=round(max(0.0, pause), 2),
            recorded=what,
        )
        lines.append(dump_line(turn))
        with self.path.open("a", encoding="utf-8") as ledger:
            ledger.write("\n".join(lines) + "\n")
        self.last_end = result.finished_at


class LedgerRecorder:
    """The bot's `TurnRecorder`: each channel's conversation becomes a ledger in `folder`; a
    channel quiet for `CONVERSATION_GAP_S` starts a new one. No text it keeps holds any of the
    `secrets`."""

    def __init__(
        self,
        folder: Path,
        wake_names: Sequence[str] = (),
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        secrets: Sequence[SecretStr] = (),
    ) -> None:
        self.folder = folder
        self.wake_names = list(wake_names)
        self.now = now
        self.secrets = list(secrets)
        self.conversations: dict[str, _Conversation] = {}

    def record(self, utterance: Utterance, result: TurnResult) -> None:
        """Append the turn to its channel's ledger (the `TurnRecorder` port)."""
        thread_id = result.request.thread_id
        conversation = self.conversations.get(thread_id)
        if conversation is None or conversation.over_by(utterance.speech_start):
            conversation = _Conversation(self.folder, thread_id, self.wake_names, self.now())
            self.conversations[thread_id] = conversation
        conversation.append(utterance, result, self.secrets)
