"""tts_service: text to speech behind OpenAI's `/v1/audio/speech`, streamed sentence by sentence.

`create_app(settings)` in `app.py` builds the FastAPI app; `python -m tts_service` serves it;
`client.py` is the async client other parts use.
"""
