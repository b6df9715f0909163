"""Shared test helpers: plans from short resource lists, and running the engine on them."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from planbuilder import build_plan  # noqa: E402

from vendorguard.scanner.catalog import Selection, select  # noqa: E402
from vendorguard.scanner.engine import Engine  # noqa: E402
from vendorguard.scanner.model import Inventory, Result  # noqa: E402
from vendorguard.scanner.sources.tfplan import read_plan  # noqa: E402

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


def run_engine(inventory: Inventory, rule_ids: list[str] | None = None) -> list[Result]:
    catalog, selection = select([])
    if rule_ids is not None:
        selection = Selection(selection.packs, [catalog.rules[r] for r in rule_ids], selection.controls)
    return Engine(selection).run(inventory)


def plan_of(*resources: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    return build_plan(list(resources), **kwargs)
