"""Shared test helpers: plans from short resource lists, and running the engine on them."""
from __future__ import annotations

import functools
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from planbuilder import build_plan  # noqa: E402

from vendorguard.scanner import sources  # noqa: E402
from vendorguard.scanner.catalog import Selection, select  # noqa: E402
from vendorguard.scanner.decisions import Decisions  # noqa: E402
from vendorguard.scanner.engine import Engine  # noqa: E402
from vendorguard.scanner.model import Inventory, Result  # noqa: E402
from vendorguard.scanner.pipeline import scan  # noqa: E402
from vendorguard.scanner.results import ScanReport  # noqa: E402
from vendorguard.scanner.sources.tfplan import read_plan  # noqa: E402

# moto's default AMIs come with thousands of snapshots "owned" by the test account.
os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

FIXTURES = Path(__file__).parent / "fixtures"
PUBLIC = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "public"


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


# -- a moto server over HTTP, started once per test session, reset between tests -------------------
MOTO_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def moto_endpoint() -> Any:
    """The URL of a moto server on 127.0.0.1 (a free port), for the whole session."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


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
