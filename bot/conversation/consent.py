"""Who agreed to be recorded: nothing of a person goes to the ledgers without their yes.

`/consent on|off` sets the flag; the turn layer asks before it hands a turn to a recorder.
The in-memory store is per process; a persistent one implements the same Protocol.
"""

from __future__ import annotations

from typing import Protocol


class ConsentStore(Protocol):
    """Each speaker's recording consent; unknown speakers have not consented."""

    def opted_in(self, speaker_id: str) -> bool: ...

    def set_consent(self, speaker_id: str, consented: bool) -> None: ...


class MemoryConsentStore:
    """Consent flags kept in this process only."""

    def __init__(self) -> None:
        self._consented: set[str] = set()

    def opted_in(self, speaker_id: str) -> bool:
        return speaker_id in self._consented

    def set_consent(self, speaker_id: str, consented: bool) -> None:
        if consented:
            self._consented.add(speaker_id)
        else:
            self._consented.discard(speaker_id)
