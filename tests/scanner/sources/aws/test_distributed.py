"""The distributed executor with its real parts: a redis-server on loopback, `vendorguard worker`
processes, the `vendorguard` CLI as the coordinator, and the moto server holding an organization
of 21 accounts scanned in 2 regions (42 units).

A distributed scan's report is the local one's (everything but the clock); a worker killed with
SIGKILL mid-scan, or the broker stopped and started again (empty: no persistence) mid-scan, still
gives that report, every result once — or ends with one line and exit 2, never a hang (each scan
runs under a timeout).  Nothing in the broker, read throughout a scan, holds the ExternalId or
credentials.  A coordinator killed mid-scan is resumed by its id (`scan resume`): from the answers the
workers kept in the store, sending only the missing units, or from the result backend's."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from conftest import MOTO_ENV, show_figures, vendorguard

pytestmark = pytest.mark.slow

REGIONS = "us-east-1,eu-west-1"
MEMBERS = 20
RULES = ["VG-EC2-001", "VG-S3-001", "VG-CT-001", "VG-GD-001", "VG-TPA-001"]
EXTERNAL_ID = "vg-test-external-id-7d1f3c"
SECRET_KEY = "vg-test-secret-access-key-51b0"
#: Redelivery and deadlines short enough for a test: a killed worker's unit is handed out again
#: after 8 s; a unit stuck for 90 s is sent again.
FAST = {"VENDORGUARD_VISIBILITY_TIMEOUT": "8", "VENDORGUARD_TASK_DEADLINE": "90", "VENDORGUARD_BROKER_OUTAGE": "60"}


@pytest.fixture(scope="module")
def env(moto_endpoint: str) -> dict[str, str]:
    return {**MOTO_ENV, "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
            "VG_TEST_EXTERNAL_ID": EXTERNAL_ID, **FAST}


def _client(endpoint: str, service: str, region: str = "us-east-1", **creds: str) -> Any:
    import boto3

    return boto3.client(service, region_name=region, endpoint_url=endpoint,
                        **(creds or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}))


@pytest.fixture(scope="module")
def org(moto_endpoint: str) -> list[str]:
    """A fresh organization of 20 members, each with a volume (encrypted in every other account)
    and a bucket; returns the member account ids."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")).read()
    organizations = _client(moto_endpoint, "organizations")
    organizations.create_organization(FeatureSet="ALL")
    members = [organizations.create_account(AccountName=f"billing-{n}", Email=f"b{n}@example.com")
               ["CreateAccountStatus"]["AccountId"] for n in range(MEMBERS)]
    for n, member in enumerate(members):
        creds = _client(moto_endpoint, "sts").assume_role(RoleArn=f"arn:aws:iam::{member}:role/VendorAudit",
                                                          RoleSessionName="seed")["Credentials"]
        keys = {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
                "aws_session_token": creds["SessionToken"]}
        region = REGIONS.split(",")[n % 2]
        _client(moto_endpoint, "ec2", region, **keys).create_volume(AvailabilityZone=f"{region}a", Size=8,
                                                                    Encrypted=bool(n % 2))
        _client(moto_endpoint, "s3", **keys).create_bucket(Bucket=f"claims-{member}")
    return members


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("pack") / "pack.yaml"
    path.write_text(yaml.safe_dump({"pack": {"id": "org", "title": "org", "version": "1",
                                             "controls": [{"id": "all", "title": "all", "rules": RULES}]}}))
    return str(path)


def org_scan(moto_endpoint: str, pack: str, out: Path, *extra: str) -> list[str]:
    """`vendorguard scan aws` of the whole organization, its JSON report to `out`."""
    return ["scan", "aws", "--org", "--role-name", "VendorAudit", "--regions", REGIONS, "--endpoint-url",
            moto_endpoint, "--pack", pack, "--format", "json", "-o", str(out), *extra]


