"""boto3 clients for the AWS server and its jobs, and how AWS errors are reported.

Credentials come from the standard AWS chain (environment, shared files, SSO, instance roles);
`VOXHALL_AWS_PROFILE`, `VOXHALL_AWS_REGION` and `VOXHALL_AWS_ENDPOINT_URL` (tests, LocalStack)
adjust it. Sessions and clients are created on first use, so a server without credentials starts
and each call reports what is missing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)

from mcp_servers.aws.settings import AwsSettings
from mcp_servers.errors import ToolError, api_errors
from voxhall.settings import environment_variable
from voxhall.tasks import TransientJobError

GLOBAL_SERVICE_REGIONS = {"ce": "us-east-1"}
"""Services answered from one region whatever the configured one (Cost Explorer)."""

TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)

_CONFIG = Config(
    retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5, read_timeout=30
)


def describe_error(exc: BaseException) -> str:
    """A short, secret-free message for an AWS error, naming the setting to fix when one is."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{exc.operation_name} failed: {error.get('Code')}: {error.get('Message')}"
    if isinstance(exc, NoRegionError):
        return f"Missing setting {environment_variable(AwsSettings, 'region')} (or AWS_REGION)"
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return (
            "No AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or "
            f"{environment_variable(AwsSettings, 'profile')} (the standard AWS credential chain)"
        )
    if isinstance(exc, ProfileNotFound):
        return f"AWS profile not found; check {environment_variable(AwsSettings, 'profile')}"
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError):
        return f"Cannot reach AWS: {exc}"
    return f"AWS client error: {exc}"


def is_transient(exc: BaseException) -> bool:
    """True for throttling, 5xx and network errors: worth retrying later."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        return code in TRANSIENT_CODES or status >= 500
    return isinstance(exc, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError)


@contextmanager
def aws_errors() -> Iterator[None]:
    """Inside a tool: AWS errors become `ToolError`s with AWS's message."""
    with api_errors(BotoCoreError, ClientError, describe=describe_error):
        yield


@contextmanager
def job_errors() -> Iterator[None]:
    """Inside a job: transient AWS errors retry the job, others fail it with AWS's message."""
    try:
        yield
    except (BotoCoreError, ClientError) as exc:
        if is_transient(exc):
            raise TransientJobError(describe_error(exc)) from exc
        raise RuntimeError(describe_error(exc)) from exc


class Aws:
    """A boto3 session for the configured profile/region, with cached clients."""

    def __init__(self, settings: AwsSettings) -> None:
        self.settings = settings
        self._session: boto3.Session | None = None
        self._clients: dict[str, Any] = {}
        self._account: str | None = None
        self._lock = threading.Lock()

    def _session_locked(self) -> boto3.Session:
        if self._session is None:
            self._session = boto3.Session(
                profile_name=self.settings.profile, region_name=self.settings.region
            )
        return self._session

    @property
    def region(self) -> str:
        with self._lock:
            region = self._session_locked().region_name
        if not region:
            raise ToolError(describe_error(NoRegionError()))
        return region

    def client(self, service: str) -> Any:
        """The boto3 client for `service` (created once; boto3 clients are thread-safe)."""
        region = GLOBAL_SERVICE_REGIONS.get(service) or self.region
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._session_locked().client(
                    service,
                    region_name=region,
                    endpoint_url=self.settings.endpoint_url,
                    config=_CONFIG,
                )
            return self._clients[service]

    def account(self) -> str:
        """The account id of the credentials in use (asked of STS once)."""
        if self._account is None:
            self._account = self.client("sts").get_caller_identity()["Account"]
        return self._account

    def where(self) -> str:
        """'account 123456789012, region eu-west-1', for confirmation prompts."""
        return f"account {self.account()}, region {self.region}"
