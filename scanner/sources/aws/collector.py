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

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Iterable, TypeVar

from botocore import xform_name as snake  # DescribeDBInstances → describe_db_instances
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError

from ...model import UNKNOWN, Resource
from ...redact import redact
from .iam_policy import iam_action

T = TypeVar("T")

#: Pages of a listing paged by hand (no botocore paginator) before it is called endless: a gap,
#: never a hang.
MAX_PAGES = 100


class CallFailed(ClientError):
    """A call that could not be made, named in `reason` (``AccessDenied on s3:ListBuckets (IAM
    action s3:ListAllMyBuckets)``).

    A ClientError (with the error code in ``response["Error"]["Code"]``) even when the cause was
    a connection reset or a timeout, so collectors handle every failure of a call one way.
    """

    def __init__(self, exc: BaseException, service: str, operation: str) -> None:
        response = exc.response if isinstance(exc, ClientError) else {
            "Error": {"Code": type(exc).__name__, "Message": str(exc)}}
        super().__init__(response, operation)
        self.reason = error_reason(exc, service, operation)


#: Error codes of a call the caller's policies do not allow.  The HTTP status does not tell: KMS and
#: DynamoDB deny with 400, and 403 also means a bad token; a denied HEAD has no body, only "403".
_DENIED = re.compile(r"^403$|AccessDenied|Unauthorized|AuthorizationError|NotAuthorized|Forbidden", re.IGNORECASE)
#: What AWS answers in a region that is not enabled for the account (the credentials are not valid there).
_REGION_NOT_ENABLED = frozenset({"AuthFailure", "UnrecognizedClientException", "InvalidClientTokenId", "OptInRequired"})


def error_reason(exc: BaseException, service: str, operation: str) -> str:
    """A one-line reason naming the error code and the call, for UNKNOWN results and gaps — and,
    for a denial, the IAM action to grant (which is not always the operation: s3:ListBuckets is
    authorised as s3:ListAllMyBuckets)."""
    call = f"{service}:{operation}"
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        # An error body botocore could not read leaves no code: the HTTP status still says something.
        code = exc.response.get("Error", {}).get("Code") or (f"HTTP {status}" if status else "ClientError")
        if _DENIED.search(code) or status == 403:
            return f"{code} on {call} (IAM action {iam_action(service, operation)})"
        if code in _REGION_NOT_ENABLED:
            return f"{code} on {call} (is the region enabled for the account?)"
        return f"{code} on {call}"
    if isinstance(exc, EndpointConnectionError):
        return (f"EndpointConnectionError on {call}: could not connect to {exc.kwargs.get('endpoint_url')} "
                f"({service} may not be offered in this region)")
    return f"{type(exc).__name__} on {call}"


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
        return self._read(operation, lambda: getattr(self.client, snake(operation))(**params), extract, absent, default)

    def paginate(self, operation: str, key: str, extract: Callable[[list[Any]], Any] = list, **params: Any) -> Any:
        """`extract` from every item under `key` of a per-resource listing, across all its pages
        (joined by the service's own paginator: a page not asked for is a resource not seen);
        UNKNOWN if any page fails."""
        return self._read(operation, lambda: all_pages(self.client, operation, params),
                          lambda pages: extract([item for page in pages for item in page.get(key) or []]), (), None)

    def _read(self, operation: str, call: Callable[[], Any], extract: Callable[[Any], Any],
              absent: tuple[str, ...], default: Any) -> Any:
        try:
            response = call()
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

    def member(self, item: Any, key: str, operation: str) -> Any:
        """`item[key]` from an `operation` response; UNKNOWN, with the reason, when AWS left it out.
        For members whose absence the API does not document as "not configured": AWS's output
        shapes make nearly every member optional, and a rule must not pass on what was not said."""
        value = item.get(key) if isinstance(item, dict) else None
        if value is None:
            self.reasons.append(f"{self.service}:{operation} did not return {key}")
            return UNKNOWN
        return value


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
        try:
            return all_pages(self.client(service), operation, params)
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


def all_pages(client: Any, operation: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every page of `operation`, joined by the service's own paginator (one page when it has none)."""
    method = snake(operation)
    if client.can_paginate(method):
        return list(client.get_paginator(method).paginate(**params))
    return [getattr(client, method)(**params)]


class IncompleteItem(CallFailed):
    """A listed item without the member that names it (its id, name or ARN).  AWS's output shapes
    make nearly every member optional; an item that cannot be named can be neither reported nor read
    further, so the listing cannot be read as a whole: a gap (UNKNOWN, saying what was missing) —
    never a crash, and never a resource silently left out."""

    def __init__(self, service: str, operation: str, member: str) -> None:
        super().__init__(ClientError({"Error": {"Code": "IncompleteResponse", "Message": f"an item without {member}"}},
                                     operation), service, operation)
        self.member = member
        self.reason = f"{service}:{operation} returned an item without {member}"


def named(item: Any, member: str, service: str, operation: str) -> Any:
    """`item[member]`: what a listed item cannot be named without; `IncompleteItem` when absent."""
    value = item.get(member) if isinstance(item, dict) else None
    if value is None or value == "":
        raise IncompleteItem(service, operation, member)
    return value


def tags(items: Any, key: str = "Key", value: str = "Value") -> dict[str, str]:
    """AWS's ``[{"Key": k, "Value": v}]`` as Terraform's ``{k: v}``."""
    if not isinstance(items, list):
        return {}
    return {str(t.get(key)): str(t.get(value, "")) for t in items if isinstance(t, dict)}
