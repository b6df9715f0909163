"""The store on both databases it supports (an SQLite file, and a real PostgreSQL server started
for the session): migrations, one-transaction writes, findings' life cycle, concurrent writers,
withheld values, and the answers of history / diff / trend / portfolio against their schemas."""
from __future__ import annotations

import copy
import gzip
import json
import multiprocessing
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from sqlalchemy import func, select

from conftest import ROOT, plan_of, scan_source, write
from vendorguard.scanner.errors import InputError
from vendorguard.scanner.store import migrate, record as recording
from vendorguard.scanner.store.db import Store
from vendorguard.scanner.store.tables import findings, metadata, results, scans

SCHEMAS = ROOT / "policies" / "schemas"


def schema_check(name: str, document: Any) -> None:
    """Validate against a published schema (refs to results.schema.json resolved locally)."""
    from referencing import Registry, Resource

    registry = Registry().with_resources(
        (f"https://vendorguard.dev/schemas/{p.name}", Resource.from_contents(json.loads(p.read_text())))
        for p in SCHEMAS.glob("*.schema.json"))
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    jsonschema.Draft202012Validator(schema, registry=registry,
                                    format_checker=jsonschema.FormatChecker()).validate(document)


def efs(name: str, encrypted: bool | None) -> dict[str, Any]:
    """An EFS file system: VG-EFS-001 FAILs it unencrypted, PASSes it encrypted, and cannot tell
    (UNKNOWN) when encryption is left to the apply."""
    values: dict[str, Any] = {"creation_token": name}
    if encrypted is not None:
        values["encrypted"] = encrypted
    return {"type": "aws_efs_file_system", "name": name, "values": values,
            "unknown": [] if encrypted is not None else ["encrypted"]}


def plan_scan(tmp_path: Path, *resources: dict[str, Any], started: str, file: str = "plan.json") -> dict[str, Any]:
    """A real scan of a plan holding `resources` (always the same file name: one input, scanned
    again and again), dated `started` so that scans order as written."""
    path = write(tmp_path / file, plan_of(*resources))
    document = scan_source("terraform-plan", [str(path)], ["hipaa"]).to_document()
    document["scan"]["started"] = document["scan"]["finished"] = started
    return document


def efs_result(document: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in document["results"]
                if r["rule_id"] == "VG-EFS-001" and r["address"] == f"aws_efs_file_system.{name}")


def finding_row(store: Store, name: str) -> Any:
    with store.engine.connect() as conn:
        return conn.execute(select(findings).where(findings.c.address == f"aws_efs_file_system.{name}",
                                                   findings.c.rule_id == "VG-EFS-001")).one()


@pytest.fixture
def store(store_url: str) -> Any:
    with Store.open(store_url) as opened:
        yield opened


# -- schema --------------------------------------------------------------------------------------

def test_the_migrations_build_exactly_the_tables_the_code_uses(store: Store) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(ROOT / "scanner" / "store" / "migrations"))
    assert ScriptDirectory.from_config(config).get_current_head() == migrate.HEAD
    with store.engine.connect() as conn:
        assert migrate.current(conn) == migrate.HEAD
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []


