"""AWS access for scanning: credentials, assumed roles, clients — and a guard that makes the
scanner read-only by construction.

Every client gets a ``before-call`` hook that refuses, before anything is sent, any operation that
neither a collector nor `SESSION_CALLS` declares, any collector operation whose name is not a read
(Describe/List/Get/BatchGet), and any read of *data* rather than configuration (object contents,
secret values, parameters, log events, table items, function code).  boto3 sessions are not
thread-safe, so clients are created under a lock and then shared (clients are).
"""
from __future__ import annotations

import enum
import functools
import logging
import os
import re
import threading
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

import boto3
import botocore.session
from botocore.config import Config
from botocore.exceptions import (BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError,
                                 NoCredentialsError, PartialCredentialsError, ReadTimeoutError)
from botocore.utils import is_valid_endpoint_url, is_valid_ipv6_endpoint_url

from ...errors import InputError

READ_PREFIXES = ("Describe", "List", "Get", "BatchGet")

#: Reads of data, not configuration, by boto3 service: never called, never granted, whatever a
#: collector declares.  The guard refuses these operation names in every service; the scanning
#: policy's Deny statement is derived from this table (`iam_policy.DENIED`), so the two cannot
#: drift apart.  Operations not named like reads (``Query``, ``StartQuery``) are listed too: the
#: guard refuses them anyway, and the Deny must cover them against a broader attached policy.
DATA_READS: dict[str, frozenset[str]] = {
    "s3": frozenset({"GetObject", "GetObjectAcl", "GetObjectTagging", "GetObjectAttributes", "GetObjectTorrent"}),
    "s3express": frozenset({"CreateSession"}),
    "secretsmanager": frozenset({"GetSecretValue", "BatchGetSecretValue"}),
    "ssm": frozenset({"GetParameter", "GetParameters", "GetParametersByPath", "GetParameterHistory"}),
    "logs": frozenset({"GetLogEvents", "FilterLogEvents", "GetLogRecord", "GetQueryResults", "StartQuery",
                       "StartLiveTail"}),
    "dynamodb": frozenset({"GetItem", "BatchGetItem", "Query", "Scan", "ExecuteStatement",
                           "BatchExecuteStatement"}),
    "dynamodbstreams": frozenset({"GetRecords", "GetShardIterator"}),
    "kinesis": frozenset({"GetRecords", "GetShardIterator"}),
    "athena": frozenset({"GetQueryResults"}),
    "glacier": frozenset({"GetJobOutput"}),
    "stepfunctions": frozenset({"GetExecutionHistory"}),
    "codecommit": frozenset({"GetBlob", "GetFile"}),
    "lambda": frozenset({"GetFunction", "GetLayerVersion"}),
    "ecr": frozenset({"GetDownloadUrlForLayer", "BatchGetImage", "GetAuthorizationToken"}),
    "ec2": frozenset({"GetPasswordData", "GetConsoleOutput", "GetConsoleScreenshot", "GetLaunchTemplateData"}),
    "kms": frozenset({"Decrypt", "GenerateDataKey"}),
    "sqs": frozenset({"ReceiveMessage"}),
    "sts": frozenset({"GetSessionToken", "GetFederationToken"}),
    "iam": frozenset({"GetCredentialReport"}),
    "rds": frozenset({"DownloadDBLogFilePortion"}),
    # database credentials, and video itself (Kinesis Video Streams' media and archived-media APIs)
    "redshift": frozenset({"GetClusterCredentials", "GetClusterCredentialsWithIAM"}),
    "redshift-serverless": frozenset({"GetCredentials"}),
    "kinesis-video-media": frozenset({"GetMedia"}),
    "kinesis-video-archived-media": frozenset({"GetClip", "GetHLSStreamingSessionURL", "GetDASHStreamingSessionURL",
                                               "GetImages", "GetMediaForFragmentList"}),
}
_DATA_READ_NAMES = frozenset(op for ops in DATA_READS.values() for op in ops)


class Identity(enum.Enum):
    """Who makes a call: the policy each identity needs is derived from the calls it makes."""

    #: The role in the vendor's account that reads it (or the caller's own credentials, when no
    #: role is assumed): `iam_policy.scanning_policy`.
    SCANNING_ROLE = "scanning role"
    #: The auditor's own credentials, which assume the scanning role(s): `iam_policy.auditor_policy`.
    AUDITOR = "auditor"


@dataclass(frozen=True)
class SessionCall:
    """A call the scan makes outside any collector: by whom, and on which condition."""

    service: str
    operation: str
    by: frozenset[Identity]
    #: The option that makes the scan send it (None: every scan); the auditor's policy grants
    #: ``--org`` calls only for ``--org``.
    option: str | None = None
    #: Made only through a client of this service (botocore's own follow-up calls): granted only
    #: where a collector calls that service.
    only_with: str | None = None


