"""The store, measured (not a test): keeping large scans and reading them back, on SQLite and on a
PostgreSQL server started here (tests/servers.py, as the tests start it).

For each size, a generated realistic plan (bench/generate_plan.py) is scanned once; its document
is kept as N successive scans of one vendor (every second one with a tenth of its FAILs fixed,
so the life cycle has work), then history, diff, trend and the portfolio are read back.

    python bench/store.py [--resources 1000,10000] [--scans 5]
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "bench")]

from generate_plan import plan as generated_plan  # noqa: E402
from servers import postgres  # noqa: E402

from vendorguard.scanner import sources  # noqa: E402
from vendorguard.scanner.pipeline import scan  # noqa: E402
from vendorguard.scanner.store.db import Store  # noqa: E402


def documents(resources: int, count: int) -> list[dict]:
    folder = Path(tempfile.mkdtemp(prefix="vg-store-bench-"))
    plan = folder / "plan.json"
    plan.write_text(json.dumps(generated_plan(resources)))
    base = scan(sources.get("terraform-plan"), [str(plan)], []).to_document()
    out = []
    for i in range(count):
        document = copy.deepcopy(base)
        document["scan"]["started"] = f"2026-01-{i + 1:02d}T00:00:00+00:00"
        if i % 2:
            fails = [r for r in document["results"] if r["status"] == "FAIL"]
            for result in fails[: len(fails) // 10]:
                result["status"] = "PASS"
        out.append(document)
    return out


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", default="1000,10000")
    parser.add_argument("--scans", type=int, default=5)
    args = parser.parse_args()
    print(f"{'db':10} {'resources':>9} {'results':>8} {'keep/scan s':>11} {'history s':>9} {'diff s':>7} "
          f"{'trend s':>8} {'portfolio s':>11} {'size MB':>8}")
    with ExitStack() as stack:
        socket_dir = stack.enter_context(postgres())
        import psycopg

        for size in (int(n) for n in args.resources.split(",")):
            docs = documents(size, args.scans)
            for db in ("sqlite", "postgresql"):
                if db == "sqlite":
                    path = Path(tempfile.mkdtemp()) / "store.db"
                    url = str(path)
                else:
                    name = f"bench_{size}"
                    with psycopg.connect(f"host={socket_dir} user=postgres dbname=postgres", autocommit=True) as c:
                        c.execute(f'DROP DATABASE IF EXISTS "{name}"')
                        c.execute(f'CREATE DATABASE "{name}"')
                    url = f"postgresql://postgres@/{name}?host={socket_dir}"
                with Store.open(url) as store:
                    keep = 0.0
                    for document in docs:
                        keep += timed(lambda: store.record(document, "bench"))[1]
                    _, history = timed(store.history)
                    _, diff = timed(lambda: store.diff("bench", None, None))
                    _, trend = timed(store.trend)
                    _, page = timed(store.portfolio)
                    if db == "sqlite":
                        size_mb = sum(os.path.getsize(f) for f in (url, f"{url}-wal") if os.path.exists(f)) / 2**20
                    else:
                        with store.engine.connect() as conn:
                            from sqlalchemy import text

                            size_mb = conn.execute(text("SELECT pg_database_size(current_database())")).scalar() / 2**20
                print(f"{db:10} {size:>9} {len(docs[0]['results']):>8} {keep / len(docs):>11.2f} {history:>9.3f} "
                      f"{diff:>7.2f} {trend:>8.2f} {page:>11.2f} {size_mb:>8.1f}")


if __name__ == "__main__":
    main()
