"""Live AWS scanning: the collectors the selected rules need, over accounts × regions, concurrently.

One `Inventory` per account, complete (absence means absence), with a `Gap` for every listing that
could not be read — AccessDenied, a region not enabled, throttling past the retries, a timeout —
so the rules over it are UNKNOWN with the reason instead of silently clean.
"""
from __future__ import annotations

import ctypes
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Callable, Iterable

from botocore.exceptions import BotoCoreError, ClientError

from ...errors import InputError
from ...model import Gap, Inventory, Resource
from ...types import fold_specs
from . import collectors  # noqa: F401 - registers every collector
from .collector import CallFailed, Collector, Ctx, Memo, error_reason
from .session import AccountSession, AwsAccess, Guard, ReadOnlyViolation, Tuning


def needed_collectors(resource_types: Iterable[str]) -> list[type[Collector]]:
    """The collectors that produce any of the types the selected rules read — nothing else runs."""
    wanted = set(resource_types)
    return [c for c in Collector.registry if wanted & set(c.types)]


def declared_operations(collector_types: Iterable[type[Collector]] | None = None) -> set[tuple[str, str]]:
    chosen = Collector.registry if collector_types is None else collector_types
    return {op for c in chosen for op in c.operations}


def enabled_regions(account: AccountSession, home: str) -> tuple[list[str], list[str]]:
    """The regions enabled for the account, and notes for the report.

    A scan never stops for a permission it lacks: without ec2:DescribeRegions it goes on over every
    region botocore knows in the partition, and one not enabled for the account then fails its
    calls — a gap, like any listing that could not be read."""
    try:
        regions = account.client("ec2", home).describe_regions()["Regions"]
    except (BotoCoreError, ClientError) as exc:
        known = sorted(set(account.session.get_available_regions("ec2", account.partition)) | {home})
        return known, [f"--regions all: could not read which regions are enabled for the account "
                       f"({error_reason(exc, 'ec2', 'DescribeRegions')}); scanned the {len(known)} regions "
                       f"botocore knows in partition {account.partition}: those not enabled are listed as gaps, "
                       "and a region newer than botocore is not scanned"]
    enabled = sorted(r["RegionName"] for r in regions if r.get("OptInStatus") != "not-opted-in")
    # AWS answers with the caller's partition only; an endpoint that also names regions of another
    # (moto names cn-* and us-gov-*) would have the scan try credentials that cannot work there.
    elsewhere = [r for r in enabled if _partition(account, r) not in (None, account.partition)]
    notes = [f"--regions all: not scanned, outside partition {account.partition}: {', '.join(elsewhere)}"] \
        if elsewhere else []
    return [r for r in enabled if r not in elsewhere], notes


def _partition(account: AccountSession, region: str) -> str | None:
    """The partition botocore places a region in; None for a region it does not know."""
    try:
        return account.session.get_partition_for_region(region)
    except (BotoCoreError, ValueError):
        return None


def organization(access: AwsAccess) -> str:
    """The organization ``--org`` scans, for the report to name; without
    organizations:DescribeOrganization the reason instead — the accounts are listed all the same."""
    try:
        return access.caller().client("organizations", access.home).describe_organization()["Organization"]["Id"]
    except (BotoCoreError, ClientError) as exc:
        return f"not read: {error_reason(exc, 'organizations', 'DescribeOrganization')}"


@dataclass
class _Task:
    account: AccountSession
    collector: type[Collector]
    region: str
    scope_region: str | None  # None for account-wide collectors