#: Every call made outside the collectors — the one declaration the guard's allow-list
#: (`IDENTITY_CALLS`) and both IAM policies (`iam_policy`) are derived from.
SESSION_CALLS: tuple[SessionCall, ...] = (
    # the account and partition behind each set of credentials
    SessionCall("sts", "GetCallerIdentity", frozenset(Identity)),
    # the scanning role in each account
    SessionCall("sts", "AssumeRole", frozenset({Identity.AUDITOR}), option="--role-arn/--role-name"),
    # the organization's id, for the report (the scan goes on without it), and its active accounts
    SessionCall("organizations", "DescribeOrganization", frozenset({Identity.AUDITOR}), option="--org"),
    SessionCall("organizations", "ListAccounts", frozenset({Identity.AUDITOR}), option="--org"),
    # the regions enabled for the account (the scan goes on over botocore's list without it)
    SessionCall("ec2", "DescribeRegions", frozenset({Identity.SCANNING_ROLE}), option="--regions all"),
    # what exists in each region, counted by AWS Config: the report names the types present that the
    # scan did not read (coverage); without it, it says that it could not list them
    SessionCall("config", "GetDiscoveredResourceCounts", frozenset({Identity.SCANNING_ROLE})),
    # botocore's S3RegionRedirectorv2.get_bucket_region: after a request sent to a bucket's wrong
    # region, when neither the error's headers nor its body name the right one, botocore sends
    # HeadBucket itself — through this client, so through the guard — to learn it.
    SessionCall("s3", "HeadBucket", frozenset({Identity.SCANNING_ROLE}), only_with="s3"),
)

#: The (service, operation) of every `SESSION_CALLS` entry: allowed by the guard besides the
#: collectors' declared reads, whatever their names (AssumeRole, HeadBucket).
IDENTITY_CALLS = frozenset((c.service, c.operation) for c in SESSION_CALLS)


class ReadOnlyViolation(RuntimeError):
    """A call the scanner must never make.  It is a bug, so it is never turned into a result."""


def is_configuration_read(operation: str) -> bool:
    return operation.startswith(READ_PREFIXES) and operation not in _DATA_READ_NAMES


class Guard:
    """The ``before-call`` hook: allow declared configuration reads, refuse everything else."""

    def __init__(self, allowed: set[tuple[str, str]]) -> None:
        self.allowed = frozenset(allowed) | IDENTITY_CALLS
        self.calls: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    def __call__(self, model: Any, **_: Any) -> None:
        key = (model.service_model.service_name, model.name)
        if key not in self.allowed or (key not in IDENTITY_CALLS and not is_configuration_read(model.name)):
            raise ReadOnlyViolation(f"refused {key[0]}:{key[1]}: not a declared configuration read")
        with self._lock:
            self.calls[key] += 1


def _max_attempts() -> int:
    """The AWS SDKs' own setting, ``AWS_MAX_ATTEMPTS``, else 8.  An explicit retry configuration
    would otherwise override it: a user who lowered it (an endpoint that answers a call it lacks
    with a 500, which is retried with backoff) gets what they asked for."""
    value = os.environ.get("AWS_MAX_ATTEMPTS", "").strip()
    if not value:
        return 8
    if not value.isdigit() or int(value) < 1:
        raise InputError("AWS_MAX_ATTEMPTS", f"{value!r} is not a number of attempts (1 or more)")
    return int(value)


@dataclass
class Tuning:
    """Retry and timeout settings (adaptive retries, so throttling backs off instead of failing)."""

    max_attempts: int = field(default_factory=_max_attempts)
    connect_timeout: float = 5
    read_timeout: float = 30
    max_pool_connections: int = 32

    def config(self) -> Config:
        return Config(retries={"mode": "adaptive", "max_attempts": self.max_attempts},
                      connect_timeout=self.connect_timeout, read_timeout=self.read_timeout,
                      max_pool_connections=self.max_pool_connections, user_agent_extra="vendorguard")


@dataclass
class AccountSession:
    """One account's credentials; hands out guarded, cached clients per (service, region)."""

    session: boto3.session.Session
    account: str
    partition: str
    guard: Guard
    endpoint_url: str | None
    tuning: Tuning
    identity: str = ""
    #: Waits, before each call, for the shared rate limit of (account, region, service), when
    #: workers share one (`distributed.RateLimit`); None in one process, where adaptive retries do.
    throttle: Callable[[str, str, str], Any] | None = None
    _clients: dict[tuple[str, str], Any] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def client(self, service: str, region: str) -> Any:
        key = (service, region)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self.session.client(service, region_name=region, endpoint_url=self.endpoint_url,
                                             config=self.tuning.config())
                client.meta.events.register("before-call", self.guard)
                if self.throttle is not None:
                    client.meta.events.register("before-call", _throttled(self.throttle, self.account, region, service))
                if self.endpoint_url:
                    client.meta.events.register("before-sign", _no_host_prefix(self.endpoint_url))
                self._clients[key] = client
            return client


