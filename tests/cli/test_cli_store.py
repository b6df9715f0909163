"""The store from the command line, as users run it (a fresh interpreter each time): `--store`
on scans, `history` / `diff` / `trend`, `report --store`, and `scan vendors` over a vendors file
with live accounts on the moto server and plan files — on SQLite and on PostgreSQL."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

import sys

from conftest import MOTO_ENV, TESTS, plan_of, vendorguard, write
from vendorguard.scanner.store.db import Store

sys.path[:0] = [str(TESTS / "scanner" / "store"), str(TESTS / "scanner" / "sources" / "aws")]
from test_store import efs, schema_check  # noqa: E402


@pytest.fixture(autouse=True)
def _no_store_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VENDORGUARD_STORE", raising=False)


def plan_file(path: Path, *resources: dict[str, Any]) -> str:
    return str(write(path, plan_of(*resources)))


def test_a_kept_scan_and_what_the_store_says_of_it(store_url: str, tmp_path: Path) -> None:
    plan = tmp_path / "vendor.tfplan.json"
    plan_file(plan, efs("a", False), efs("b", False))
    first = vendorguard("scan", "plan", str(plan), "--store", store_url, "--format", "json", "-o", str(tmp_path / "1.json"))
    assert first.returncode == 1, first.stderr
    assert "kept as scan 1 of 'vendor.tfplan.json'" in first.stderr and "new since its previous scan" in first.stderr
    document = json.loads((tmp_path / "1.json").read_text())
    schema_check("results", document)
    assert document["scan"]["id"] == 1 and document["scan"]["vendor"] == "vendor.tfplan.json"
    assert all(r["new"] for r in document["results"] if r["status"] == "FAIL")

    plan_file(plan, efs("a", True), efs("b", False), efs("c", False))
    second = vendorguard("scan", "plan", str(plan), "--format", "json", "-q", env={"VENDORGUARD_STORE": store_url})
    kept = json.loads(second.stdout)
    unknown = kept["summary"]["by_status"]["UNKNOWN"]  # account-level controls a plan cannot show
    assert second.returncode == 1 and unknown and second.stderr == (  # --quiet: only why it exits 1
        "exit 1: 2 FAIL at or above low, 1 of them new since the vendor's previous kept scan; "
        f"{unknown} UNKNOWN, not counted without --fail-on-unknown\n")
    assert {r["address"] for r in kept["results"] if r["new"]} == {"aws_efs_file_system.c"}

    history = vendorguard("history", "--store", store_url, "--format", "json")
    schema_check("history", json.loads(history.stdout))
    assert [s["id"] for s in json.loads(history.stdout)["scans"]] == [2, 1]

    diff = json.loads(vendorguard("diff", "--store", store_url, "--format", "json").stdout)
    schema_check("diff", diff)
    assert [r["address"] for r in diff["new"]] == ["aws_efs_file_system.c"]
    assert [r["address"] for r in diff["fixed"]] == ["aws_efs_file_system.a"]
    markdown = vendorguard("diff", "--store", store_url, "--format", "markdown").stdout
    assert "**1 new**, 1 fixed" in markdown and r"<code>aws\_efs\_file\_system.c</code>" in markdown
    assert "1 new, 1 fixed" in vendorguard("diff", "--store", store_url, "1", "2").stdout

    trend = vendorguard("trend", "--store", store_url, "--format", "json")
    schema_check("trend", json.loads(trend.stdout))
    assert "vendor.tfplan.json: 2 scans" in vendorguard("trend", "--store", store_url).stdout

    again = vendorguard("report", "--store", store_url, "--scan", "1", "--format", "json")
    assert json.loads(again.stdout)["scan"]["id"] == 1 and again.returncode == 1
    page = vendorguard("report", "--store", store_url, "-o", str(tmp_path / "portfolio.html"))
    assert page.returncode == 0, page.stderr
    assert "vendor.tfplan.json" in (tmp_path / "portfolio.html").read_text()
    portfolio = json.loads(vendorguard("report", "--store", store_url, "--format", "json").stdout)
    schema_check("portfolio", portfolio)
    assert portfolio["vendors"][0]["latest_scan"]["id"] == 2


def _vendors_file(tmp_path: Path, vendors: list[dict[str, Any]]) -> Path:
    path = tmp_path / "vendors.yaml"
    path.write_text(yaml.safe_dump({"vendors": vendors}))
    return path


def test_scan_vendors_live_and_files(aws: Any, tmp_path: Path) -> None:
    from test_live_scan import _member_client  # noqa: E402

    acme, globex = "111122223333", "222233334444"
    _member_client(aws, acme, "ec2").create_volume(AvailabilityZone="us-east-1a", Size=8, Encrypted=False)
    plans = tmp_path / "plans"
    plans.mkdir()
    plan_file(plans / "globex.json", efs("a", False))
    (tmp_path / "globex.extid").write_text("globex-external-id\n")
    vendors = _vendors_file(tmp_path, [
        {"name": "acme", "accounts": [acme], "role_name": "VendorAudit", "external_id": {"env": "ACME_EXTID"},
         "regions": ["us-east-1"]},
        {"name": "globex", "accounts": [globex], "role_name": "VendorAudit", "external_id": {"file": "globex.extid"},
         "regions": ["us-east-1"], "files": {"plan": ["plans/globex.json"]}},
        {"name": "initech", "accounts": ["333344445555"], "role_name": "VendorAudit",
         "external_id": {"env": "INITECH_EXTID"}, "regions": ["us-east-1"]},
    ])
    store = str(tmp_path / "store.db")
    run = vendorguard("scan", "vendors", str(vendors), "--store", store, "--endpoint-url", aws.endpoint,
                      "--output-dir", str(tmp_path / "out"), "--format", "json",
                      env={**MOTO_ENV, "ACME_EXTID": "acme-external-id"}, timeout=600)
    assert run.returncode == 2, run.stderr  # initech's ExternalId is not set: reported, the others scanned
    assert "vendor 'initech': environment variable INITECH_EXTID (its ExternalId) is not set" in run.stderr
    assert "acme-external-id" not in run.stderr + run.stdout
    assert run.stderr.splitlines()[-1] == \
        "exit 2: 4 scans: 1 could not be scanned ('initech'); 3 failed ('acme', 'globex')"
    assert any(line.startswith("vendor 'globex': exit 1: 1 FAIL at or above low, 1 of them new since the vendor's "
                               "previous kept scan") for line in run.stderr.splitlines()), run.stderr
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == ["acme-aws.json", "globex-aws.json", "globex-terraform-plan.json"]
    acme_doc = json.loads((tmp_path / "out" / "acme-aws.json").read_text())
    assert acme_doc["scan"]["vendor"] == "acme"
    volumes = [r for r in acme_doc["results"] if r["rule_id"] == "VG-EC2-001"]
    assert volumes and all(r["status"] == "FAIL" and r["account"] == acme for r in volumes)
    history = json.loads(vendorguard("history", "--store", store, "--format", "json").stdout)["scans"]
    assert sorted((s["vendor"], s["source"]) for s in history) == [
        ("acme", "aws"), ("globex", "aws"), ("globex", "terraform-plan")]
    store_bytes = Path(store).read_bytes()
    assert b"acme-external-id" not in store_bytes and b"globex-external-id" not in store_bytes

    only = vendorguard("scan", "vendors", str(vendors), "--vendor", "globex", "--store", store, "-q",
                       "--endpoint-url", aws.endpoint, env=MOTO_ENV, timeout=600)
    assert only.returncode == 1, only.stderr
    assert len(json.loads(vendorguard("history", "--store", store, "--vendor", "globex", "--format", "json")
                          .stdout)["scans"]) == 4


@pytest.mark.parametrize("vendors,problem", [
    ([{"name": "acme", "accounts": ["111122223333"], "role_name": "audit", "external_id": "the-secret"}],
     "schema error at vendors/0/external_id"),
    ([{"name": "acme", "accounts": ["11112222333"], "role_name": "audit"}], "schema error at vendors/0/accounts/0"),
    ([{"name": "acme", "accounts": ["111122223333"]}], "'role_name' is a dependency of 'accounts'"),
    ([{"name": "acme"}], "schema error at vendors/0"),
    ([{"name": "a", "files": {"plan": ["x.json"]}}, {"name": "a", "files": {"plan": ["y.json"]}}],
     "vendor 'a' is listed twice"),
    ([{"name": "a", "files": {"sbom": ["x.json"]}}], "schema error at vendors/0/files"),
])
def test_a_bad_vendors_file_is_one_line_naming_it(tmp_path: Path, vendors: list[dict[str, Any]], problem: str) -> None:
    path = _vendors_file(tmp_path, vendors)
    run = vendorguard("scan", "vendors", str(path))
    assert run.returncode == 2 and run.stderr.count("\n") == 1, run.stderr
    assert run.stderr.startswith(f"vendorguard: error: {path}: ") and problem in run.stderr
    assert "the-secret" not in run.stderr or "external_id" in problem  # the schema names the place, not the value


@pytest.mark.parametrize("args,problem", [
    (("--store", "mysql://db/x"), "mysql://db/x: unsupported store URL"),
    (("--store", "/nonexistent/dir/store.db"), "/nonexistent/dir/store.db: no such directory for the store"),
    (("--store", "postgresql://vg:hunter2@127.0.0.1:9/x"), "postgresql://vg:***@127.0.0.1:9/x: cannot open the store:"),
])
def test_a_store_that_cannot_be_opened_fails_before_the_scan(tmp_path: Path, args: tuple[str, ...], problem: str) -> None:
    plan = plan_file(tmp_path / "plan.json", efs("a", False))
    run = vendorguard("scan", "plan", plan, *args, "-o", str(tmp_path / "out.json"))
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and problem in run.stderr, run.stderr
    assert "hunter2" not in run.stderr
    assert not (tmp_path / "out.json").exists(), "nothing written"


@pytest.mark.parametrize("args,problem", [
    (("history",), "name the store with --store URL (or $VENDORGUARD_STORE)"),
    (("history", "--vendor", "nobody"), "--vendor: no vendor 'nobody' in the store"),
    (("diff", "7"), "give two scan ids (FROM TO), or none"),
    (("diff", "1", "2"), "1: no such scan in the store"),
    (("diff",), "diff: the store holds no scans yet"),
    (("report",), "give RESULTS.json, or --store URL"),
    (("report", "--format", "sarif"), "the portfolio is written as html, json, oscal, not sarif"),
    (("report", "--scan", "3"), "3: no such scan in the store"),
])
def test_store_commands_refuse_mistakes_in_one_line(tmp_path: Path, args: tuple[str, ...], problem: str) -> None:
    store = str(tmp_path / "store.db")
    Store.open(store).close()  # an empty one: a missing one is refused first (tests/cli/test_mistakes.py)
    with_store = args if args == ("history",) or args == ("report",) else (*args, "--store", store)
    run = vendorguard(*with_store)
    assert run.returncode == 2 and run.stderr.count("\n") == 1 and problem in run.stderr, run.stderr
