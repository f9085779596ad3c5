"""The error every calendar provider raises: `CalendarError`, worded for the model and the user."""

from __future__ import annotations


class CalendarError(Exception):
    """A calendar operation failed; the message is meant for the model and the user."""