@functools.cache
def _data_loader() -> Any:
    return botocore.session.get_session().get_component("data_loader")


def _session(**options: Any) -> boto3.session.Session:
    """A boto3 session on this process's one botocore data loader.  Each session would otherwise
    parse and keep its own copy of every service model its clients use (about 5 MB a client): the
    sessions of a 100-account organization held 4 GB."""
    core = botocore.session.get_session()
    loader = _data_loader()
    core.register_component("data_loader", loader)
    session = boto3.session.Session(botocore_session=core, **options)
    loader.search_paths[:] = list(dict.fromkeys(loader.search_paths))  # boto3 adds its own path each time
    return session


def _throttled(throttle: Callable[[str, str, str], Any], account: str, region: str, service: str) -> Any:
    def wait(**_: Any) -> None:  # a before-call handler that returned a value would be the response
        throttle(account, region, service)

    return wait


def _no_host_prefix(endpoint_url: str) -> Any:
    """A custom endpoint (moto, LocalStack on an IP) cannot answer the account-prefixed host that
    s3control's endpoint rules build (``<account>.127.0.0.1``): send such requests to the endpoint."""
    host = urllib.parse.urlsplit(endpoint_url).netloc

    def rewrite(request: Any, **_: Any) -> None:
        parts = urllib.parse.urlsplit(request.url)
        if parts.netloc != host and parts.netloc.endswith("." + host):
            request.url = urllib.parse.urlunsplit(parts._replace(netloc=host))

    return rewrite


# -- logs -------------------------------------------------------------------------------------------
#: botocore logs at DEBUG what it sends and receives: the session token in every request's headers
#: and signature input, the ExternalId in AssumeRole's parameters, and every response body — the
#: assumed role's keys, Lambda environment variables, tag values.  vendorguard never turns that
#: logging on (no option does, VENDORGUARD_DEBUG only shows tracebacks); for a user who does, this
#: filter on botocore's loggers takes credentials and response bodies out of the records.
_CREDENTIAL_PATTERNS = (
    (re.compile(r"<(SecretAccessKey|SessionToken)>[^<]*</\1>"), r"<\1>(redacted)</\1>"),
    (re.compile(r"(?i)(x-amz-security-token['\"]?\s*[:=]\s*b?['\"]?)[A-Za-z0-9+/=%_.\-]+"), r"\1(redacted)"),
    (re.compile(r"(?i)((?:ExternalId|SecretAccessKey|SessionToken)['\"]?\s*[:=]\s*['\"]?)[^'\"&\s}]+"),
     r"\1(redacted)"),
)
_LOGGER_PREFIXES = ("botocore", "boto3", "urllib3", "s3transfer")


