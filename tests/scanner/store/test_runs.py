"""Distributed scans under way in the store (`runs`), on both databases: a run is written before
its units are sent, a unit's answer kept once however often it is redelivered, a resume gets back
the answers kept (and is refused when the scan now plans other units), and recording the scan
closes its run in the same transaction: a finished or unknown scan cannot be resumed."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from conftest import plan_of, scan_source, write
from vendorguard.scanner.errors import InputError
from vendorguard.scanner.store.db import Store
from vendorguard.scanner.store.runs import Journal
from vendorguard.scanner.store.tables import run_units, runs

UNITS = [{"scan": "s1", "account": "111122223333", "region": region, "types": ["aws_s3_bucket"]}
         for region in ("us-east-1", "eu-west-1")]
REQUEST = {"command": "aws", "output": {"formats": ["json"]},
           "target": {"role_name": "VendorAudit", "external_id_ref": {"env": "VENDOR_EXTERNAL_ID"}}}


@pytest.fixture
def store(store_url: str) -> Any:
    with Store.open(store_url) as opened:
        yield opened


def answer(region: str, n: int) -> dict[str, Any]:
    return {"scan": "s1", "account": "111122223333", "region": region, "resources": [{"n": n}], "gaps": [],
            "census": {}, "calls": [["s3", "ListBuckets", n]]}


def unit_rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(run_units)).scalar_one()


def test_a_run_keeps_each_units_answer_once_and_a_resume_gets_them_back(store: Store) -> None:
    assert store.begin_run("s1", "billing-co", REQUEST, UNITS) == {}
    assert store.put_answer("s1", "111122223333", "us-east-1", answer("us-east-1", 1))
    assert store.put_answer("s1", "111122223333", "us-east-1", answer("us-east-1", 2))  # redelivered: replaces
    assert unit_rows(store) == 1
    assert store.begin_run("s1", "billing-co", REQUEST, UNITS) == {("111122223333", "us-east-1"): answer("us-east-1", 2)}
    assert store.run("s1") == {"id": "s1", "vendor": "billing-co", "started": store.run("s1")["started"],
                               "request": REQUEST}
    with pytest.raises(InputError, match="scan s1: it now plans other units than when it started"):
        store.begin_run("s1", "billing-co", REQUEST, UNITS[:1])


def test_an_answer_for_a_scan_without_a_run_is_not_kept(store: Store) -> None:
    assert not store.put_answer("elsewhere", "111122223333", "us-east-1", answer("us-east-1", 1))
    assert unit_rows(store) == 0


def test_recording_the_scan_closes_its_run_and_then_it_cannot_be_resumed(store: Store, tmp_path: Path) -> None:
    journal = Journal(store, {"command": "aws", "output": {}})
    journal.begin("s1", None, REQUEST["target"], UNITS)
    store.put_answer("s1", "111122223333", "us-east-1", answer("us-east-1", 1))
    document = scan_source("terraform-plan", [str(write(tmp_path / "plan.json", plan_of()))], ["hipaa"]).to_document()
    stored = store.record(document, "billing-co", journal.take())
    assert journal.take() is None  # once
    with store.engine.connect() as conn:
        row = conn.execute(select(runs).where(runs.c.id == "s1")).one()
    assert row.finished is not None and row.scan_id == stored["scan"]["id"] and row.vendor == ""
    assert unit_rows(store) == 0  # the recorded scan holds what the answers became
    assert not store.put_answer("s1", "111122223333", "eu-west-1", answer("eu-west-1", 1))  # a late redelivery
    with pytest.raises(InputError, match=rf"^scan s1: finished at .* \(kept as scan {stored['scan']['id']}\): "
                                         "there is nothing to resume$"):
        store.run("s1")
    with pytest.raises(InputError, match="scan s1: finished at"):
        store.begin_run("s1", None, REQUEST, UNITS)


def test_an_unknown_scan_is_named_with_the_scans_under_way(store: Store) -> None:
    store.begin_run("s2", None, REQUEST, UNITS)
    with pytest.raises(InputError, match=r"^scan nope: no such distributed scan in the store \(under way: s2\)$"):
        store.run("nope")
