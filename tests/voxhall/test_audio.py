"""Audio primitives: real decoding with PyAV, real resampling with soxr, streamable encoding."""

import numpy as np
import pytest

from voxhall import audio


def tone(seconds: float, rate: int, frequency: float = 440.0) -> audio.Samples:
    t = np.arange(int(seconds * rate)) / rate
    return (0.4 * np.sin(2 * np.pi * frequency * t)).astype(np.float32)


def dominant_frequency(samples: audio.Samples, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    return float(np.fft.rfftfreq(samples.size, 1 / rate)[spectrum.argmax()])


def test_discord_pcm_converts_to_whisper_input_and_back() -> None:
    pcm48 = audio.to_discord_pcm(tone(1.0, 22050), 22050)
    assert len(pcm48) == 48_000 * 2 * 2
    whisper_input = audio.discord_to_whisper(pcm48)
    assert whisper_input.dtype == np.float32
    assert whisper_input.size == 16_000
    assert dominant_frequency(whisper_input, 16_000) == pytest.approx(440, abs=2)


def test_resampling_keeps_pitch_and_is_band_limited() -> None:
    low = audio.resample(tone(1.0, 48_000, frequency=1000), 48_000, 16_000)
    assert dominant_frequency(low, 16_000) == pytest.approx(1000, abs=2)
    # 12 kHz is above the 8 kHz Nyquist limit of 16 kHz audio: a real resampler removes it
    # instead of folding it back as an audible alias.
    aliased = audio.resample(tone(1.0, 48_000, frequency=12_000), 48_000, 16_000)
    assert np.abs(aliased[1000:-1000]).max() < 0.01


@pytest.mark.parametrize("audio_format", ["wav", "mp3", "opus", "flac", "aac"])
@pytest.mark.parametrize("channels", [1, 2])
def test_every_format_encodes_piecewise_and_decodes_back(audio_format: str, channels: int) -> None:
    encoder = audio.AudioStreamEncoder(audio_format, 22050, channels)
    source = tone(1.0, 22050)
    data = encoder.encode(source[:11025]) + encoder.encode(source[11025:]) + encoder.finish()
    decoded = audio.decode_audio(data, 16_000)
    assert decoded.size == pytest.approx(16_000, rel=0.1)
    assert dominant_frequency(decoded, 16_000) == pytest.approx(440, abs=5)


def test_opus_at_a_rate_opus_lacks_is_resampled() -> None:
    data = audio.encode_audio(tone(0.5, 22050), 22050, "opus")
    assert audio.decode_audio(data, 16_000).size == pytest.approx(8_000, rel=0.1)


def test_wav_round_trip_keeps_rate_and_samples() -> None:
    source = tone(0.25, 16_000)
    samples, rate = audio.read_wav(audio.wav_bytes(source, 16_000))
    assert rate == 16_000
    np.testing.assert_allclose(samples, source, atol=1e-4)


def test_streaming_wav_header_is_readable_before_the_length_is_known() -> None:
    data = audio.streaming_wav_header(16_000) + audio.float_to_pcm16(tone(0.5, 16_000))
    assert audio.decode_audio(data, 16_000).size == 8_000


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"", "empty"),
        (b"this is a text file, not audio\n" * 20, "could not read"),
        (bytes(range(256)) * 64, "could not read"),
    ],
)
def test_bad_input_raises_a_plain_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(audio.AudioError, match=reason):
        audio.decode_audio(payload)


def test_decoding_stops_once_audio_is_too_long() -> None:
    data = audio.wav_bytes(tone(3.0, 16_000), 16_000)
    with pytest.raises(audio.AudioTooLongError, match="longer than 2 seconds"):
        audio.decode_audio(data, max_seconds=2)


@pytest.mark.parametrize(
    ("media_type", "expected"),
    [
        ("audio/L16;rate=48000;channels=2", audio.RawPcmFormat(48_000, 2, "big")),
        ("audio/pcm; rate=24000", audio.RawPcmFormat(24_000, 1, "little")),
        ("audio/wav", None),
        (None, None),
    ],
)
def test_raw_pcm_media_types(media_type: str | None, expected: audio.RawPcmFormat | None) -> None:
    assert audio.RawPcmFormat.from_media_type(media_type) == expected


def test_raw_pcm_byte_order_follows_the_media_type() -> None:
    source = tone(0.1, 8_000)
    little = audio.float_to_pcm16(source)
    big = np.frombuffer(little, "<i2").astype(">i2").tobytes()
    np.testing.assert_allclose(audio.pcm16_to_float(big, byteorder="big"), source, atol=1e-4)
    with pytest.raises(audio.AudioError, match="rate or channel"):
        audio.RawPcmFormat.from_media_type("audio/L16;rate=48000;channels=6")
