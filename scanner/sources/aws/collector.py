"""What a collector is: a declaration of the AWS calls it makes and the Terraform types it yields.

Each collector turns one AWS resource family into Terraform-shaped `Resource` records.  Its
declaration (service, operations, types) is data the rest of the scanner relies on: the scan runs
only the collectors whose types the selected rules read; the read-only guard refuses any call no
collector declared; and ``vendorguard iam-policy`` derives the scanning role's least-privilege
policy from the same list.  The code in `collect` is only what AWS's shapes require.

Failure is never silent.  A failed *listing* raises, and the scan records a `Gap` (every rule over
those types becomes UNKNOWN for that account/region).  A failed *per-resource* read (`Ctx.read`)
(`Ctx.reads(...).get`) yields UNKNOWN in the attribute it would have filled, with the error code as
the reason.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Iterable, TypeVar

from botocore import xform_name as snake  # DescribeDBInstances → describe_db_instances
from botocore.exceptions import BotoCoreError, ClientError

from ...model import UNKNOWN, Resource
from ...redact import redact

T = TypeVar("T")

class CallFailed(ClientError):
    """A call that could not be made, named (``AccessDenied on s3:ListBuckets``) in `reason`.

    A ClientError (with the error code in ``response["Error"]["Code"]``) even when the cause was
    a connection reset or a timeout, so collectors handle every failure of a call one way.
    """

    def __init__(self, exc: BaseException, service: str, operation: str) -> None:
        response = exc.response if isinstance(exc, ClientError) else {
            "Error": {"Code": type(exc).__name__, "Message": str(exc)}}
        super().__init__(response, operation)
        self.reason = error_reason(exc, service, operation)


def error_reason(exc: BaseException, service: str, operation: str) -> str:
    """A one-line reason naming the error code and the call, for UNKNOWN results and gaps."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "ClientError")
        return f"{code} on {service}:{operation}"
    return f"{type(exc).__name__} on {service}:{operation}"


class Memo:
    """A once-only cache: concurrent askers of the same key wait for the first one's answer
    (and share its exception, so a failed listing is a gap for every collector that needed it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: dict[Any, tuple[threading.Lock, list[Any]]] = {}

    def get(self, key: Any, compute: Callable[[], T]) -> T:
        with self._lock:
            slot = self._slots.setdefault(key, (threading.Lock(), []))
        lock, box = slot
        with lock:
            if not box:
                try:
                    box.append((True, compute()))
                except Exception as exc:  # noqa: BLE001 - re-raised to every asker
                    box.append((False, exc))
        ok, value = box[0]
        if not ok:
            raise value
        return value


class Reads:
    """Per-resource reads: each failure leaves UNKNOWN and a reason the resource carries."""

    def __init__(self, client: Any, service: str) -> None:
        self.client = client
        self.service = service
        self.reasons: list[str] = []

    def get(self, operation: str, extract: Callable[[dict[str, Any]], Any], *,
            absent: tuple[str, ...] = (), default: Any = None, **params: Any) -> Any:
        """Call `operation`; `extract` from the response.  Error codes in `absent` mean "not
        configured" (e.g. NoSuchBucketPolicy) and give `default`; any other failure gives UNKNOWN."""
        try:
            response = getattr(self.client, snake(operation))(**params)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in absent:
                return default
            self.reasons.append(error_reason(exc, self.service, operation))
            return UNKNOWN
        except BotoCoreError as exc:
            self.reasons.append(error_reason(exc, self.service, operation))
            return UNKNOWN
        try:
            return extract(response)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            self.reasons.append(f"unexpected {self.service}:{operation} response ({type(exc).__name__}: {exc})")
            return UNKNOWN


