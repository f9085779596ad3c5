"""`python -m tts_service [--host 127.0.0.1] [--port 8702]`: serve text to speech."""

from tts_service.app import create_app
from tts_service.settings import TtsServiceSettings
from voxhall.serve import serve_main

if __name__ == "__main__":
    serve_main(
        prog="tts_service",
        description="Voxhall text to speech: OpenAI-compatible /v1/audio/speech over Piper.",
        tree=TtsServiceSettings,
        section="tts",
        create_app=create_app,
    )
