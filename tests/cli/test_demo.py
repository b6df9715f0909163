"""`vendorguard demo` end to end, as `make demo` runs it: the seeded account scanned twice with
the vendor's fixes in between, the example plan, every scan kept in the embedded store, and the
diff, portfolio page and OSCAL export written from it."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import vendorguard


@pytest.mark.slow
def test_the_demo_keeps_both_visits_and_shows_what_was_fixed(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    run = vendorguard("demo", "--output-dir", str(out), timeout=900)
    assert run.returncode == 0, run.stderr[-2000:]
    for label in ("aws", "aws-second-visit", "plans"):
        assert (out / f"{label}.html").is_file() and (out / f"{label}.json").is_file()
    history = json.loads(vendorguard("history", "--store", str(out / "vendorguard.db"), "--format", "json").stdout)
    assert [(s["vendor"], s["source"]) for s in history["scans"]] == [
        ("ClaimBridge", "terraform-plan"), ("ClaimBridge", "aws"), ("ClaimBridge", "aws")]
    diff = json.loads((out / "diff.json").read_text())
    fixed = {(r["rule_id"], r["address"].rsplit(":", 1)[-1]) for r in diff["fixed"]}
    assert ("VG-S3-008", "claimbridge-partner-exports") in fixed and ("VG-CT-002", "trail/org-audit") in fixed
    assert diff["new"] == [] and all(r["status"] == "PASS" for r in diff["fixed"])
    assert "fixed" in (out / "diff.md").read_text() and "ClaimBridge" in (out / "portfolio.html").read_text()
    assert json.loads((out / "portfolio.oscal.json").read_text())["assessment-results"]["results"]
    assert f"kept every scan in {out / 'vendorguard.db'}" in run.stdout