class _LogScrubber(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "botocore.parsers" and str(record.msg).startswith("Response body"):
            record.msg, record.args = "Response body: (withheld by vendorguard: it can hold secrets)", None
            return True
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a record that cannot format is not ours to fix
            return True
        clean = message
        for secret in sorted(self.secrets, key=len, reverse=True):
            clean = clean.replace(secret, "(redacted)")
        for pattern, replacement in _CREDENTIAL_PATTERNS:
            clean = pattern.sub(replacement, clean)
        if clean != message:
            record.msg, record.args = clean, None
        return True


_SCRUBBER = _LogScrubber()
_SCRUBBER_LOCK = threading.Lock()


def scrub_from_logs(*secrets: str | None) -> None:
    """Keep these values (and any credential) out of botocore's log records, on every botocore,
    boto3 and urllib3 logger that exists now — call again once more of botocore is loaded."""
    with _SCRUBBER_LOCK:
        _SCRUBBER.secrets.update(s for s in secrets if s and len(s) >= 4)
        for name, logger in list(logging.root.manager.loggerDict.items()):
            if isinstance(logger, logging.Logger) and name.split(".")[0] in _LOGGER_PREFIXES \
                    and _SCRUBBER not in logger.filters:
                logger.addFilter(_SCRUBBER)


def _session_secrets(session: boto3.session.Session) -> tuple[str | None, str | None]:
    try:
        credentials = session.get_credentials()
        frozen = credentials.get_frozen_credentials() if credentials is not None else None
    except BotoCoreError:
        return None, None
    return (frozen.secret_key, frozen.token) if frozen is not None else (None, None)


def endpoint_problem(url: str) -> str | None:
    """Why `url` cannot be an endpoint, or None.  botocore's own test (it would raise a bare
    ValueError deep inside the first client), plus a scheme requests can speak."""
    try:
        scheme = urllib.parse.urlsplit(url).scheme
    except ValueError:  # an unbalanced IPv6 bracket
        scheme = ""
    if scheme not in ("http", "https") or not (is_valid_endpoint_url(url) or is_valid_ipv6_endpoint_url(url)):
        return "not an endpoint URL (http:// or https://, then a host)"
    return None


def _credential_problem(where: str, exc: BaseException) -> InputError:
    if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
        return InputError(where, "no AWS credentials found (set AWS_PROFILE or AWS_ACCESS_KEY_ID, or use --profile)")
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return InputError(where, f"{error.get('Code', 'ClientError')}: {error.get('Message', '')}".strip())
    return InputError(where, f"{type(exc).__name__}: {exc}")


class AwsAccess:
    """The caller's credentials, and the accounts they can reach (directly or by AssumeRole)."""

    def __init__(self, guard: Guard, profile: str | None = None, endpoint_url: str | None = None,
                 region: str | None = None, tuning: Tuning | None = None) -> None:
        self.guard = guard
        self.endpoint_url = endpoint_url or os.environ.get("AWS_ENDPOINT_URL")
        #: How the user set the endpoint, to name in an error about it.
        self.endpoint_setting = f"{'--endpoint-url' if endpoint_url else 'AWS_ENDPOINT_URL'} {self.endpoint_url}"
        if self.endpoint_url and (problem := endpoint_problem(self.endpoint_url)):
            raise InputError(self.endpoint_setting, problem)
        self.tuning = tuning or Tuning()
        try:
            self.base = _session(profile_name=profile)
        except BotoCoreError as exc:  # unknown profile and the like
            raise InputError(f"profile {profile}", str(exc)) from None
        self.home = region or self.base.region_name or "us-east-1"
        self._caller: AccountSession | None = None
        scrub_from_logs(*_session_secrets(self.base))

    def _wrap(self, session: boto3.session.Session, where: str) -> AccountSession:
        probe = AccountSession(session, "", "aws", self.guard, self.endpoint_url, self.tuning)
        try:
            sts = probe.client("sts", self.home)
            scrub_from_logs()  # the first client has loaded the rest of botocore, and its loggers
            identity = sts.get_caller_identity()
        except (BotoCoreError, ClientError) as exc:
            raise self._problem(where, exc) from None
        probe.account = identity["Account"]
        probe.partition = identity["Arn"].split(":")[1]
        probe.identity = identity["Arn"]
        return probe

    def _problem(self, where: str, exc: BaseException) -> InputError:
        """`exc` in one line.  An endpoint that does not answer is named as such — by the setting
        that chose it, or by its URL — rather than blamed on the credentials or the role."""
        if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError)):
            problem = "could not connect to the endpoint"
        elif isinstance(exc, ReadTimeoutError):
            problem = f"the endpoint did not answer within {self.tuning.read_timeout:g} s"
        else:
            return _credential_problem(where, exc)
        return InputError(self.endpoint_setting if self.endpoint_url else str(exc.kwargs.get("endpoint_url")), problem)

    def caller(self) -> AccountSession:
        """The credentials' own account (checked once: missing or invalid ones are an InputError)."""
        if self._caller is None:
            self._caller = self._wrap(self.base, "AWS credentials")
        return self._caller

    def assume(self, role_arn: str, external_id: str | None = None) -> AccountSession:
        """An account session from AssumeRole (with the ExternalId a vendor's audit role demands)."""
        params = {"RoleArn": role_arn, "RoleSessionName": "vendorguard-audit", "DurationSeconds": 3600}
        if external_id:
            params["ExternalId"] = external_id
        scrub_from_logs(external_id)
        sts = self.caller().client("sts", self.home)
        try:
            creds = sts.assume_role(**params)["Credentials"]
        except (BotoCoreError, ClientError) as exc:
            raise self._problem(f"role {role_arn}", exc) from None
        scrub_from_logs(creds["SecretAccessKey"], creds["SessionToken"])
        session = _session(aws_access_key_id=creds["AccessKeyId"], aws_secret_access_key=creds["SecretAccessKey"],
                           aws_session_token=creds["SessionToken"])
        return self._wrap(session, f"role {role_arn}")

    def organization_accounts(self) -> list[str]:
        """Active member accounts (from the management or a delegated administrator account)."""
        caller = self.caller()
        try:
            pages = caller.client("organizations", self.home).get_paginator("list_accounts").paginate()
            return [a["Id"] for page in pages for a in page["Accounts"] if a.get("Status") == "ACTIVE"]
        except (BotoCoreError, ClientError) as exc:
            raise self._problem("--org", exc) from None
