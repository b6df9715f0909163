"""Organization scale on moto: 100 accounts × 2 regions (200 units), the local executor against
1, 2 and 4 `vendorguard worker` processes on a Redis broker — wall time, units a minute, the
coordinator's peak RSS, each worker's peak RSS (its largest process, and its whole process tree),
and how much CPU the moto server itself burnt (it is one Python process: past a point every
executor waits on it).  Not a test: nothing here asserts, but each run's results are compared with
the local executor's and a difference is printed.

    .venv/bin/python bench/distributed.py [--accounts 100] [--workers 1,2,4] [--concurrency 2]

The pack is the five rules of tests/scanner/sources/aws/test_distributed.py (EBS, S3, CloudTrail,
GuardDuty, IAM trust): the full packs run ~60 collectors a unit, and on moto a 200-unit full scan
takes the better part of an hour whatever the executor — moto, not the executor, would be measured.
Results go to bench/out/distributed.json and a table on stdout.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import boto3
import yaml

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
BIN = Path(sys.executable).parent
REGIONS = ["us-east-1", "eu-west-1"]
RULES = ["VG-EC2-001", "VG-S3-001", "VG-CT-001", "VG-GD-001", "VG-TPA-001"]
#: Every process's environment (moto's, the seeding clients', the scans', the workers'): moto answers
#: Config's GetDiscoveredResourceCounts with a 500, which botocore's default eight attempts retry with
#: backoff — that, not the executors, dominated earlier figures; two attempts, as the tests use.
ENV = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1",
       "MOTO_EC2_LOAD_DEFAULT_AMIS": "false", "AWS_MAX_ATTEMPTS": "2"}
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if check():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not start")
        time.sleep(0.1)


def rss_mb(pid: int) -> float:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20
    except (OSError, IndexError):
        return 0.0


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[2]) == pgid:
                    members.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return members


class Sampler(threading.Thread):
    """Peak RSS of each worker: its largest process, and its process tree (main + pool) at once."""

    def __init__(self, groups: list[int]) -> None:
        super().__init__(daemon=True)
        self.groups, self.stop = groups, threading.Event()
        self.largest = {g: 0.0 for g in groups}
        self.tree = {g: 0.0 for g in groups}

    def run(self) -> None:
        while not self.stop.is_set():
            for group in self.groups:
                sizes = [rss_mb(pid) for pid in group_members(group)]
                self.largest[group] = max(self.largest[group], max(sizes, default=0.0))
                self.tree[group] = max(self.tree[group], sum(sizes))
            time.sleep(0.25)


def seed(endpoint: str, accounts: int) -> None:
    """An organization of `accounts` (the management account and its members), each with a volume
    (unencrypted in every other one) and a bucket."""
    def client(service: str, region: str = "us-east-1", **creds: str) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=endpoint, **creds)

    org = client("organizations")
    org.create_organization(FeatureSet="ALL")
    for n in range(accounts - 1):
        member = org.create_account(AccountName=f"vendor-{n}", Email=f"v{n}@example.com")["CreateAccountStatus"]["AccountId"]
        creds = client("sts").assume_role(RoleArn=f"arn:aws:iam::{member}:role/VendorAudit",
                                          RoleSessionName="seed")["Credentials"]
        keys = {"aws_access_key_id": creds["AccessKeyId"], "aws_secret_access_key": creds["SecretAccessKey"],
                "aws_session_token": creds["SessionToken"]}
        region = REGIONS[n % 2]
        client("ec2", region, **keys).create_volume(AvailabilityZone=f"{region}a", Size=8, Encrypted=bool(n % 2))
        client("s3", **keys).create_bucket(Bucket=f"claims-{member}")


def scan(endpoint: str, pack: str, out: Path, broker: str | None) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "bench"))
    from run import measure  # noqa: E402 - bench/child.py's peak RSS of the coordinator alone

    command = [str(BIN / "vendorguard"), "scan", "aws", "--org", "--role-name", "VendorAudit", "--regions",
               ",".join(REGIONS), "--endpoint-url", endpoint, "--pack", pack, "--format", "json", "-o", str(out), "-q"]
    return measure(command + (["--broker", broker] if broker else []), env=ENV, timeout=3600)


def results_of(path: Path) -> list[str]:
    return sorted(json.dumps(r, sort_keys=True) for r in json.loads(path.read_text())["results"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=100)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--concurrency", type=int, default=2, help="pool processes per worker")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server not found (make test-deps installs Debian's)")
    OUT.mkdir(parents=True, exist_ok=True)
    os.environ.update(ENV)  # the seeding clients' credentials, as the scans' and the workers'
    home = Path(tempfile.mkdtemp(prefix="vg-bench-"))
    moto_port, redis_port = free_port(), free_port()
    endpoint, broker = f"http://127.0.0.1:{moto_port}", f"redis://127.0.0.1:{redis_port}/0"
    moto = subprocess.Popen([str(BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, **ENV})
    redis = subprocess.Popen(["redis-server", "--bind", "127.0.0.1", "--port", str(redis_port), "--save", "",
                              "--appendonly", "no", "--dir", str(home)], stdout=subprocess.DEVNULL)
    rows: list[dict[str, Any]] = []
    try:
        wait_until(lambda: urllib.request.urlopen(f"{endpoint}/moto-api/").status == 200, "moto")
        import redis as redis_py

        wait_until(lambda: redis_py.Redis.from_url(broker).ping(), "redis-server")
        started = time.perf_counter()
        seed(endpoint, args.accounts)
        print(f"seeded {args.accounts} accounts in {time.perf_counter() - started:.0f} s", flush=True)
        pack = home / "pack.yaml"
        pack.write_text(yaml.safe_dump({"pack": {"id": "org", "title": "org", "version": "1",
                                                 "controls": [{"id": "all", "title": "all", "rules": RULES}]}}))
        units = args.accounts * len(REGIONS)
        baseline: list[str] | None = None
        for count in [0, *(int(n) for n in args.workers.split(","))]:
            workers = [subprocess.Popen([str(BIN / "vendorguard"), "worker", "--broker", broker, "--concurrency",
                                         str(args.concurrency)], env={**os.environ, **ENV}, start_new_session=True,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(count)]
            time.sleep(3 if count else 0)
            sampler = Sampler([w.pid for w in workers])
            sampler.start()
            moto_cpu = cpu_seconds(moto.pid)
            out = home / f"report-{count}.json"
            measured = scan(endpoint, str(pack), out, broker if count else None)
            moto_cpu = cpu_seconds(moto.pid) - moto_cpu
            sampler.stop.set()
            sampler.join()
            for worker in workers:
                os.killpg(worker.pid, signal.SIGTERM)
            for worker in workers:
                worker.wait(timeout=60)
            results = results_of(out) if measured["code"] in (0, 1) else []
            baseline = baseline if baseline is not None else results
            row = {"executor": f"{count} worker{'s' if count != 1 else ''} × {args.concurrency}" if count else "local",
                   "wall": measured["wall"], "units_per_minute": units / measured["wall"] * 60,
                   "coordinator_rss_mb": measured["rss_mb"], "code": measured["code"],
                   "worker_largest_process_mb": max(sampler.largest.values(), default=None),
                   "worker_tree_mb": max(sampler.tree.values(), default=None),
                   "moto_cpu_share": moto_cpu / measured["wall"], "results": len(results),
                   "same_results_as_local": results == baseline}
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        for process in (moto, redis):
            process.terminate()
            process.wait(timeout=30)
        shutil.rmtree(home, ignore_errors=True)
    (OUT / "distributed.json").write_text(json.dumps({"accounts": args.accounts, "regions": REGIONS, "units":
                                                      args.accounts * len(REGIONS), "rows": rows}, indent=2))
    print(f"\n{args.accounts} accounts × {len(REGIONS)} regions = {args.accounts * len(REGIONS)} units, "
          f"{len(RULES)} rules, moto on one process, {os.cpu_count()} cores")
    print(f"{'executor':16} {'wall':>8} {'units/min':>10} {'coord. MB':>10} {'worker max proc MB':>19} "
          f"{'worker tree MB':>15} {'moto CPU':>9} {'same':>5}")
    for row in rows:
        largest = f"{row['worker_largest_process_mb']:.0f}" if row["worker_largest_process_mb"] else "-"
        tree = f"{row['worker_tree_mb']:.0f}" if row["worker_tree_mb"] else "-"
        print(f"{row['executor']:16} {row['wall']:7.1f}s {row['units_per_minute']:10.1f} {row['coordinator_rss_mb']:10.0f} "
              f"{largest:>19} {tree:>15} {row['moto_cpu_share']:8.0%} {'yes' if row['same_results_as_local'] else 'NO':>5}")


if __name__ == "__main__":
    main()
