"""Baselines: compare with an earlier results document so that CI fails only on what is new.

A finding is identified by (rule id, resource address).  FAILs absent from the baseline's FAILs are
"new"; the others "existing"; baseline FAILs that no longer fail are listed as fixed.
"""
from __future__ import annotations

from typing import Any

from .errors import InputError
from .model import Result, Status
from .saved import results_document


def failed_keys(document: Any, name: str) -> set[tuple[str, str]]:
    """(rule id, address) of every FAIL in a results document."""
    results = results_document(name, document)["results"]
    try:
        return {(r["rule_id"], r["address"]) for r in results if r["status"] == "FAIL"}
    except (TypeError, KeyError):
        raise InputError(name, "not a vendorguard results document: each result needs rule_id, address and status") from None


def compare(results: list[Result], baseline: set[tuple[str, str]]) -> dict[str, Any]:
    """Mark each FAIL new or existing (in place); returns what the baseline had that is fixed."""
    still_there = {(r.rule_id, r.address) for r in results if r.status in (Status.FAIL, Status.WAIVED)}
    for result in results:
        if result.status is Status.FAIL:
            result.baseline = "existing" if (result.rule_id, result.address) in baseline else "new"
    fixed = sorted(baseline - still_there)  # waived is accepted, not fixed
    return {"fixed": [{"rule_id": rule, "address": address} for rule, address in fixed],
            "new": sum(1 for r in results if r.baseline == "new")}
