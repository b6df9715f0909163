"""One unit of live work: one (account, region) of one scan — a plain spec in, plain data out.

The local executor (`live.scan_accounts`, threads in this process) and the distributed one
(`distributed`, Celery workers) run the same function, `run_unit`, on the same `Unit`, and get
back the same JSON-able dict, so a scan's results cannot depend on where its units ran.

A `Unit` names *how* to reach the account, never the secrets that do: a profile name, a role ARN
and a *reference* to the ExternalId (``{"env": NAME}`` or ``{"file": PATH}``, as vendors.yaml
holds it); `resolve` reads the value where the reference points, in the process that runs the unit.
Credentials never leave that process either: a unit's answer holds resources (already redacted by
`Ctx.emit`), gaps, AWS Config's counts and call counts.
"""
from __future__ import annotations

import base64
import threading
import time
import ctypes
from collections import Counter, OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Iterable

from ...errors import InputError
from ...model import UNKNOWN, Census, Gap, Resource
from ...types import fold_specs
from . import collectors  # noqa: F401 - registers every collector: a unit names types, not collectors
from .census import take_census
from .collector import CallFailed, Collector, Ctx, Memo
from .session import AccountSession, AwsAccess, Guard, ReadOnlyViolation, Tuning


@dataclass(frozen=True)
class Access:
    """How a process reaches an account: what it may hold in a broker message (no secret)."""

    profile: str | None = None
    role_arn: str | None = None  # None: the caller's own credentials
    external_id: dict[str, str] | None = None  # a reference: {"env": NAME} or {"file": PATH}
    endpoint_url: str | None = None
    tuning: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Unit:
    """One (account, region) of scan `scan`; `globals_` marks the unit of each account that also
    runs the account-wide collectors (once per account, in the `home` region)."""

    scan: str
    account: str
    region: str
    home: str
    types: tuple[str, ...]
    access: Access
    globals_: bool = False
    vendor: str | None = None

    @property
    def key(self) -> tuple[str, str, str]:
        return self.scan, self.account, self.region

    @property
    def task_id(self) -> str:
        """Deterministic: a unit sent twice (redelivered, re-enqueued) is one task and one result."""
        return f"vg-{self.scan}-{self.account}-{self.region}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Unit":
        return cls(**{**data, "types": tuple(data["types"]), "access": Access(**data["access"])})

    def jobs(self) -> list[tuple[type[Collector], str, str | None]]:
        """(collector, the region it calls, the region its gaps are scoped to) for this unit."""
        return [(c, self.home, None) if c.global_ else (c, self.region, self.region)
                for c in needed_collectors(self.types) if not c.global_ or self.globals_]

    def read(self) -> frozenset[str]:
        collected, inline = read_types(self.types)
        return frozenset(collected | inline)


def _fewer_malloc_arenas() -> None:
    """glibc gives threads malloc arenas of their own; with a scan's dozens of threads they hold
    on to fragmented heap (RSS) and contend.  Two arenas hold the same data in less, faster."""
    try:
        ctypes.CDLL("libc.so.6").mallopt(-8, 2)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass  # not glibc: nothing to tune


def declared_operations(collector_types: Iterable[type[Collector]] | None = None) -> set[tuple[str, str]]:
    """Every call the collectors may make (the guard's allow-list and the scanning role's policy)."""
    chosen = Collector.registry if collector_types is None else collector_types
    return {op for c in chosen for op in c.operations}


def needed_collectors(resource_types: Iterable[str]) -> list[type[Collector]]:
    """The collectors that produce any of the types the selected rules read — nothing else runs."""
    wanted = set(resource_types)
    return [c for c in Collector.registry if wanted & set(c.types)]


def read_types(resource_types: Iterable[str]) -> tuple[set[str], set[str]]:
    """The types a scan for `resource_types` reads: its collectors', and the split children (an
    ingress rule, a bucket's versioning) read inline with their parents."""
    collected = {t for c in needed_collectors(resource_types) for t in c.types}
    return collected, {t for t, spec in fold_specs().items() if collected & set(spec["parents"])}


