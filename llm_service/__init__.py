"""The chat gateway: an OpenAI-compatible API that falls back from a hosted model to llama.cpp.

`create_app(settings)` in `llm_service.app` builds the service; `llm_service.client.LlmClient`
is how other parts call it. `python -m llm_service` serves it.
"""
