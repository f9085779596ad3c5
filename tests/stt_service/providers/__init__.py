"""Tests of the stt_service providers."""
