"""The choices a ledger command offers, kept apart so the command line loads without the runner."""

from typing import Literal

Backend = Literal["local", "hosted", "default"]
"""The backend chain a replay asks the agent for."""

ReportFormat = Literal["markdown", "json", "junit"]
"""How a report is written."""
