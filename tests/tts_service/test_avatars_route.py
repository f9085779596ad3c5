"""`GET /v1/avatars`: the avatars the bot's `/avatar` command offers, read over HTTP."""

from __future__ import annotations

from tts_service.client import TtsClient


async def test_the_shipped_avatar_is_listed_as_the_default(tts_url: str) -> None:
    async with TtsClient(tts_url) as tts:
        avatars = await tts.avatars()
    assert avatars[0].id == "pip" and avatars[0].default
    assert len({avatar.id for avatar in avatars}) == len(avatars)
