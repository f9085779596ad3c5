"""Redaction: what must never reach logs, traces, threads, ledgers or tool results.

`redact_secrets` replaces tokens and keys that look like credentials (GitHub, AWS, OpenAI,
Slack, JWTs, bearer tokens, private keys, `password=...` style assignments, the password of a
URL such as `redis://:password@host`) and any secret value the caller passes; `secret_values`
collects those values from a settings tree. `redact_for_storage` also removes email addresses
and phone numbers, for text that is kept (conversation threads, ledgers).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel, SecretStr

REDACTED = "[redacted]"

SECRET_PATTERNS = [
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S),
    re.compile(r"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{20,}\b"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}\b"),
    re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
    re.compile(r"\bsk-[A-Za-z0-9_-]{16,}\b"),
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b"),
    re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b"),
    re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]{16,}"),
]
URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/:@]*:)[^\s/@]+@")
SECRET_ASSIGNMENT = re.compile(
    r"(?i)(\"?\b(?:api[_-]?key|secret(?:[_-]?access[_-]?key)?|password|passwd|token|"
    r"access[_-]?token|client[_-]?secret)\"?\s*[:=]\s*\"?)([^\"\s,}]{6,})"
)
PERSONAL_PATTERNS = [
    re.compile(r"\b[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\b"),
    re.compile(r"(?<![\w+])\+\d[\d ()-]{7,}\d\b"),
    re.compile(r"(?<![\w-])\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4}\b"),
]


def redact_secrets(text: str, known: Iterable[SecretStr | str | None] = ()) -> str:
    """Tokens, keys and passwords replaced by `[redacted]`, and every `known` secret value."""
    for secret in known:
        value = secret.get_secret_value() if isinstance(secret, SecretStr) else secret
        if value and len(value) >= 4:
            text = text.replace(value, REDACTED)
    for pattern in SECRET_PATTERNS:
        text = pattern.sub(REDACTED, text)
    text = URL_PASSWORD.sub(lambda m: f"{m.group(1)}{REDACTED}@", text)
    return SECRET_ASSIGNMENT.sub(lambda m: m.group(1) + REDACTED, text)


def secret_values(settings: BaseModel) -> list[SecretStr]:
    """Every `SecretStr` set in a settings tree (its sections, theirs, and so on)."""
    found: list[SecretStr] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            found.append(value)
        elif isinstance(value, BaseModel):
            found.extend(secret_values(value))
    return found


def redact_for_storage(text: str, known: Iterable[SecretStr | str | None] = ()) -> str:
    """Secrets (and every `known` one), email addresses and phone numbers replaced."""
    text = redact_secrets(text, known)
    for pattern in PERSONAL_PATTERNS:
        text = pattern.sub(REDACTED, text)
    return text
