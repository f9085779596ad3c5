"""Voxhall's shared spine: settings, telemetry, audio, the service helpers and the CLI."""

__version__ = "0.1.0"
