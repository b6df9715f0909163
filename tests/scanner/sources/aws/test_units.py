"""The unit of live work, apart from any executor: its spec and answers survive JSON exactly, its
task id is its (scan, account, region), the account-wide collectors run in one unit per account, a
unit that cannot run answers with gaps; and the shared rate limit, on a real Redis server."""
from __future__ import annotations

import json
import threading
import time
from datetime import date, datetime, timezone
from typing import Any

import pytest

from conftest import scan_moto
from vendorguard.scanner.errors import InputError
from vendorguard.scanner.model import UNKNOWN
from vendorguard.scanner.sources.aws.units import Access, Unit, census_of, decode, encode, failed_unit, gaps_of


def unit(region: str = "eu-west-1", globals_: bool = False) -> Unit:
    return Unit("s1", "111122223333", region, "us-east-1", ("aws_ebs_volume", "aws_iam_role", "aws_s3_bucket"),
                Access(role_arn="arn:aws:iam::111122223333:role/VendorAudit", external_id={"env": "VENDOR_EXTERNAL_ID"},
                       endpoint_url="http://127.0.0.1:5000", tuning={"max_attempts": 2}), globals_, "billing-co")


def test_attribute_trees_survive_json_exactly() -> None:
    tree = {"a": [1, 2.5, None, True, "x"], "u": UNKNOWN, "t": ("p", UNKNOWN), "s": frozenset({"k"}), "set": {1},
            "b": b"\x00\xff", "d": datetime(2026, 1, 2, 3, 4, tzinfo=timezone.utc), "day": date(2026, 1, 2),
            "$vg": "a key of ours, from AWS", "nested": {"deep": [{"u": UNKNOWN}]}, 3: "an int key"}
    back = decode(json.loads(json.dumps(encode(tree))))
    assert back == tree and back["u"] is UNKNOWN and back["nested"]["deep"][0]["u"] is UNKNOWN
    with pytest.raises(TypeError, match="object"):
        encode({"x": object()})


def test_a_unit_is_plain_data_naming_no_secret() -> None:
    spec = unit()
    text = json.dumps(spec.to_json())
    assert Unit.from_json(json.loads(text)) == spec
    assert "VENDOR_EXTERNAL_ID" in text  # the reference, which only the worker resolves
    assert spec.task_id == "vg-s1-111122223333-eu-west-1" == unit().task_id


def test_account_wide_collectors_run_in_one_unit_per_account() -> None:
    regional, home = unit("eu-west-1"), unit("us-east-1", globals_=True)
    assert {c.__name__ for c, _, _ in home.jobs()} - {c.__name__ for c, _, _ in regional.jobs()}
    assert all(not c.global_ for c, _, _ in regional.jobs())
    assert all(where == "us-east-1" and scope is None for c, where, scope in home.jobs() if c.global_)


def test_a_unit_that_cannot_run_is_gaps_and_a_census_problem() -> None:
    answer = json.loads(json.dumps(failed_unit(unit("us-east-1", globals_=True), "AccessDenied on sts:AssumeRole")))
    gaps = gaps_of(answer)
    assert {g.resource_type for g in gaps} >= {"aws_ebs_volume", "aws_iam_role", "aws_s3_bucket"}
    assert {g.reason for g in gaps} == {"AccessDenied on sts:AssumeRole"} and answer["resources"] == []
    assert census_of(answer).problem == "AccessDenied on sts:AssumeRole"


@pytest.fixture(scope="module")
def broker() -> Any:
    from servers import redis

    with redis() as server:
        yield server


def test_the_rate_limit_is_shared_per_account_region_and_service(broker: Any) -> None:
    pytest.importorskip("celery")
    import redis

    from vendorguard.scanner.sources.aws.distributed import RateLimit

    limits = [RateLimit(redis.Redis.from_url(broker.url), rate=20, burst=5) for _ in range(2)]  # two "workers"
    started = time.monotonic()
    threads = [threading.Thread(target=lambda lim=lim: [lim.wait("111122223333", "us-east-1", "ec2") for _ in range(15)])
               for lim in limits]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert elapsed >= (30 - 5) / 20 * 0.9, f"30 calls at 20/s after a burst of 5 took {elapsed:.2f} s"
    other = time.monotonic()
    limits[0].wait("111122223333", "us-east-1", "s3")  # another service: its own bucket, no wait
    assert time.monotonic() - other < 0.2
    client = redis.Redis.from_url(broker.url)
    assert 0 < client.pttl("vg:rate:111122223333:us-east-1:ec2") <= 60_000, "idle buckets expire"


def test_an_external_id_value_is_refused_with_a_broker(aws: Any) -> None:
    """Only a reference may travel: `--external-id VALUE` with `--broker` stops before anything is sent."""
    pytest.importorskip("celery")

    with pytest.raises(InputError, match="--external-id: its value would travel in broker messages"):
        scan_moto(aws, role_arn="arn:aws:iam::123456789012:role/VendorAudit", external_id="s3cr3t-value",
                  broker="redis://127.0.0.1:1/0", packs=[])


def test_progress_is_told_by_account_and_a_log_gets_a_line_a_tenth_or_every_30_s() -> None:
    from vendorguard.scanner.sources.aws.progress import Tally

    now = [0.0]
    units = [Unit("s1", account, region, "us-east-1", (), Access())
             for account in ("111111111111", "222222222222", "333333333333", "444444444444", "555555555555")
             for region in ("us-east-1", "eu-west-1")]
    tally = Tally(every=30, clock=lambda: now[0])
    tally(units[0], units)
    tally(units[1], units)
    assert tally.line() == ("units 2/10 (20%) · accounts 1/5 finished · running: 222222222222, 333333333333, "
                            "444444444444 +1")
    assert tally.due() and not tally.due()  # two tenths reached: one line
    many = [Unit("s2", f"{n:012d}", "us-east-1", "us-east-1", (), Access()) for n in range(100)]
    tally(many[0], many)  # the next scan of a vendors file starts afresh
    assert (tally.done, tally.total) == (1, 100) and not tally.due()
    now[0] += 31
    assert tally.due(), "a log hears from a long scan every 30 s"
    for unit in many[1:]:
        tally(unit, many)
    assert tally.due() and tally.line() == "units 100/100 (100%) · accounts 100/100 finished"
    assert tally.due(live=True)  # the last unit always shows (a terminal's line is then erased)
