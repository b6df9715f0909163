"""Vendors as first-class: `vendors.yaml` lists whom a practice audits and how to reach them.

Each vendor has AWS accounts scanned through a role it grants (with a *reference* to the
ExternalId that role requires — an environment variable or a file, never the value in the YAML)
and optional files it hands over (plans, states, Pulumi exports, HCL), keyed by the scan command
that reads them.  `scan` yields one report per (vendor, source); the CLI records each in the store
under the vendor's name.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from . import secret_refs
from .catalog import load_checked_yaml
from .decisions import Decisions
from .errors import InputError
from .results import ScanReport


@dataclass(frozen=True)
class Vendor:
    name: str
    accounts: tuple[str, ...] = ()
    role_name: str | None = None
    external_id: dict[str, str] | None = None  # {"env": NAME} or {"file": PATH}: a reference
    regions: tuple[str, ...] | None = None
    profile: str | None = None
    files: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def resolve_external_id(self, origin: str) -> str | None:
        """The ExternalId, read where the reference points, at the moment the scan needs it."""
        return secret_refs.resolve(self.external_id, f"vendor {self.name!r}", origin)


def load(path: str) -> list[Vendor]:
    """The vendors of a file, schema-checked, relative paths taken from the file's directory."""
    document = load_checked_yaml(path, "vendors")
    base = Path(path).parent
    vendors = []
    names: set[str] = set()
    for entry in document["vendors"]:
        if entry["name"] in names:
            raise InputError(path, f"vendor {entry['name']!r} is listed twice")
        names.add(entry["name"])
        ref = dict(entry["external_id"]) if "external_id" in entry else None
        if ref and "file" in ref:
            ref["file"] = str(base / ref["file"])
        vendors.append(Vendor(
            name=entry["name"], accounts=tuple(entry.get("accounts", ())), role_name=entry.get("role_name"),
            external_id=ref, regions=tuple(entry["regions"]) if "regions" in entry else None,
            profile=entry.get("profile"),
            files={command: tuple(str(base / f) for f in paths) for command, paths in entry.get("files", {}).items()},
        ))
    return vendors


def scan(path: str, vendors: list[Vendor], packs: tuple[str, ...], decisions: Decisions | None = None,
         endpoint_url: str | None = None, broker: str | None = None, journal: Any = None,
         on_progress: Any = None) -> Iterator[tuple[Vendor, ScanReport | InputError]]:
    """Scan every vendor: its files with their sources, its accounts live (on the workers behind
    `broker`, when one is named, kept under way in the store by `journal`; each unit answered
    told to `on_progress`).  A scan that cannot run (a missing file, a role that cannot be
    assumed) is yielded as its InputError, so the caller reports it and goes on with the other vendors."""
    from . import sources
    from .pipeline import scan as run_scan

    by_command = {sources.get(name).command: sources.get(name) for name in sources.names()}
    for vendor in vendors:
        for command, files in vendor.files.items():
            try:
                yield vendor, run_scan(by_command[command], files, packs, decisions)
            except InputError as exc:
                yield vendor, exc
        if vendor.accounts:
            from .sources.aws.live import Target

            try:
                target = Target(profile=vendor.profile, accounts=list(vendor.accounts), role_name=vendor.role_name,
                                external_id=vendor.resolve_external_id(path), external_id_ref=vendor.external_id,
                                regions=list(vendor.regions) if vendor.regions else None, endpoint_url=endpoint_url)
                yield vendor, run_scan(sources.get("aws"), (), packs, decisions, target=target, broker=broker,
                                       vendor=vendor.name, journal=journal, on_progress=on_progress)
            except InputError as exc:
                yield vendor, exc
