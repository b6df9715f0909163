"""Live AWS scanning: the collectors the selected rules need, over accounts × regions, concurrently.

One `Inventory` per account, complete (absence means absence), with a `Gap` for every listing that
could not be read — AccessDenied, a region not enabled, throttling past the retries, a timeout —
so the rules over it are UNKNOWN with the reason instead of silently clean; and, per region, AWS
Config's count of what exists (`census`), so that the types no collector read are named too.
"""
from __future__ import annotations

import dataclasses
import uuid
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, Callable, Iterable

from botocore.exceptions import BotoCoreError, ClientError

from ...errors import InputError
from ...model import Gap, Inventory
from . import collectors  # noqa: F401 - registers every collector
from .collector import Collector, error_reason
from .progress import OnProgress
from .session import AccountSession, AwsAccess, Guard, Tuning
from .units import (Access, Unit, _fewer_malloc_arenas, census_of, declared_operations, gaps_of, needed_collectors, read_types, resources_of,
                    run_unit)


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


def plan_units(scan: str, accounts: list[AccountSession], regions: list[str], resource_types: Iterable[str], *,
               home: str, access: Callable[[AccountSession], Access] = lambda _: Access(),
               vendor: str | None = None) -> list[Unit]:
    """One unit per (account, region); each account's account-wide collectors run once, in its
    unit of the home region (or of its first region, when the home region is not scanned)."""
    types = tuple(sorted(set(resource_types)))
    globals_at = home if home in regions else (regions[0] if regions else None)
    return [Unit(scan, account.account, region, home, types, access(account), region == globals_at, vendor)
            for account in accounts for region in regions]


