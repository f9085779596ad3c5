"""Discord's voice frame, the unit every voice part counts in: 20 ms of 48 kHz stereo 16-bit PCM.

Light on purpose (no NumPy or PyAV), so the conversation core's ports and the Discord edge
can name a frame without loading the audio codecs.
"""

DISCORD_RATE = 48_000
DISCORD_CHANNELS = 2
SAMPLE_BYTES = 2 * DISCORD_CHANNELS
"""One stereo sample: two 16-bit channels."""
FRAME_SECONDS = 0.02
SAMPLES_PER_FRAME = int(DISCORD_RATE * FRAME_SECONDS)
FRAME_BYTES = SAMPLES_PER_FRAME * SAMPLE_BYTES
BYTES_PER_SECOND = DISCORD_RATE * SAMPLE_BYTES
