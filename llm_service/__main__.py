"""`python -m llm_service [--host 127.0.0.1] [--port 8703]`: serve the chat gateway."""

from llm_service.app import create_app
from llm_service.settings import LlmServiceSettings
from voxhall.serve import serve_main

if __name__ == "__main__":
    serve_main(
        prog="llm_service",
        description="Voxhall chat gateway: an OpenAI-compatible /v1/chat/completions API that "
        "falls back from a hosted API to a local llama.cpp model.",
        tree=LlmServiceSettings,
        section="llm",
        create_app=create_app,
    )
