"""Waivers: accepted risks, each with a justification, an approver and an expiry date.

A waiver turns matching FAIL or UNKNOWN results into WAIVED (never a PASS: the evidence shows what
was accepted and by whom).  An expired waiver no longer waives and is reported; a waiver that
matches nothing is reported as stale, so the file does not silently outlive what it was for.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fnmatch import fnmatchcase
from typing import Any

from .catalog import load_checked_yaml
from .errors import InputError
from .model import Result, Status

DEFAULT_FILE = ".vendorguard-waivers.yaml"


@dataclass(frozen=True, slots=True)
class Waiver:
    rule: str
    resource: str
    justification: str
    approved_by: str
    expires: date

    def matches(self, result: Result) -> bool:
        return fnmatchcase(result.rule_id, self.rule) and fnmatchcase(result.address, self.resource)

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "resource": self.resource, "justification": self.justification,
                "approved_by": self.approved_by, "expires": self.expires.isoformat()}


def _dates_as_text(document: Any) -> None:
    """YAML reads a bare date as a date; the schema (like JSON) wants text."""
    if isinstance(document, dict):
        for entry in document.get("waivers") or []:
            if isinstance(entry, dict) and isinstance(entry.get("expires"), date):
                entry["expires"] = entry["expires"].isoformat()


def load(path: str) -> list[Waiver]:
    """Waivers from a file, schema-checked; InputError naming the file and the entry otherwise."""
    document = load_checked_yaml(path, "waivers", _dates_as_text)
    try:
        return [Waiver(w["rule"], w["resource"], w["justification"], w["approved_by"],
                       date.fromisoformat(w["expires"])) for w in document["waivers"]]
    except ValueError as exc:
        raise InputError(path, f"bad expiry date: {exc}") from None


def apply(results: list[Result], waivers: list[Waiver], today: date) -> dict[str, list[dict[str, Any]]]:
    """Waive what active waivers match (in place); returns the expired and stale waivers."""
    used: set[int] = set()
    expired_hits: set[int] = set()
    for result in results:
        if result.status not in (Status.FAIL, Status.UNKNOWN):
            continue
        for index, waiver in enumerate(waivers):
            if not waiver.matches(result):
                continue
            if waiver.expires < today:
                expired_hits.add(index)
                continue
            used.add(index)
            result.status = Status.WAIVED
            result.waiver = waiver.to_dict()
            result.reason = (f"waived until {waiver.expires.isoformat()} by {waiver.approved_by}: "
                             f"{waiver.justification} (was: {result.reason})")
            break
    return {
        "expired": [w.to_dict() for i, w in enumerate(waivers) if i in expired_hits],
        "stale": [w.to_dict() for i, w in enumerate(waivers) if i not in used and i not in expired_hits],
    }