@dataclass
class Ctx:
    """What a collector works with: one account, one region, clients, and the resource factory."""

    account: str
    region: str
    partition: str
    client_for: Callable[[str, str], Any]
    #: The source name resources are emitted under (the live source's `name`).
    source: str = field(kw_only=True)
    #: Listings shared by the collectors of one account: a second collector that needs
    #: DescribeVolumes in the same region reuses the first one's answer instead of calling again.
    memo: "Memo" = field(default_factory=lambda: Memo())
    workers: int = 8
    resources: list[Resource] = field(default_factory=list)

    def client(self, service: str) -> Any:
        return self.client_for(service, self.region)

    def paginate(self, service: str, operation: str, key: str, **params: Any) -> list[Any]:
        """Every item under `key` of a listing, across all pages."""
        return [item for page in self.pages(service, operation, **params) for item in page.get(key) or []]

    def pages(self, service: str, operation: str, **params: Any) -> list[dict[str, Any]]:
        """Every page of a listing, fetched once per account/region however many collectors ask.
        Errors propagate: a failed listing is a gap."""
        memo_key = (service, self.region, operation, repr(sorted(params.items())))
        return self.memo.get(memo_key, lambda: self._pages(service, operation, params))

    def _pages(self, service: str, operation: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        client = self.client(service)
        method = snake(operation)
        try:
            if client.can_paginate(method):
                return list(client.get_paginator(method).paginate(**params))
            return [getattr(client, method)(**params)]
        except (ClientError, BotoCoreError) as exc:
            raise CallFailed(exc, service, operation) from exc

    def call(self, service: str, operation: str, **params: Any) -> dict[str, Any]:
        """One call whose failure is the collector's failure (a gap), named after the call."""
        try:
            return getattr(self.client(service), snake(operation))(**params)
        except (ClientError, BotoCoreError) as exc:
            raise CallFailed(exc, service, operation) from exc

    def reads(self, service: str, region: str | None = None) -> Reads:
        return Reads(self.client_for(service, region or self.region), service)

    def each(self, items: Iterable[T], fn: Callable[[T], Any]) -> list[Any]:
        """Per-resource work, concurrently (clients are thread-safe; sessions are not used here)."""
        items = list(items)
        if len(items) <= 1:
            return [fn(i) for i in items]
        with ThreadPoolExecutor(max_workers=min(self.workers, len(items))) as pool:
            return list(pool.map(fn, items))

    def arn(self, service: str, resource: str, region: str | None = None, global_: bool = False) -> str:
        where = "" if global_ else (region or self.region)
        return f"arn:{self.partition}:{service}:{where}:{self.account}:{resource}"

    def emit(self, rtype: str, address: str, attributes: dict[str, Any], reads: Reads | None = None,
             region: str | None = None) -> Resource:
        """A Terraform-shaped resource; UNKNOWN values (failed reads) are listed with their reasons."""
        sensitive = redact(rtype, attributes)
        unknown = frozenset(unknown_paths(attributes))
        resource = Resource(
            address=address, type=rtype, attributes=attributes, source=self.source, account=self.account,
            region=region if region is not None else self.region, unknown=unknown, sensitive=sensitive,
            unknown_reason="; ".join(dict.fromkeys(reads.reasons)) if reads and reads.reasons else None,
        )
        self.resources.append(resource)
        return resource


def unknown_paths(value: Any, prefix: str = "") -> Iterable[str]:
    """Dotted paths of every UNKNOWN inside an attribute tree."""
    if value is UNKNOWN:
        yield prefix
    elif isinstance(value, dict):
        for key, sub in value.items():
            yield from unknown_paths(sub, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for index, sub in enumerate(value):
            yield from unknown_paths(sub, f"{prefix}.{index}" if prefix else str(index))


class Collector:
    """Base of every collector: subclasses declare, and implement `collect`."""

    #: Terraform resource types this collector produces.
    types: ClassVar[tuple[str, ...]]
    #: boto3 client name of the calls below.
    service: ClassVar[str]
    #: Every operation this collector may call, as (service, Operation) pairs.
    operations: ClassVar[tuple[tuple[str, str], ...]]
    #: Account-wide (IAM, S3's bucket list, CloudFront): collected once per account.
    global_: ClassVar[bool] = False

    registry: ClassVar[list[type["Collector"]]] = []

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "types" in cls.__dict__:  # a base that only shares code declares no types of its own
            Collector.registry.append(cls)

    def collect(self, ctx: Ctx) -> None:  # pragma: no cover - every subclass overrides
        raise NotImplementedError


def tags(items: Any, key: str = "Key", value: str = "Value") -> dict[str, str]:
    """AWS's ``[{"Key": k, "Value": v}]`` as Terraform's ``{k: v}``."""
    if not isinstance(items, list):
        return {}
    return {str(t.get(key)): str(t.get(value, "")) for t in items if isinstance(t, dict)}
