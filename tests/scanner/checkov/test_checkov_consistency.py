"""vendorguard and checkov on every rule's fixtures: each disagreement is listed as deliberate.

The comparison is `bench/checkov_consistency.py` (one checkov run over all fixture plans); the
list is `bench/checkov_deliberate.yaml`.  A new disagreement fails here until it is fixed or
listed with its reason; a listed one that no longer happens (or changed) fails too, so the list
stays true.
"""
from __future__ import annotations

import sys
from typing import Any

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))

import checkov_consistency as consistency  # noqa: E402

from vendorguard.scanner.catalog import load_catalog  # noqa: E402


@pytest.fixture(scope="module")
def compared() -> tuple[list[Any], dict[str, Any]]:
    checkov = consistency.CHECKOV
    assert checkov.is_file(), f"{checkov} is missing: run `make install` (or `make -f checkov.mk checkov`)"
    return consistency.compare(str(checkov))


@pytest.fixture(scope="module")
def deliberate() -> list[dict[str, Any]]:
    return consistency.load_deliberate()


def test_every_disagreement_is_listed_as_deliberate(compared: Any, deliberate: list[dict[str, Any]]) -> None:
    rows, _ = compared
    listed = consistency.deliberate_index(deliberate)
    unlisted = [f"{r.rule} {r.check} {r.case}: vendorguard {r.ours}, checkov {r.checkov}"
                for r in rows if not r.agrees and (r.rule, r.check, r.case) not in listed]
    assert not unlisted, ("disagreements neither fixed nor listed in bench/checkov_deliberate.yaml:\n"
                          + "\n".join(unlisted))


def test_every_listed_disagreement_still_happens_as_listed(compared: Any, deliberate: list[dict[str, Any]]) -> None:
    rows, _ = compared
    now = {(r.rule, r.check, r.case): r for r in rows}
    stale = []
    for entry in deliberate:
        row = now.get((entry["rule"], entry["check"], entry["case"]))
        if row is None or row.agrees or (row.ours, row.checkov) != (entry["ours"], entry["checkov"]):
            seen = "no such case" if row is None else f"now vendorguard {row.ours}, checkov {row.checkov}"
            stale.append(f"{entry['rule']} {entry['check']} {entry['case']}: listed as vendorguard "
                         f"{entry['ours']}, checkov {entry['checkov']}; {seen}")
    assert not stale, "stale entries in bench/checkov_deliberate.yaml:\n" + "\n".join(stale)


def test_every_entry_has_a_reason_and_appears_once(deliberate: list[dict[str, Any]]) -> None:
    keys = [(e["rule"], e["check"], e["case"]) for e in deliberate]
    assert len(keys) == len(set(keys))
    for entry in deliberate:
        assert set(entry) == {"rule", "check", "case", "ours", "checkov", "reason"}, entry
        assert len(str(entry["reason"]).strip()) >= 20, entry


def test_every_rule_citing_checkov_is_compared_on_every_case(compared: Any) -> None:
    rows, facts = compared
    catalog, _ = load_catalog()
    citing = {r.id for r in catalog.rules.values() if (r.references or {}).get("checkov")
              and (r.sources is None or "terraform-plan" in r.sources)}
    assert {r.rule for r in rows} == citing
    pairs = {(r.rule, r.check) for r in rows}
    for rule_id in citing:
        for check in catalog.rules[rule_id].references["checkov"]:
            assert (rule_id, check) in pairs
    assert facts["checkov_runs"] == 1 and facts["plans"] >= len(citing) * 2
    assert sum(r.agrees for r in rows) > len(rows) // 3  # the engines agree on most decided cases
