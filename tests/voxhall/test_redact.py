"""Redaction: credentials never survive, ordinary words and numbers do."""

from pydantic import BaseModel, SecretStr

from voxhall.redact import REDACTED, redact_for_storage, redact_secrets, secret_values

TEXT = (
    "token ghp_abcdefghijklmnopqrstuvwxyz0123 key AKIAABCDEFGHIJKLMNOP "
    '"password": "hunter2hunter" mail ann@example.com call +49 30 1234567 '
    "or (555) 123-4567 on 2026-11-22T10:00 id 12345"
)


def test_secrets_and_personal_data_are_redacted_for_storage() -> None:
    scrubbed = redact_for_storage(TEXT)
    for secret in ["ghp_", "AKIA", "hunter2", "ann@example.com", "1234567", "555"]:
        assert secret not in scrubbed
    assert "2026-11-22T10:00" in scrubbed and "id 12345" in scrubbed
    assert scrubbed.count(REDACTED) == 6


def test_secret_redaction_keeps_personal_data_and_plain_words() -> None:
    assert "ann@example.com" in redact_secrets(TEXT)
    message = "The token cannot see this repository (check its scopes)."
    assert redact_secrets(message) == message


def test_known_secret_values_are_removed_wherever_they_appear() -> None:
    key = SecretStr("plain-looking-value")
    text = "upstream said: invalid key plain-looking-value for account 42"
    assert redact_secrets(text, [key, None, "42x"]) == (
        f"upstream said: invalid key {REDACTED} for account 42"
    )


def test_a_url_keeps_everything_but_its_password() -> None:
    text = "no Redis at redis://:hunter2@10.0.0.5:6379/0 or rediss://app:s3cr%2Ft@cache/1"
    assert redact_secrets(text) == (
        f"no Redis at redis://:{REDACTED}@10.0.0.5:6379/0 or rediss://app:{REDACTED}@cache/1"
    )
    plain = "see https://api.github.com/repos/a/b and redis://127.0.0.1:6379/0"
    assert redact_secrets(plain) == plain


def test_secret_values_are_collected_from_a_settings_tree() -> None:
    class Section(BaseModel):
        key: SecretStr | None = SecretStr("key-1")
        unset: SecretStr | None = None
        name: str = "plain"

    class Tree(BaseModel):
        one: Section = Section()
        two: Section = Section(key=SecretStr("key-2"))

    assert [value.get_secret_value() for value in secret_values(Tree())] == ["key-1", "key-2"]
    assert redact_for_storage("key-1 and key-2 and plain", secret_values(Tree())) == (
        f"{REDACTED} and {REDACTED} and plain"
    )