def run_locally(units: list[Unit], sessions: dict[str, AccountSession], workers: int = 16,
                on_progress: OnProgress | None = None) -> list[dict[str, Any]]:
    """The local executor: units on a thread pool in this process, through the accounts' sessions
    already open here; as many collectors at once, in all, as `workers`."""
    outer = max(1, min(len(units), 4))
    with ThreadPoolExecutor(max_workers=outer) as pool:
        futures = {pool.submit(run_unit, unit, sessions[unit.account], max(4, workers // outer)): unit
                   for unit in units}
        for future in as_completed(futures):
            future.result()  # a ReadOnlyViolation is a bug: let it stop the scan loudly
            if on_progress:
                on_progress(futures[future], units)
        return [future.result() for future in futures]


def inventories_of(accounts: list[AccountSession], regions: list[str], resource_types: Iterable[str],
                   answers: list[dict[str, Any]], *, source: str) -> list[Inventory]:
    """One inventory per account from its units' answers, in the units' order, wherever they ran."""
    chosen = needed_collectors(resource_types)
    collected, inline = read_types(resource_types)
    uncovered = sorted(set(resource_types) - collected - inline)
    by_account: dict[str, list[dict[str, Any]]] = {a.account: [] for a in accounts}
    for answer in answers:
        by_account[answer["account"]].append(answer)
    inventories = []
    for account in accounts:
        mine = by_account[account.account]
        gaps = [Gap(t, "no collector reads this resource type", account.account) for t in uncovered]
        gaps += [g for answer in mine for g in gaps_of(answer)]
        inventories.append(Inventory(
            source=source, origin=account.account, resources=[r for a in mine for r in resources_of(a, source)],
            gaps=sorted(gaps, key=lambda g: (g.region or "", g.resource_type)),
            complete=True, scopes={(account.account, r) for r in regions}, census=[census_of(a) for a in mine],
            metadata={"identity": account.identity, "regions": regions,
                      "collectors": sorted(c.__name__ for c in chosen)},
        ))
    return inventories


def scan_accounts(accounts: list[AccountSession], regions: list[str], resource_types: Iterable[str], *,
                  source: str, home: str = "us-east-1", workers: int = 16,
                  on_progress: OnProgress | None = None) -> list[Inventory]:
    """Run the needed collectors over every account and region, here; one inventory per account."""
    units = plan_units(uuid.uuid4().hex, accounts, regions, resource_types, home=home)
    answers = run_locally(units, {a.account: a for a in accounts}, workers, on_progress)
    return inventories_of(accounts, regions, resource_types, answers, source=source)


@dataclasses.dataclass
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
    #: Where `external_id` was read from (vendors.yaml's ``{"env": NAME}`` or ``{"file": PATH}``):
    #: what a distributed scan sends its workers instead of the value.
    external_id_ref: dict[str, str] | None = None

    def request(self) -> dict[str, Any]:
        """The target as a store may keep it to plan the scan again: the ExternalId by reference only."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "external_id"}

    @classmethod
    def from_request(cls, request: dict[str, Any], origin: str) -> "Target":
        """The target `request` kept, its ExternalId read now from where the reference points."""
        from ...secret_refs import resolve

        reference = request.get("external_id_ref")
        return cls(**request, external_id=resolve(reference, "the scan's role", origin))

    def access(self, opened: AwsAccess, account: AccountSession) -> Access:
        """How another process reaches `account` as this target does — by reference only."""
        if self.external_id and not self.external_id_ref:
            raise InputError("--external-id", "its value would travel in broker messages: with --broker, name the "
                                              "ExternalId by reference (a vendors file's external_id: {env: NAME})")
        role = (f"arn:{account.partition}:iam::{account.account}:role/{self.role_name}"
                if self.org or self.accounts else self.role_arn)
        return Access(self.profile, role, self.external_id_ref, opened.endpoint_url, dataclasses.asdict(opened.tuning))


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


def distributed() -> Any:
    """The distributed executor's module: celery and redis are imported only when a broker is named."""
    try:
        from . import distributed as module
    except ImportError as exc:
        raise InputError("--broker", f"needs the distributed extra (pip install 'vendorguard[distributed]'): {exc}") from None
    return module


def scan_live(target: Target, resource_types: set[str], *, source: str, tuning: Tuning | None = None,
              on_progress: OnProgress | None = None, broker: str | None = None,
              vendor: str | None = None, journal: Any = None) -> tuple[list[Inventory], Guard]:
    """Inventories of every targeted account; the guard (with its call counts) for reporting.
    With a `broker`, the (account, region) units run on the workers behind it (`distributed`):
    the same units, the same answers, the same inventories; with a `journal` too
    (`store.runs.Journal`), the scan is kept under way in the store — or resumed from it."""
    _fewer_malloc_arenas()
    guard = Guard(declared_operations(needed_collectors(resource_types)))
    access, accounts = open_accounts(target, guard, tuning)
    regions, notes = target.regions, []
    if not regions or regions == ["all"]:
        regions, notes = enabled_regions(accounts[0], access.home)
    elif unknown := [r for r in regions if _partition(accounts[0], r) is None]:  # a typo: us-east1
        raise InputError("--regions", f"{unknown[0]!r} is not an AWS region (e.g. us-east-1, eu-west-2; or all)")
    if broker:
        run_on_workers = distributed().run_on_workers
        scan_id = (journal.resume if journal else None) or uuid.uuid4().hex
        units = plan_units(scan_id, accounts, regions, resource_types, home=access.home,
                           access=lambda account: target.access(access, account), vendor=vendor)
        kept = journal.begin(scan_id, vendor, target.request(), [u.to_json() for u in units]) if journal else {}
        answers = run_on_workers(broker, units, guard, on_progress, kept)
        inventories = inventories_of(accounts, regions, resource_types, answers, source=source)
    else:
        inventories = scan_accounts(accounts, regions, resource_types, source=source, home=access.home,
                                    on_progress=on_progress)
    scanned = {"organization": organization(access)} if target.org else {}
    for inventory in inventories:
        inventory.notes.extend(notes)
        inventory.metadata.update(scanned)
    return inventories, guard
