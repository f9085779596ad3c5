"""Tests of the Discord stand-in (`bot/discord_sim/`) by itself: its protocols on loopback."""