def scan_org(moto_endpoint: str, env: dict[str, str], pack: str, out: Path, *extra: str,
             timeout: float = 600) -> subprocess.CompletedProcess:
    return vendorguard(*org_scan(moto_endpoint, pack, out, *extra), env=env, timeout=timeout)


def scan_under_way(moto_endpoint: str, env: dict[str, str], pack: str, out: Path, url: str,
                   busy: int) -> subprocess.Popen:
    """The same scan on the workers of `url`, in the background, once `busy` units are being run
    (unacknowledged) and more wait in the queue."""
    import redis

    scan = subprocess.Popen([sys.executable, "-m", "vendorguard.cli.main",
                             *org_scan(moto_endpoint, pack, out, "--broker", url)],
                            env={**os.environ, **env}, stderr=subprocess.PIPE, text=True)
    client = redis.Redis.from_url(url)
    _wait_for(lambda: client.hlen("unacked") >= busy and client.llen("celery") > 0)
    return scan


def comparable(path: Path, stored: bool = False) -> dict[str, Any]:
    """A report without its clock; results as a sorted list (a duplicate would show).  A `stored`
    one (`--store`) without what the store adds: its scan id and vendor, each result's first_seen and new."""
    document = json.loads(path.read_text())
    del document["scan"]["started"], document["scan"]["finished"]
    if stored:
        del document["scan"]["id"], document["scan"]["vendor"]
        for result in document["results"]:
            del result["first_seen"], result["new"]
    document["results"] = sorted(json.dumps(r, sort_keys=True) for r in document["results"])
    for entry in document["scan"]["inputs"]:
        entry["unreadable"] = sorted(json.dumps(g, sort_keys=True) for g in entry["unreadable"])
    return document


