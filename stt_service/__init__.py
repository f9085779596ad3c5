"""Speech to text: faster-whisper (or a hosted API) behind an OpenAI-compatible HTTP API.

`create_app(settings)` in `stt_service.app` builds the service; `stt_service.client.SttClient`
is how other parts call it. `python -m stt_service` serves it.
"""