def run_unit(unit: Unit, account: AccountSession, workers: int = 8) -> dict[str, Any]:
    """Run `unit`'s collectors (concurrently) and its census on `account`: its answer, as JSON-able
    data.  A listing that fails is a gap; a ReadOnlyViolation is a bug and propagates."""
    memo = Memo()

    def collect(job: tuple[type[Collector], str, str | None]) -> tuple[list[Resource], list[Gap]]:
        collector, region, scope = job
        ctx = Ctx(account.account, region, account.partition, account.client, memo, source="aws")
        try:
            collector().collect(ctx)
        except ReadOnlyViolation:
            raise
        except CallFailed as exc:
            reason = exc.reason
        except Exception as exc:  # noqa: BLE001 - an answer we could not shape: unknown, not a crash
            reason = f"{collector.__name__} could not read the response: {type(exc).__name__}: {exc}"
        else:
            return ctx.resources, []
        return [], [Gap(t, reason, account.account, scope) for t in collector.types]

    jobs = unit.jobs()
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(jobs) + 1))) as pool:
        census = pool.submit(take_census, account, unit.region, unit.read())
        answers = list(pool.map(collect, jobs))  # in registry order: the same order wherever it runs
    return {
        "scan": unit.scan, "account": unit.account, "region": unit.region,
        "resources": [_resource(r) for found, _ in answers for r in found],
        "gaps": [_gap(g) for _, gaps in answers for g in gaps],
        "census": _census(census.result()),
    }


def failed_unit(unit: Unit, reason: str) -> dict[str, Any]:
    """The answer of a unit that could not run at all: every type it would have read is a gap
    (its rules UNKNOWN, saying why), and its region's census a problem."""
    return {
        "scan": unit.scan, "account": unit.account, "region": unit.region, "resources": [],
        "gaps": [_gap(Gap(t, reason, unit.account, scope)) for c, _, scope in unit.jobs() for t in c.types],
        "census": _census(Census(unit.account, unit.region, {}, unit.read(), problem=reason)),
    }


# -- plain data both ways ----------------------------------------------------------------------------
_TAG = "$vg"