@pytest.fixture(scope="module")
def local(org: list[str], moto_endpoint: str, env: dict[str, str], pack: str,
          tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The local executor's report of the organization: what every distributed scan must give."""
    out = tmp_path_factory.mktemp("local") / "local.json"
    done = scan_org(moto_endpoint, env, pack, out)
    assert done.returncode == 1, done.stderr
    report = comparable(out)
    assert len(report["scan"]["inputs"]) == MEMBERS + 1
    assert len(set(report["results"])) == len(report["results"])
    return report


@pytest.fixture
def broker() -> Iterator[Any]:
    from servers import redis

    with redis() as server:
        yield server


class Workers:
    """`vendorguard worker` processes, each in a session of its own (so one can be killed whole)."""

    def __init__(self, url: str, env: dict[str, str], count: int = 2, *extra: str) -> None:
        self.processes = [subprocess.Popen([sys.executable, "-m", "vendorguard.cli.main", "worker", "--broker", url,
                                            # the shared limit is tested on real Redis in test_units; here it
                                            # would only slow moto's answers (29 s a scan unlimited, 75 s at 20/s)
                                            "--concurrency", "2", "--rate", "0", *extra], env={**os.environ, **env},
                                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
                          for _ in range(count)]

    def kill(self, index: int) -> None:
        os.killpg(self.processes[index].pid, signal.SIGKILL)
        self.processes[index].wait()

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def workers(broker: Any, env: dict[str, str]) -> Iterator[Workers]:
    running = Workers(broker.url, env)
    yield running
    running.stop()


def _wait_for(condition: Any, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.05)


def test_the_distributed_report_is_the_local_one(local: dict[str, Any], moto_endpoint: str, env: dict[str, str],
                                                 pack: str, broker: Any, workers: Workers, tmp_path: Path) -> None:
    out = tmp_path / "distributed.json"
    done = scan_org(moto_endpoint, env, pack, out, "--broker", broker.url)
    assert done.returncode == 1, done.stderr
    assert comparable(out) == local


def test_a_worker_killed_mid_scan_loses_nothing_and_doubles_nothing(
        local: dict[str, Any], moto_endpoint: str, env: dict[str, str], pack: str, broker: Any,
        workers: Workers, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    out = tmp_path / "distributed.json"
    scan = scan_under_way(moto_endpoint, env, pack, out, broker.url, busy=2)  # both workers busy, more queued
    killed = time.monotonic()
    workers.kill(0)
    _, stderr = scan.communicate(timeout=600)
    assert scan.returncode == 1, stderr
    assert comparable(out) == local
    show_figures(request, [f"worker killed (SIGKILL) mid-scan: the scan completed {time.monotonic() - killed:.0f} s "
                           f"later, its {len(local['results'])} results equal to the local scan's, none twice"])


def test_a_broker_restarted_mid_scan_completes_or_says_why(
        local: dict[str, Any], moto_endpoint: str, env: dict[str, str], pack: str, broker: Any,
        workers: Workers, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    out = tmp_path / "distributed.json"
    scan = scan_under_way(moto_endpoint, env, pack, out, broker.url, busy=1)
    broker.stop()
    time.sleep(3)
    broker.start()  # empty: its queue and answers are gone
    restarted = time.monotonic()
    _, stderr = scan.communicate(timeout=600)  # never a hang
    if scan.returncode == 2:
        said = [line for line in stderr.splitlines() if not line.startswith("progress: ")]
        assert len(said) == 1 and "--broker" in said[0], stderr
        outcome = f"ended with one line, exit 2: {stderr.strip()}"
    else:
        assert scan.returncode == 1, stderr
        assert comparable(out) == local
        outcome = "completed, its results equal to the local scan's, none twice"
    show_figures(request, [f"broker stopped for 3 s and started again empty, mid-scan: {outcome} "
                           f"({time.monotonic() - restarted:.0f} s after the restart)"])


def test_a_dead_broker_is_one_line_and_exit_2(moto_endpoint: str, env: dict[str, str], pack: str,
                                              tmp_path: Path) -> None:
    from servers import _free_port

    done = scan_org(moto_endpoint, env, pack, tmp_path / "never.json", "--broker",
                    f"redis://127.0.0.1:{_free_port()}/0", timeout=120)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "--broker" in done.stderr and "does not answer" in done.stderr


def test_no_secret_reaches_the_broker_and_the_store_keeps_the_same_scans(
        org: list[str], moto_endpoint: str, env: dict[str, str], pack: str, broker: Any, workers: Workers,
        tmp_path: Path) -> None:
    """`scan vendors` with the ExternalId referenced by an environment variable: every key of the
    broker, read throughout the scan, holds neither it nor any credential; and the stored scans are
    those of the same scan run locally."""
    vendors = tmp_path / "vendors.yaml"
    vendors.write_text(yaml.safe_dump({"vendors": [{
        "name": "billing-co", "accounts": org[:4], "role_name": "VendorAudit",
        "external_id": {"env": "VG_TEST_EXTERNAL_ID"}, "regions": REGIONS.split(",")}]}))
    import redis

    client = redis.Redis.from_url(broker.url)
    seen: list[bytes] = []
    scanning = threading.Event()

    def watch() -> None:
        while not scanning.is_set():
            for key in client.scan_iter():
                kind = client.type(key)
                values: Any = {b"list": lambda: client.lrange(key, 0, -1), b"hash": lambda: client.hgetall(key),
                               b"string": lambda: [client.get(key)], b"zset": lambda: client.zrange(key, 0, -1),
                               b"set": lambda: client.smembers(key)}.get(kind, lambda: [])()
                seen.append(key + repr(values).encode())
            time.sleep(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        distributed = vendorguard("scan", "vendors", str(vendors), "--endpoint-url", moto_endpoint, "--pack", pack,
                                  "--store", str(tmp_path / "distributed.db"), "--broker", broker.url, "-q",
                                  env=env, timeout=600)
    finally:
        scanning.set()
        watcher.join()
    assert distributed.returncode == 1, distributed.stderr
    broker_text = b"\n".join(seen)
    assert b"vendorguard.unit" in broker_text and b"VendorAudit" in broker_text, "the watcher saw the units"
    for secret in (EXTERNAL_ID, SECRET_KEY, "SecretAccessKey", "SessionToken", "aws_session_token"):
        assert secret.encode() not in broker_text, secret

    local = vendorguard("scan", "vendors", str(vendors), "--endpoint-url", moto_endpoint, "--pack", pack,
                        "--store", str(tmp_path / "local.db"), "-q", env=env, timeout=600)
    assert local.returncode == 1, local.stderr

    def stored(name: str) -> list[Any]:
        shown = vendorguard("history", "--store", str(tmp_path / name), "--format", "json", env=env)
        return [(s["vendor"], s["source"], s["summary"]) for s in json.loads(shown.stdout)["scans"]]

    assert stored("distributed.db") == stored("local.db")


# -- a coordinator that died, and `scan resume` ------------------------------------------------------
def _kept(store: Path, query: str) -> list[Any]:
    """Rows of the store (SQLite in WAL mode: read while the scan writes); none before it exists."""
    import sqlite3

    try:
        with sqlite3.connect(f"file:{store}?mode=ro", uri=True) as conn:
            return conn.execute(query).fetchall()
    except sqlite3.OperationalError:  # not made, or not migrated, yet
        return []


def _queued(client: Any) -> list[str]:
    """The task ids of the messages waiting in the broker's queue."""
    return [json.loads(message)["headers"]["id"] for message in client.lrange("celery", 0, -1)]


def _coordinator(moto_endpoint: str, env: dict[str, str], pack: str, out: Path, url: str,
                 store: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "vendorguard.cli.main",
                             *org_scan(moto_endpoint, pack, out, "--broker", url, "--store", str(store))],
                            env={**os.environ, **env}, stderr=subprocess.PIPE, text=True)


def _resume_sending_only(missing: set[str], store: Path, url: str, env: dict[str, str],
                         *worker_options: str) -> tuple[subprocess.CompletedProcess, float]:
    """`scan resume` of the one scan under way in `store`, started with no worker up, so that what
    it sends stays in the queue: exactly the `missing` task ids; then workers, and its outcome."""
    import redis

    client = redis.Redis.from_url(url)
    [(scan_id,)] = _kept(store, "SELECT id FROM runs WHERE finished IS NULL")
    started = time.monotonic()
    resumed = subprocess.Popen([sys.executable, "-m", "vendorguard.cli.main", "scan", "resume", scan_id,
                                "--store", str(store), "--broker", url], env={**os.environ, **env},
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: len(_queued(client)) >= len(missing) or resumed.poll() is not None, timeout=60)
    time.sleep(1)
    assert sorted(_queued(client)) == sorted(missing), "only the missing units are sent"
    workers = Workers(url, env, 2, *worker_options)
    try:
        stdout, stderr = resumed.communicate(timeout=300)
    finally:
        workers.stop()
    return subprocess.CompletedProcess(resumed.args, resumed.returncode, stdout, stderr), time.monotonic() - started


def _task_ids(scan_id: str, report: dict[str, Any]) -> set[str]:
    """The task ids of every unit of scan `scan_id` over the accounts of `report`."""
    return {f"vg-{scan_id}-{entry['origin']}-{region}" for entry in report["scan"]["inputs"]
            for region in REGIONS.split(",")}


def test_a_coordinator_killed_mid_scan_is_resumed_from_the_store_sending_only_what_is_missing(
        local: dict[str, Any], moto_endpoint: str, env: dict[str, str], pack: str, broker: Any, tmp_path: Path,
        request: pytest.FixtureRequest) -> None:
    """Workers keep answers in the store; the coordinator is killed, then the broker loses everything
    (its workers stopped, its keys flushed): the resume sends exactly the units the store lacks, and
    gives the local report, every result once, kept as one scan; the finished scan cannot be resumed."""
    import redis

    store, out = tmp_path / "store.db", tmp_path / "distributed.json"
    workers = Workers(broker.url, env, 2, "--store", str(store))
    try:
        coordinator = _coordinator(moto_endpoint, env, pack, out, broker.url, store)
        _wait_for(lambda: len(_kept(store, "SELECT 1 FROM run_units")) >= 6)
        coordinator.kill()
        coordinator.wait()
    finally:
        workers.stop()  # a warm shutdown: the units being run are finished (and kept) first
    redis.Redis.from_url(broker.url).flushall()  # the broker's queue and answers lost: only the store remembers
    [(scan_id,)] = _kept(store, "SELECT id FROM runs WHERE finished IS NULL")
    kept = {f"vg-{scan_id}-{account}-{region}" for account, region in _kept(store, "SELECT account, region FROM run_units")}
    planned = _task_ids(scan_id, local)
    assert 6 <= len(kept) < len(planned) and kept < planned

    resumed, took = _resume_sending_only(planned - kept, store, broker.url, env, "--store", str(store))
    assert resumed.returncode == 1, resumed.stderr
    assert f"resuming scan {scan_id}: {len(kept)} of {len(planned)} units answered in" in resumed.stderr
    total = f"{len(planned)}/{len(planned)} (100%) · accounts {MEMBERS + 1}/{MEMBERS + 1} finished"
    assert f"progress: units {total}" in resumed.stderr
    assert comparable(out, stored=True) == local
    assert _kept(store, "SELECT count(*) FROM scans") == [(1,)]
    assert _kept(store, "SELECT finished IS NOT NULL, scan_id FROM runs") == [(1, 1)]
    assert _kept(store, "SELECT count(*) FROM run_units") == [(0,)]  # the recorded scan holds what they became

    again = vendorguard("scan", "resume", scan_id, "--store", str(store), "--broker", broker.url, env=env)
    assert again.returncode == 2 and again.stderr.count("\n") == 1 and "there is nothing to resume" in again.stderr
    unknown = vendorguard("scan", "resume", "0" * 32, "--store", str(store), "--broker", broker.url, env=env)
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1, unknown.stderr
    assert "no such distributed scan in the store (under way: none)" in unknown.stderr
    show_figures(request, [f"coordinator killed (SIGKILL) after {len(kept)} of {len(planned)} units, the broker "
                           f"then emptied: `scan resume` sent the {len(planned) - len(kept)} missing units and "
                           f"finished in {took:.0f} s, its {len(local['results'])} results equal to the local "
                           "scan's, none twice"])


def test_without_a_store_on_the_workers_a_resume_takes_what_the_result_backend_holds(
        local: dict[str, Any], moto_endpoint: str, env: dict[str, str], pack: str, broker: Any, workers: Workers,
        tmp_path: Path) -> None:
    """The coordinator is killed once a tenth of the units are answered; the workers (no --store)
    answer the rest into the result backend; the resume takes those, and sends again only the ones
    the dead coordinator had read (and forgotten there)."""
    import redis

    store, out = tmp_path / "store.db", tmp_path / "distributed.json"
    client = redis.Redis.from_url(broker.url)
    coordinator = _coordinator(moto_endpoint, env, pack, out, broker.url, store)
    assert coordinator.stderr is not None
    next(line for line in coordinator.stderr if line.startswith("progress: units "))
    coordinator.kill()
    coordinator.wait()
    _wait_for(lambda: client.llen("celery") == 0 and client.hlen("unacked") == 0)  # the workers answered the rest
    workers.stop()
    [(scan_id,)] = _kept(store, "SELECT id FROM runs WHERE finished IS NULL")
    held = {key.decode().removeprefix("celery-task-meta-") for key in client.scan_iter("celery-task-meta-*")}
    planned = _task_ids(scan_id, local)
    assert held < planned and len(held) >= len(planned) // 2

    resumed, _ = _resume_sending_only(planned - held, store, broker.url, env)
    assert resumed.returncode == 1, resumed.stderr
    assert f"resuming scan {scan_id}: 0 of {len(planned)} units answered in" in resumed.stderr
    assert comparable(out, stored=True) == local
    assert _kept(store, "SELECT finished IS NOT NULL FROM runs") == [(1,)]
