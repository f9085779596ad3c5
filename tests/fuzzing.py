"""Property-based fuzzing of a Voxhall HTTP service from its own OpenAPI schema (schemathesis).

`fuzz_service(base_url, api_key)` loads the served app's `/openapi.json` and, for every
operation, sends `VOXHALL_FUZZ_EXAMPLES` generated requests (valid and invalid ones) with the
right key, each also once without it. Every answer must hold:

- `not_a_server_error`: no 5xx (schemathesis' own check);
- `negative_data_rejection`: a request the schema forbids is not accepted (a 2xx for, say, a
  transcription prompt past its documented `maxLength` fails);
- `openai_error_shape`: every 4xx is OpenAI's `{"error": {"message", "type", "param", "code"}}`
  with a non-empty message;
- `bearer_challenge`: every 401 carries `WWW-Authenticate: Bearer` (RFC 6750).

Afterwards `/ready` must still answer 200. `make test` runs a few examples per operation, the
same every run (derandomized); `make fuzz` runs many more, seeded afresh
(`VOXHALL_FUZZ_EXAMPLES`, `VOXHALL_FUZZ_SEED`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import httpx
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, Case, CheckContext, Response
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import negative_data_rejection

EXAMPLES_VARIABLE = "VOXHALL_FUZZ_EXAMPLES"
SEED_VARIABLE = "VOXHALL_FUZZ_SEED"
DEFAULT_EXAMPLES = 6
REQUEST_TIMEOUT_S = 120
ERROR_FIELDS = {"message", "type", "param", "code"}
Prepare = Callable[[Case, bool], None]


def examples_per_operation(default: int = DEFAULT_EXAMPLES) -> int:
    """How many requests each operation gets: `VOXHALL_FUZZ_EXAMPLES`, else `default`."""
    return int(os.environ.get(EXAMPLES_VARIABLE) or default)


class FuzzFailure(AssertionError):
    """An answer that broke one of the rules, with the request that got it."""


def openai_error_shape(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """Every error answer is OpenAI's error object."""
    if response.status_code < 400:
        return None
    try:
        body = response.json()
    except ValueError:
        raise FuzzFailure(f"{response.status_code} is not JSON: {response.text[:200]!r}") from None
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or set(error) != ERROR_FIELDS:
        raise FuzzFailure(f"{response.status_code} is not OpenAI's error shape: {body!r:.300}")
    if not isinstance(error["message"], str) or not error["message"].strip():
        raise FuzzFailure(f"{response.status_code} has no message: {body!r:.300}")
    if not isinstance(error["type"], str):
        raise FuzzFailure(f"{response.status_code} has no error type: {body!r:.300}")
    return None


def bearer_challenge(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    """A 401 says how to authenticate (RFC 6750 section 3)."""
    if response.status_code != 401:
        return None
    challenge = response.headers.get("www-authenticate") or [""]
    if not challenge[0].lower().startswith("bearer"):
        raise FuzzFailure(f"401 without 'WWW-Authenticate: Bearer': {dict(response.headers)}")
    return None


CHECKS = [not_a_server_error, negative_data_rejection]
EXTRA_CHECKS = [openai_error_shape, bearer_challenge]


@dataclass
class FuzzReport:
    """What the run sent, by operation and status, and what broke."""

    statuses: dict[str, dict[int, int]] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def count(self, label: str, status: int) -> None:
        by_status = self.statuses.setdefault(label, {})
        by_status[status] = by_status.get(status, 0) + 1


def fuzz_service(
    base_url: str,
    api_key: str,
    *,
    examples: int | None = None,
    skip: Iterable[str] = (),
    prepare: Prepare | None = None,
) -> FuzzReport:
    """Fuzz every operation of the service at `base_url` (served with `api_key` required);
    `skip` names operations ("POST /v1/x") left out, and `prepare(case, draw)` may change a
    generated case before it is sent (say, put real speech in an upload; `draw` is a drawn
    boolean). Fails on the first broken rule, naming the request; then checks that `/ready`
    still answers 200."""
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    report = FuzzReport()
    count = examples or examples_per_operation()
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.label not in set(skip):
            _fuzz_operation(operation, base_url, api_key, count, report, prepare)
    ready = httpx.get(f"{base_url}/ready", timeout=30)
    assert ready.status_code == 200, f"/ready after fuzzing: {ready.status_code} {ready.text}"
    return report


def _fuzz_operation(
    operation: APIOperation,
    base_url: str,
    api_key: str,
    count: int,
    report: FuzzReport,
    prepare: Prepare | None,
) -> None:
    fixed_seed = os.environ.get(SEED_VARIABLE)
    authorized = {"Authorization": f"Bearer {api_key}"}
    session = requests.Session()

    @settings(
        max_examples=count,
        deadline=None,
        database=None,
        derandomize=fixed_seed is None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), draw=st.booleans())
    def run(case: Case, draw: bool) -> None:
        if prepare is not None:
            prepare(case, draw)
            case.freeze_metadata()  # what was generated stays positive or negative as it was
        for headers in (authorized, {}):
            response = _send(session, case, base_url, headers)
            report.count(operation.label, response.status_code)
            case.validate_response(
                response, checks=CHECKS, additional_checks=EXTRA_CHECKS, headers=headers
            )

    if fixed_seed is not None:
        run = seed(int(fixed_seed))(run)
    with session:
        run()


def _send(
    session: requests.Session, case: Case, base_url: str, headers: dict[str, str]
) -> requests.Response:
    """The case sent as schemathesis would (`case.call`), through a plain session: its own
    transport counts urllib3's pools in a way urllib3-future (caldav's niquests) breaks."""
    kwargs = case.as_transport_kwargs(base_url=base_url, headers=headers)
    return session.request(**kwargs, timeout=REQUEST_TIMEOUT_S, allow_redirects=False)


def report_lines(report: FuzzReport) -> list[str]:
    """One line per operation: how many answers of each status."""
    return [
        f"{label}: " + ", ".join(f"{n}x{status}" for status, n in sorted(statuses.items()))
        for label, statuses in sorted(report.statuses.items())
    ]
