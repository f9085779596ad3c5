"""Local stand-ins for hosted avatar APIs, answering with their documented shapes.

`did_peer` follows D-ID's talks API (`POST /images`, `POST /audios`, `POST /talks`,
`GET /talks/{id}`, `DELETE /talks/{id}`, a pre-signed `result_url`); `gpu_peer` follows a
RunPod serverless endpoint (`POST /run`, `GET /status/{id}`, `POST /cancel/{id}`). Each job
ends as the peer's `outcome` says: "done" after two polls, "failed", or "stuck" (never ends).
"""

from __future__ import annotations

import base64
import itertools
from dataclasses import dataclass, field
from typing import Any, Literal

from fastapi import FastAPI, Request, Response, UploadFile

Outcome = Literal["done", "failed", "stuck"]


@dataclass
class PeerLog:
    """What a peer saw, for the tests to check."""

    auth: list[str | None] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)
    polls: int = 0
    cancelled: list[str] = field(default_factory=list)
    downloads: int = 0


def did_peer(clip: bytes, outcome: Outcome, log: PeerLog, busy_first: int = 0) -> FastAPI:
    """A D-ID peer; `busy_first` answers that many `POST /talks` with 503 first."""
    app = FastAPI()
    ids = itertools.count(1)
    busy = itertools.count()

    @app.post("/images", status_code=201)
    async def image(request: Request, image: UploadFile) -> dict[str, str]:
        log.auth.append(request.headers.get("authorization"))
        assert (await image.read()).startswith(b"\x89PNG")
        return {"id": "img_1", "url": "s3://d-id-images-prod/img_1/avatar.png"}

    @app.post("/audios", status_code=201)
    async def audio(audio: UploadFile) -> dict[str, str]:
        assert (await audio.read()).startswith(b"RIFF")
        return {"id": "aud_1", "url": "s3://d-id-audios-prod/aud_1/reply.wav"}

    @app.post("/talks", status_code=201)
    async def create(request: Request, response: Response) -> dict[str, Any]:
        if next(busy) < busy_first:
            response.status_code = 503
            return {"kind": "ServiceUnavailable", "description": "try again"}
        log.bodies.append(await request.json())
        return {"id": f"tlk_{next(ids)}", "created_at": "2026-11-22T03:00:00Z", "status": "created"}

    @app.get("/talks/{talk_id}")
    async def talk(talk_id: str, request: Request) -> dict[str, Any]:
        log.polls += 1
        if outcome == "failed":
            return {
                "id": talk_id,
                "status": "error",
                "error": {"kind": "FaceError", "description": "Failed to detect a face"},
            }
        if outcome == "done" and log.polls >= 2:
            url = f"{request.base_url}results/{talk_id}.mp4?X-Amz-Expires=300"
            return {"id": talk_id, "status": "done", "result_url": url, "duration": 3.2}
        return {"id": talk_id, "status": "started" if log.polls > 1 else "created"}

    @app.delete("/talks/{talk_id}")
    async def delete(talk_id: str) -> dict[str, Any]:
        log.cancelled.append(talk_id)
        return {"deleted": 1}

    @app.get("/results/{name}")
    async def result(name: str) -> Response:
        log.downloads += 1
        return Response(clip, media_type="video/mp4")

    return app


def gpu_peer(clip: bytes, outcome: Outcome, log: PeerLog) -> FastAPI:
    """A RunPod-style endpoint answering COMPLETED with the clip in base64."""
    app = FastAPI()
    ids = itertools.count(1)

    @app.post("/run")
    async def run(request: Request) -> dict[str, str]:
        log.auth.append(request.headers.get("authorization"))
        log.bodies.append(await request.json())
        return {"id": f"job-{next(ids)}", "status": "IN_QUEUE"}

    @app.get("/status/{job_id}")
    async def status(job_id: str) -> dict[str, Any]:
        log.polls += 1
        if outcome == "failed":
            return {"id": job_id, "status": "FAILED", "error": "CUDA out of memory"}
        if outcome == "done" and log.polls >= 2:
            output = {"video_base64": base64.b64encode(clip).decode()}
            return {"id": job_id, "status": "COMPLETED", "output": output, "executionTime": 900}
        return {"id": job_id, "status": "IN_PROGRESS" if log.polls > 1 else "IN_QUEUE"}

    @app.post("/cancel/{job_id}")
    async def cancel(job_id: str) -> dict[str, str]:
        log.cancelled.append(job_id)
        return {"id": job_id, "status": "CANCELLED"}

    return app