def encode(value: Any) -> Any:
    """An attribute tree as JSON, exactly reversible by `decode`: UNKNOWN, tuples, sets, bytes and
    datetimes are tagged; anything else that JSON cannot hold is a bug, and raises."""
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if value is UNKNOWN:
        return {_TAG: "unknown"}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        if _TAG in value or not all(isinstance(k, str) for k in value):
            return {_TAG: "dict", "v": [[encode(k), encode(v)] for k, v in value.items()]}
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return {_TAG: "tuple", "v": [encode(v) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {_TAG: type(value).__name__, "v": [encode(v) for v in value]}
    if isinstance(value, bytes):
        return {_TAG: "bytes", "v": base64.b64encode(value).decode()}
    if isinstance(value, (datetime, date)):
        return {_TAG: type(value).__name__, "v": value.isoformat()}
    raise TypeError(f"a collector emitted a {type(value).__name__}, which a unit's answer cannot carry")


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "unknown": lambda _: UNKNOWN,
    "dict": lambda v: {decode(k): decode(x) for k, x in v},
    "tuple": lambda v: tuple(decode(x) for x in v),
    "set": lambda v: {decode(x) for x in v},
    "frozenset": lambda v: frozenset(decode(x) for x in v),
    "bytes": base64.b64decode,
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
}


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if isinstance(value, dict):
        if _TAG in value:
            return _DECODERS[value[_TAG]](value.get("v"))
        return {k: decode(v) for k, v in value.items()}
    return value


def _resource(r: Resource) -> dict[str, Any]:
    return {"address": r.address, "type": r.type, "attributes": encode(r.attributes), "source": r.source,
            "account": r.account, "region": r.region, "unknown": sorted(r.unknown), "sensitive": sorted(r.sensitive),
            "unknown_reason": r.unknown_reason, "file": r.file, "line": r.line}


def _gap(g: Gap) -> dict[str, Any]:
    return {"resource_type": g.resource_type, "reason": g.reason, "account": g.account, "region": g.region}


def _census(c: Census) -> dict[str, Any]:
    return {"account": c.account, "region": c.region, "counts": c.counts, "read": sorted(c.read), "problem": c.problem}


def resources_of(answer: dict[str, Any], source: str) -> list[Resource]:
    return [Resource(**{**r, "attributes": decode(r["attributes"]), "source": source,
                        "unknown": frozenset(r["unknown"]), "sensitive": frozenset(r["sensitive"])})
            for r in answer["resources"]]


def gaps_of(answer: dict[str, Any]) -> list[Gap]:
    return [Gap(**g) for g in answer["gaps"]]


def census_of(answer: dict[str, Any]) -> Census:
    c = answer["census"]
    return Census(c["account"], c["region"], dict(c["counts"]), frozenset(c["read"]), c["problem"])


# -- credentials, resolved where the unit runs ------------------------------------------------------
def external_id(reference: dict[str, str] | None, where: str) -> str | None:
    """The ExternalId a reference points to, read now, in this process."""
    from ...secret_refs import resolve

    return resolve(reference, f"vendor {where!r}", where)


class Sessions:
    """A worker process's credentials per (profile, endpoint, role): assumed once, reused by its
    next units until shortly before they expire; a few dozen at most (a worker's memory stays
    bounded however many accounts it serves)."""

    LIFETIME = 45 * 60  # AssumeRole asks for an hour
    SIZE = 64

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: OrderedDict[tuple[Any, ...], tuple[float, AccountSession]] = OrderedDict()

    def open(self, unit: Unit, guard: Guard, throttle: Callable[[str, str, str], None] | None = None) -> AccountSession:
        """`unit`'s account through a new `guard` (its calls counted apart from the opening's)."""
        a = unit.access
        key = (a.profile, a.endpoint_url, a.role_arn, repr(sorted((a.external_id or {}).items())))
        with self._lock:
            held = self._held.get(key)
            if held is not None and held[0] > time.monotonic():
                self._held.move_to_end(key)
                opened = held[1]
            else:
                opened = self._assume(unit)
                self._held[key] = (time.monotonic() + self.LIFETIME, opened)
                while len(self._held) > self.SIZE:
                    self._held.popitem(last=False)
        if opened.account != unit.account:
            raise InputError(a.role_arn or "AWS credentials",
                             f"reached account {opened.account}, not the unit's {unit.account}")
        return AccountSession(opened.session, opened.account, opened.partition, guard, a.endpoint_url,
                              opened.tuning, opened.identity, throttle=throttle)

    @staticmethod
    def _assume(unit: Unit) -> AccountSession:
        a = unit.access
        access = AwsAccess(Guard(set()), profile=a.profile, endpoint_url=a.endpoint_url, region=unit.home,
                           tuning=Tuning(**a.tuning))
        if a.role_arn:
            return access.assume(a.role_arn, external_id(a.external_id, f"the ExternalId for {a.role_arn}"))
        return access.caller()


def calls_of(guard: Guard) -> list[list[Any]]:
    return [[service, operation, n] for (service, operation), n in sorted(guard.calls.items())]


def add_calls(counter: Counter, answer: dict[str, Any]) -> None:
    for service, operation, n in answer.get("calls", ()):
        counter[(service, operation)] += n


def execute(data: dict[str, Any], sessions: Sessions, allowed: Callable[[Iterable[str]], set[tuple[str, str]]],
            throttle: Callable[[str, str, str], None] | None = None) -> dict[str, Any]:
    """A unit run by a worker: resolve its account here, run it, count its calls; a unit that
    cannot reach its account answers with gaps that say why (never an exception the coordinator
    would have to interpret).  A ReadOnlyViolation is answered as such: the coordinator stops."""
    unit = Unit.from_json(data)
    guard = Guard(allowed(unit.types))
    try:
        account = sessions.open(unit, guard, throttle)
        answer = run_unit(unit, account)
    except ReadOnlyViolation as exc:
        return {**failed_unit(unit, str(exc)), "violation": str(exc)}
    except InputError as exc:
        return failed_unit(unit, f"the worker could not reach the account: {exc}")
    return {**answer, "calls": calls_of(guard)}
