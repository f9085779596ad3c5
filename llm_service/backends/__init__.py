"""Chat backends behind one Protocol: a hosted OpenAI-compatible API and llama.cpp in process."""
