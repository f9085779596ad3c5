"""Hosted avatar providers: D-ID talks and a RunPod-style GPU endpoint, over httpx.

Both upload the avatar's still image with the reply's audio, then `render_clip` polls them.
Requests are retried with tenacity on connection errors, 429 and 5xx; other errors fail at
once. D-ID's `result_url` expires, so the clip is downloaded as soon as a poll says `done`.
API keys are `SecretStr`s and appear only in the Authorization header, never in messages (an
error body that quotes the key has it masked).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr
from tenacity import (
    AsyncRetrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from tts_service.avatar.avatars import SHIPPED_AVATARS, load_avatar
from tts_service.avatar.errors import RenderFailed
from tts_service.avatar.provider import AvatarJob, Clip, JobProgress, RenderRequest
from voxhall.redact import redact_secrets

RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


def _transient(error: BaseException) -> bool:
    if isinstance(error, httpx.HTTPStatusError):
        return error.response.status_code in RETRY_STATUSES
    return isinstance(error, httpx.TransportError)


class HostedProvider:
    """What both hosted providers share: an HTTP client with retries, and finished clips."""

    name = "hosted"

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        *,
        secrets: Sequence[SecretStr | None] = (),
        avatars_dir: Path = SHIPPED_AVATARS,
        timeout_s: float = 30.0,
        poll_interval_s: float = 1.0,
        poll_max_interval_s: float = 8.0,
        attempts: int = 3,
    ) -> None:
        self.poll_interval_s, self.poll_max_interval_s = poll_interval_s, poll_max_interval_s
        self.avatars_dir = avatars_dir
        self._attempts = attempts
        self._secrets = list(secrets)
        self._http = httpx.AsyncClient(base_url=base_url, headers=headers, timeout=timeout_s)
        self._clips: dict[str, bytes] = {}

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One request, retried while transient; raises `RenderFailed` for other errors."""
        retrying = AsyncRetrying(
            retry=retry_if_exception(_transient),
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential_jitter(multiplier=0.2, max=5.0, jitter=0.2),
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    response = await self._http.request(method, url, **kwargs)
                    response.raise_for_status()
        except httpx.HTTPStatusError as error:
            raise RenderFailed(
                f"{self.name} answered {error.response.status_code} to {method} "
                f"{error.request.url.path}: "
                + redact_secrets(error.response.text, self._secrets)[:200]
            ) from error
        except httpx.TransportError as error:
            raise RenderFailed(f"{self.name} is unreachable: {type(error).__name__}") from error
        return response

    def still_png(self, avatar: str) -> bytes:
        return load_avatar(avatar, self.avatars_dir).still_png()

    async def download(self, url: str) -> bytes:
        """Fetch a finished clip from a (usually pre-signed, expiring) URL, without our key."""
        async with httpx.AsyncClient(timeout=self._http.timeout) as plain:
            response = await plain.get(url)
        if response.status_code != 200:
            raise RenderFailed(
                f"{self.name}'s clip could not be downloaded ({response.status_code})"
            )
        return response.content

    async def result(self, job: AvatarJob) -> Clip:
        return Clip(data=self._clips.pop(job.id), provider=self.name)

    async def aclose(self) -> None:
        await self._http.aclose()


class DidAvatarProvider(HostedProvider):
    """D-ID: upload the image and audio, `POST /talks`, poll `GET /talks/{id}`."""

    name = "did"

    def __init__(self, base_url: str, api_key: SecretStr, **options: Any) -> None:
        headers = {"Authorization": f"Basic {api_key.get_secret_value()}"}
        super().__init__(base_url, headers, secrets=[api_key], **options)

    async def render(self, request: RenderRequest) -> AvatarJob:
        image = await self.request(
            "POST", "/images", files={"image": ("avatar.png", self.still_png(request.avatar))}
        )
        audio = await self.request(
            "POST", "/audios", files={"audio": ("reply.wav", request.audio_wav, "audio/wav")}
        )
        talk = await self.request(
            "POST",
            "/talks",
            json={
                "source_url": image.json()["url"],
                "script": {"type": "audio", "audio_url": audio.json()["url"]},
                "config": {"result_format": "mp4"},
            },
        )
        return AvatarJob(id=talk.json()["id"], provider=self.name)

    async def status(self, job: AvatarJob) -> JobProgress:
        talk = (await self.request("GET", f"/talks/{job.id}")).json()
        state = talk.get("status")
        if state == "done":
            self._clips[job.id] = await self.download(talk["result_url"])
            return JobProgress("done")
        if state in ("error", "rejected"):
            error = talk.get("error") or {}
            return JobProgress("failed", error.get("description") or error.get("kind") or state)
        return JobProgress("queued" if state == "created" else "running")

    async def cancel(self, job: AvatarJob) -> None:
        await self.request("DELETE", f"/talks/{job.id}")


class GpuEndpointProvider(HostedProvider):
    """A RunPod-style endpoint: `POST /run`, `GET /status/{id}`, `POST /cancel/{id}`.

    The input carries the still image and the audio in base64; the output is
    `{"video_url": ...}` or `{"video_base64": ...}`.
    """

    name = "gpu-endpoint"

    def __init__(
        self, base_url: str, api_key: SecretStr | None, *, fps: int = 24, **options: Any
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key.get_secret_value()}"} if api_key else {}
        super().__init__(base_url, headers, secrets=[api_key], **options)
        self.fps = fps

    async def render(self, request: RenderRequest) -> AvatarJob:
        body = {
            "input": {
                "image_base64": base64.b64encode(self.still_png(request.avatar)).decode(),
                "audio_base64": base64.b64encode(request.audio_wav).decode(),
                "text": request.text,
                "fps": self.fps,
            }
        }
        response = await self.request("POST", "/run", json=body)
        return AvatarJob(id=response.json()["id"], provider=self.name)

    async def status(self, job: AvatarJob) -> JobProgress:
        answer = (await self.request("GET", f"/status/{job.id}")).json()
        state = answer.get("status")
        if state == "COMPLETED":
            self._clips[job.id] = await self._output(answer.get("output") or {})
            return JobProgress("done")
        if state in ("FAILED", "CANCELLED", "TIMED_OUT"):
            return JobProgress("failed", str(answer.get("error") or state))
        return JobProgress("queued" if state == "IN_QUEUE" else "running")

    async def _output(self, output: dict[str, Any]) -> bytes:
        if "video_base64" in output:
            return base64.b64decode(output["video_base64"])
        if "video_url" in output:
            return await self.download(output["video_url"])
        raise RenderFailed(f"{self.name} finished without a video_url or video_base64")

    async def cancel(self, job: AvatarJob) -> None:
        await self.request("POST", f"/cancel/{job.id}")