def scan_accounts(accounts: list[AccountSession], regions: list[str], resource_types: Iterable[str], *,
                  source: str, home: str = "us-east-1", workers: int = 16,
                  on_progress: Callable[[int, int], None] | None = None) -> list[Inventory]:
    """Run the needed collectors over every account and region; one inventory per account."""
    chosen = needed_collectors(resource_types)
    tasks = [
        _Task(account, collector, home if collector.global_ else region,
              None if collector.global_ else region)
        for account in accounts
        for collector in chosen
        for region in ([home] if collector.global_ else regions)
    ]
    found: dict[str, list[Resource]] = {a.account: [] for a in accounts}
    gaps: dict[str, list[Gap]] = {a.account: [] for a in accounts}
    lock = threading.Lock()
    memos = {a.account: Memo() for a in accounts}
    done = 0

    def run(task: _Task) -> None:
        ctx = Ctx(task.account.account, task.region, task.account.partition, task.account.client,
                  memos[task.account.account], source=source)
        try:
            task.collector().collect(ctx)
        except ReadOnlyViolation:
            raise
        except CallFailed as exc:
            reason = exc.reason
        except Exception as exc:  # noqa: BLE001 - an answer we could not shape: unknown, not a crash
            reason = f"{task.collector.__name__} could not read the response: {type(exc).__name__}: {exc}"
        else:
            with lock:
                found[task.account.account].extend(ctx.resources)
            return
        with lock:
            gaps[task.account.account].extend(
                Gap(t, reason, task.account.account, task.scope_region) for t in task.collector.types)

    collected = {t for c in chosen for t in c.types}
    # A split child (an ingress rule, a bucket's versioning) is read inline with its parent.
    inline = {t for t, spec in fold_specs().items() if collected & set(spec["parents"])}
    uncovered = set(resource_types) - collected - inline
    for account in accounts:
        gaps[account.account].extend(Gap(t, "no collector reads this resource type", account.account)
                                     for t in sorted(uncovered))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run, t) for t in tasks]
        for future in as_completed(futures):
            future.result()  # a ReadOnlyViolation is a bug: let it stop the scan loudly
            done += 1
            if on_progress:
                on_progress(done, len(tasks))
    return [
        Inventory(
            source=source, origin=account.account, resources=found[account.account],
            gaps=sorted(gaps[account.account], key=lambda g: (g.region or "", g.resource_type)),
            complete=True, scopes={(account.account, r) for r in regions},
            metadata={"identity": account.identity, "regions": regions,
                      "collectors": sorted(c.__name__ for c in chosen)},
        )
        for account in accounts
    ]


@dataclass
class Target:
    """Where to scan: the caller's own account, one role, or a list of accounts by role name."""

    profile: str | None = None
    role_arn: str | None = None
    external_id: str | None = None
    accounts: list[str] | None = None
    org: bool = False
    role_name: str | None = None
    regions: list[str] | None = None  # None or ["all"]: every enabled region
    endpoint_url: str | None = None


def open_accounts(target: Target, guard: Guard, tuning: Tuning | None = None) -> tuple[AwsAccess, list[AccountSession]]:
    """Sessions for every account the target names (AssumeRole where asked, concurrently)."""
    access = AwsAccess(guard, profile=target.profile, endpoint_url=target.endpoint_url, tuning=tuning)
    if target.org or target.accounts:
        if not target.role_name:
            raise InputError("--role-name", "is required with --accounts or --org")
        ids = access.organization_accounts() if target.org else target.accounts or []
        arns = [f"arn:{access.caller().partition}:iam::{i}:role/{target.role_name}" for i in ids]
        with ThreadPoolExecutor(max_workers=8) as pool:
            return access, list(pool.map(lambda arn: access.assume(arn, target.external_id), arns))
    if target.role_arn:
        return access, [access.assume(target.role_arn, target.external_id)]
    return access, [access.caller()]


def _fewer_malloc_arenas() -> None:
    """glibc gives threads malloc arenas of their own; with a scan's dozens of threads they hold
    on to fragmented heap (RSS) and contend.  Two arenas hold the same data in less, faster."""
    try:
        ctypes.CDLL("libc.so.6").mallopt(-8, 2)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass  # not glibc: nothing to tune


def scan_live(target: Target, resource_types: set[str], *, source: str, tuning: Tuning | None = None,
              on_progress: Callable[[int, int], None] | None = None) -> tuple[list[Inventory], Guard]:
    """Inventories of every targeted account; the guard (with its call counts) for reporting."""
    _fewer_malloc_arenas()
    guard = Guard(declared_operations(needed_collectors(resource_types)))
    access, accounts = open_accounts(target, guard, tuning)
    regions, notes = target.regions, []
    if not regions or regions == ["all"]:
        regions, notes = enabled_regions(accounts[0], access.home)
    inventories = scan_accounts(accounts, regions, resource_types, source=source, home=access.home,
                                on_progress=on_progress)
    scanned = {"organization": organization(access)} if target.org else {}
    for inventory in inventories:
        inventory.notes.extend(notes)
        inventory.metadata.update(scanned)
    return inventories, guard
