"""`python -m stt_service [--host 127.0.0.1] [--port 8701]`: serve the speech-to-text API."""

from stt_service.app import create_app
from stt_service.settings import SttServiceSettings
from voxhall.serve import serve_main

if __name__ == "__main__":
    serve_main(
        prog="stt_service",
        description="Voxhall speech to text: an OpenAI-compatible /v1/audio/transcriptions API.",
        tree=SttServiceSettings,
        section="stt",
        create_app=create_app,
    )