def test_reopening_an_up_to_date_store_does_not_migrate_again(store_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    Store.open(store_url).close()
    import alembic.command

    monkeypatch.setattr(alembic.command, "upgrade", lambda *a, **k: pytest.fail("migrated twice"))
    Store.open(store_url).close()


def test_a_store_from_a_newer_vendorguard_is_refused_in_one_line(store: Store, store_url: str) -> None:
    from sqlalchemy import text

    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(InputError, match=r"cannot migrate the store \(revision '9999'\)"):
        Store.open(store_url)


# -- the life cycle ---------------------------------------------------------------------------------

def test_findings_are_opened_kept_fixed_and_reopened(store: Store, tmp_path: Path) -> None:
    first = store.record(plan_scan(tmp_path, efs("a", False), efs("b", False), started="2026-01-01T00:00:00+00:00"), "acme")
    assert efs_result(first, "a")["new"] and efs_result(first, "a")["first_seen"] == "2026-01-01T00:00:00+00:00"
    assert first["scan"] == {**first["scan"], "id": 1, "vendor": "acme"}

    second = store.record(plan_scan(tmp_path, efs("a", True), efs("b", False), efs("c", False),
                                    started="2026-01-05T00:00:00+00:00"), "acme")
    assert efs_result(second, "a")["status"] == "PASS" and efs_result(second, "a")["first_seen"] == "2026-01-01T00:00:00+00:00"
    assert not efs_result(second, "b")["new"], "failing in the previous scan: not new"
    assert efs_result(second, "c")["new"]
    a = finding_row(store, "a")
    assert (a.state, a.fixed_at, a.fixed_scan_id) == ("fixed", "2026-01-05T00:00:00+00:00", 2)
    assert finding_row(store, "b").last_seen == "2026-01-05T00:00:00+00:00"

    third = store.record(plan_scan(tmp_path, efs("a", False), efs("b", False), efs("c", False),
                                   started="2026-01-09T00:00:00+00:00"), "acme")
    assert efs_result(third, "a")["new"] and efs_result(third, "a")["first_seen"] == "2026-01-01T00:00:00+00:00"
    a = finding_row(store, "a")
    assert (a.state, a.reopened_at, a.reopen_count, a.fixed_at) == ("open", "2026-01-09T00:00:00+00:00", 1, None)


def test_unknown_fixes_nothing_and_a_deleted_resource_is_fixed(store: Store, tmp_path: Path) -> None:
    store.record(plan_scan(tmp_path, efs("a", False), efs("b", False), started="2026-01-01T00:00:00+00:00"), "acme")
    later = store.record(plan_scan(tmp_path, efs("a", None), started="2026-01-02T00:00:00+00:00"), "acme")
    assert efs_result(later, "a")["status"] == "UNKNOWN"
    assert finding_row(store, "a").state == "open", "not seen is not fixed"
    assert finding_row(store, "b").state == "fixed", "the input no longer has it: gone"


def test_a_scan_of_another_input_or_vendor_fixes_nothing(store: Store, tmp_path: Path) -> None:
    store.record(plan_scan(tmp_path, efs("a", False), started="2026-01-01T00:00:00+00:00"), "acme")
    store.record(plan_scan(tmp_path, efs("z", True), started="2026-01-02T00:00:00+00:00", file="other.json"), "acme")
    store.record(plan_scan(tmp_path, efs("z", True), started="2026-01-03T00:00:00+00:00"), "globex")
    assert finding_row(store, "a").state == "open"


def _live(document: dict[str, Any], account: str, regions: list[str], unreadable: list[dict[str, Any]]) -> dict[str, Any]:
    """A plan scan's document reshaped as a live scan of `account` in `regions`."""
    live = copy.deepcopy(document)
    live["scan"]["inputs"] = [{"source": "aws", "origin": account, "resources": 1, "unreadable": unreadable,
                               "notes": [], "metadata": {"regions": regions}}]
    for result in live["results"]:
        result.update(source="aws", account=account, region="us-east-1", file=None)
    return live


def test_a_live_region_not_scanned_or_unreadable_fixes_nothing(store: Store, tmp_path: Path) -> None:
    failing = plan_scan(tmp_path, efs("a", False), started="2026-01-01T00:00:00+00:00")
    empty = plan_scan(tmp_path, efs("other", True), started="2026-01-02T00:00:00+00:00")
    store.record(_live(failing, "111122223333", ["us-east-1"], []), "acme")
    store.record(_live(empty, "111122223333", ["eu-west-1"], []), "acme")
    assert finding_row(store, "a").state == "open", "us-east-1 was not scanned"
    gap = {"resource_type": "aws_efs_file_system", "account": "111122223333", "region": "us-east-1",
           "reason": "elasticfilesystem:DescribeFileSystems AccessDenied"}
    store.record(_live(empty, "111122223333", ["us-east-1"], [gap]), "acme")
    assert finding_row(store, "a").state == "open", "unreadable there"
    store.record(_live(empty, "111122223333", ["us-east-1"], []), "acme")
    assert finding_row(store, "a").state == "fixed"


def test_a_waived_finding_stays_open_with_its_waiver(store: Store, tmp_path: Path) -> None:
    document = plan_scan(tmp_path, efs("a", False), started="2026-01-01T00:00:00+00:00")
    result = efs_result(document, "a")
    waiver = {"rule": "VG-EFS-001", "resource": "*", "justification": "migrating", "approved_by": "ciso",
              "expires": "2027-01-01"}
    result.update(status="WAIVED", waiver=waiver)
    store.record(document, "acme")
    row = finding_row(store, "a")
    assert row.state == "open" and json.loads(row.waiver) == waiver


# -- one transaction, concurrent writers, what is kept ------------------------------------------------

def test_a_failed_write_leaves_no_half_scan(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    document = plan_scan(tmp_path, efs("a", False), efs("b", False), started="2026-01-01T00:00:00+00:00")

    def crash(_: Any) -> bytes:
        raise OSError("disk full")

    monkeypatch.setattr(recording, "pack", crash)  # after the scan, its results and findings are written
    with pytest.raises(OSError):
        store.record(document, "acme")
    with store.engine.connect() as conn:
        assert [conn.execute(select(func.count()).select_from(t)).scalar() for t in (scans, results, findings)] == [0, 0, 0]


_CRASH = """
import json, os, signal, sys
from vendorguard.scanner.store import record
from vendorguard.scanner.store.db import Store
record.pack = lambda document: os.kill(os.getpid(), signal.SIGKILL)  # dies with its rows written, uncommitted
Store.open(sys.argv[1]).record(json.load(open(sys.argv[2])), "acme")
"""


def test_a_writer_killed_mid_scan_leaves_no_half_scan(store: Store, store_url: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    document = plan_scan(tmp_path, efs("a", False), efs("b", False), started="2026-01-01T00:00:00+00:00")
    store.record(document, "acme")
    killed = subprocess.run([sys.executable, "-c", _CRASH, store_url, str(write(tmp_path / "doc.json", document))],
                            capture_output=True, timeout=120)
    assert killed.returncode == -9, killed.stderr
    with Store.open(store_url) as reopened:
        assert [s["id"] for s in reopened.history()["scans"]] == [1]
        with reopened.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(results)).scalar() == len(document["results"])
        assert reopened.record(document, "acme")["scan"]["id"] >= 2, "and the store takes the next scan"


def _record_many(url: str, document: dict[str, Any], vendor: str, count: int) -> None:
    with Store.open(url) as store:
        for _ in range(count):
            store.record(document, vendor)


def test_two_writers_at_once_lose_nothing(store: Store, store_url: str, tmp_path: Path) -> None:
    document = plan_scan(tmp_path, efs("a", False), efs("b", True), started="2026-01-01T00:00:00+00:00")
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_record_many, args=(store_url, document, vendor, 6))
               for vendor in ("acme", "acme", "globex")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(120)
        assert writer.exitcode == 0
    history = store.history()["scans"]
    assert len(history) == 18 and len({s["id"] for s in history}) == 18
    with store.engine.connect() as conn:
        rows = conn.execute(select(findings.c.vendor_id, findings.c.address).where(findings.c.rule_id == "VG-EFS-001")).all()
    assert sorted(rows, key=str) == sorted(set(rows), key=str) and len(rows) == 2, "one finding per vendor"


def test_withheld_values_stay_withheld(store: Store, tmp_path: Path) -> None:
    secret = "hunter2-Sup3rSecret"
    db = {"type": "aws_db_instance", "name": "claims",
          "values": {"identifier": "claims", "engine": "postgres", "instance_class": "db.t3.micro",
                     "password": secret, "storage_encrypted": False},
          "sensitive": ["password"]}
    document = plan_scan(tmp_path, db, started="2026-01-01T00:00:00+00:00")
    assert secret not in json.dumps(document)
    store.record(document, "acme")
    with store.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                for value in row:
                    text = gzip.decompress(value).decode() if isinstance(value, bytes) and value else str(value)
                    assert secret not in text


# -- the read side -----------------------------------------------------------------------------------

def _three_scans(store: Store, tmp_path: Path) -> None:
    store.record(plan_scan(tmp_path, efs("a", False), efs("b", None), efs("c", False),
                           started="2026-01-01T00:00:00+00:00"), "acme")
    store.record(plan_scan(tmp_path, efs("a", True), efs("b", False), efs("c", None), efs("d", False),
                           started="2026-01-03T00:00:00+00:00"), "acme")
    store.record(plan_scan(tmp_path, efs("x", False), started="2026-01-02T00:00:00+00:00"), "globex")


def test_history_newest_first(store: Store, tmp_path: Path) -> None:
    _three_scans(store, tmp_path)
    history = store.history()
    schema_check("history", history)
    assert [(s["id"], s["vendor"]) for s in history["scans"]] == [(2, "acme"), (3, "globex"), (1, "acme")]
    assert [s["id"] for s in store.history("acme")["scans"]] == [2, 1]
    with pytest.raises(InputError, match="no vendor 'nobody'"):
        store.history("nobody")


def test_diff_between_the_last_two_scans(store: Store, tmp_path: Path) -> None:
    _three_scans(store, tmp_path)
    diff = store.diff("acme", None, None)
    schema_check("diff", diff)
    address = lambda rs: sorted(r["address"].split(".")[-1] for r in rs if r["rule_id"] == "VG-EFS-001")  # noqa: E731
    assert (diff["from"], diff["to"]) == (1, 2)
    assert address(diff["new"]) == ["b", "d"]
    assert address(diff["fixed"]) == ["a"]
    assert address(diff["undecided"]) == ["c"], "failing, then UNKNOWN: undecided, not fixed"
    assert address(diff["decided"]) == ["b"]
    assert diff["still_failing"] >= 0
    assert store.diff(None, 2, 1)["to"] == 1
    with pytest.raises(InputError, match="2 vendors"):
        store.diff(None, None, None)
    with pytest.raises(InputError, match="one terraform-plan scan"):
        store.diff("globex", None, None)


def test_trend_and_time_to_fix(store: Store, tmp_path: Path) -> None:
    _three_scans(store, tmp_path)
    trend = store.trend()
    schema_check("trend", trend)
    acme = next(v for v in trend["vendors"] if v["vendor"] == "acme")
    assert [s["id"] for s in acme["scans"]] == [1, 2]
    assert acme["fixed"] >= 1 and acme["mean_days_to_fix"] == 2.0  # a: failing on the 1st, fixed on the 3rd
    series = acme["controls"]["164.312(a)(2)(iv)"]
    assert [p["scan"] for p in series] == [1, 2] and all(0 <= p["pass_share"] <= 1 for p in series)


def test_portfolio_document(store: Store, tmp_path: Path) -> None:
    _three_scans(store, tmp_path)
    portfolio = store.portfolio()
    schema_check("portfolio", portfolio)
    acme = next(v for v in portfolio["vendors"] if v["name"] == "acme")
    assert acme["latest_scan"]["id"] == 2
    assert sorted(r["address"] for r in acme["new"] if r["rule_id"] == "VG-EFS-001") == \
        ["aws_efs_file_system.b", "aws_efs_file_system.d"]
    assert acme["controls"]["164.312(a)(2)(iv)"]["FAIL"] >= 2
    assert portfolio["oldest_open"][0]["first_seen"] == "2026-01-01T00:00:00+00:00"
    assert [d["scan"]["id"] for d in store.latest_documents()] == [2, 3]
