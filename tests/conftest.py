"""Shared test helpers, one place each: the checkout's paths; plans from short resource lists and
the engine and pipeline over them; live scans of a moto server; policy documents; the CLI in a
subprocess.  Test files (in folders that mirror the code) import them: ``from conftest import …``."""
from __future__ import annotations

import functools
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

#: the test tree, and the checkout it tests (test files live in subfolders that mirror the code:
#: compute paths from these, never from a test file's own `__file__`)
TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
FIXTURES = TESTS / "fixtures"
PUBLIC = ROOT.parent / "shared" / "fixtures" / "public"

sys.path.insert(0, str(TESTS))

from planbuilder import build_plan  # noqa: E402

from vendorguard.scanner import sources  # noqa: E402
from vendorguard.scanner.catalog import Selection, select  # noqa: E402
from vendorguard.scanner.decisions import Decisions  # noqa: E402
from vendorguard.scanner.engine import Engine  # noqa: E402
from vendorguard.scanner.model import Inventory, Result, Status  # noqa: E402
from vendorguard.scanner.pipeline import scan  # noqa: E402
from vendorguard.scanner.results import ScanReport  # noqa: E402
from vendorguard.scanner.sources.tfplan import read_plan  # noqa: E402

# moto's default AMIs come with thousands of snapshots "owned" by the test account.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


@pytest.fixture(scope="session")
def catalog_selection() -> tuple[Any, Selection]:
    return select([])


def scan_plan_document(plan: dict[str, Any], rule_ids: list[str] | None = None,
                       account: str | None = None) -> list[Result]:
    """Run the shipped packs (or only `rule_ids`) over a plan document, through JSON and back."""
    inventory = read_plan("plan.json", json.loads(json.dumps(plan)), account)
    return run_engine(inventory, rule_ids)


@functools.cache
def _shipped() -> tuple[Any, Selection]:
    return select([])


def run_engine(inventory: Inventory, rule_ids: list[str] | None = None) -> list[Result]:
    catalog, selection = _shipped()
    if rule_ids is not None:
        selection = Selection(selection.packs, [catalog.rules[r] for r in rule_ids], selection.controls)
    return Engine(selection).run(inventory)


def scan_source(name: str, inputs: list[str], packs: list[str] | tuple[str, ...] = (),
                decisions: Decisions | None = None, **options: Any) -> ScanReport:
    """The whole pipeline over one registered source, as `vendorguard scan` runs it."""
    return scan(sources.get(name), inputs, packs, decisions, **options)


def scan_aws(target: Any, packs: list[str] | tuple[str, ...] = (), **options: Any) -> ScanReport:
    """A live scan of `target` (a `Target`), as `vendorguard scan aws` runs it."""
    return scan_source("aws", [], packs, options.pop("decisions", None), target=target, **options)


def scan_moto(aws: Any, regions: str | list[str] = "us-east-1", packs: list[str] | tuple[str, ...] = (),
              **target_or_options: Any) -> ScanReport:
    """A live scan of the moto server behind the `aws` fixture.  `regions` as `--regions` takes them
    ("us-east-1,eu-west-1") or a list; keywords that are `Target` fields (`role_arn`, `external_id`,
    `accounts`, `org`, `role_name`, …) go to the target, the rest (`tuning`, `decisions`, …) to the scan.
    Calls are tried twice (`MOTO_ENV`'s AWS_MAX_ATTEMPTS, which the `aws` fixture sets)."""
    import dataclasses

    from vendorguard.scanner.sources.aws.live import Target

    fields = {f.name for f in dataclasses.fields(Target)}
    target = {k: v for k, v in target_or_options.items() if k in fields}
    options = {k: v for k, v in target_or_options.items() if k not in fields}
    regions = regions.split(",") if isinstance(regions, str) else list(regions)
    return scan_aws(Target(endpoint_url=aws.endpoint, regions=regions, **target), packs, **options)


def results_for(report: ScanReport, rule_id: str) -> dict[str, Status]:
    """One rule's verdicts in a report, by resource address."""
    return {r.address: r.status for r in report.results if r.rule_id == rule_id}


def policy(*statements: dict[str, Any]) -> str:
    """An IAM / resource policy document (JSON text) holding these statements."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(principal: Any, condition: dict[str, Any] | None = None) -> str:
    """A role's trust policy: `principal` may assume it (under `condition`, when given)."""
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return policy(statement)


def lambda_zip() -> bytes:
    """A Lambda deployment package (a zip holding index.handler), for seeding moto."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def show_figures(request: pytest.FixtureRequest, lines: list[str]) -> None:
    """Print a suite's figures past pytest's capture: they are the point of the run, even under -q."""
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    terminal = request.config.pluginmanager.get_plugin("terminalreporter")
    if capture is None or terminal is None:
        print("\n".join(lines))
        return
    with capture.global_and_fixture_disabled():
        terminal.write_line("")
        for line in lines:
            terminal.write_line(line)


def plan_of(*resources: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return build_plan(list(resources), **kwargs)


def write(path: Path, document: Any) -> Path:
    """`document` as a JSON file at `path`."""
    path.write_text(json.dumps(document))
    return path


def vendorguard(*args: str, stdin: str | bytes | None = None, cwd: Path | None = None,
                env: dict[str, str] | None = None, text: bool = True,
                timeout: float = 120) -> subprocess.CompletedProcess:
    """`vendorguard ARGS` in a fresh interpreter, as a user runs it: output captured (as text, or
    bytes with `text=False`); `env` is added to this process's environment."""
    return subprocess.run([sys.executable, "-m", "vendorguard.cli.main", *args], input=stdin, capture_output=True,
                          text=text, cwd=cwd, timeout=timeout, env=None if env is None else {**os.environ, **env})


# -- a moto server over HTTP, started once per test session, reset between tests -------------------
MOTO_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    # moto answers at once and never throttles; a call it lacks is a 500, which botocore retries
    # with backoff (eight attempts would add seconds to every scan, in-process or by the CLI)
    "AWS_MAX_ATTEMPTS": "2",
}


@pytest.fixture(scope="session")
def moto_endpoint() -> Any:
    """The URL of a moto server on 127.0.0.1 (a free port, its own process), for the whole session."""
    from servers import moto

    with moto() as url:
        yield url


@pytest.fixture
def aws(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A clean moto account with fake credentials in the environment; returns a boto3 client factory
    for seeding (the scanner under test makes its own clients)."""
    import urllib.request

    import boto3

    for key, value in MOTO_ENV.items():
        monkeypatch.setenv(key, value)
    for key in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")).read()

    def client(service: str, region: str = "us-east-1") -> Any:
        return boto3.client(service, region_name=region, endpoint_url=moto_endpoint)

    client.endpoint = moto_endpoint  # type: ignore[attr-defined]
    return client


# -- the store's databases: SQLite files, and a real PostgreSQL server for the session --------------
@pytest.fixture(scope="session")
def postgres_socket() -> Any:
    """The socket directory of a PostgreSQL server started for the session (tests/servers.py)."""
    from servers import postgres

    with postgres() as socket_dir:
        yield socket_dir


_DATABASES = iter(range(1, 1_000_000))


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty store on each database the store supports: an SQLite file, and a fresh
    database on the session's PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "store.db")
    socket_dir = request.getfixturevalue("postgres_socket")
    import psycopg

    name = f"vg_{os.getpid()}_{next(_DATABASES)}"
    with psycopg.connect(f"host={socket_dir} user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql://postgres@/{name}?host={socket_dir}"
