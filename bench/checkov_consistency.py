"""Our engine and checkov, side by side, on every rule's own fixtures.

For each rule that cites checkov ids (``references.checkov``) and runs on plans, every case of
``tests/fixtures/rules/<RULE>.yaml`` is built into a real ``terraform show -json`` plan
(``tests/planbuilder.py``).  Our verdict is the engine's on the case's target (the resource
named ``this``, or the account/region for existence rules), exactly as
``tests/scanner/test_rule_fixtures.py`` reads it.  checkov runs **once** over a directory holding all the
plans (``--framework terraform_plan -d``, limited with ``--check`` to the cited ids), and its
verdict for each cited check is read on the same target: the resource itself or a split child
that folds into it; for an existence rule, one passing resource of the rule's types is enough.

Every disagreement must be listed, with its reason, in ``bench/checkov_deliberate.yaml``
(``tests/scanner/checkov/test_checkov_consistency.py`` enforces it); one that is our bug is fixed, not listed.

    .venv/bin/python bench/checkov_consistency.py            # the table (gist of each reason)
    .venv/bin/python bench/checkov_consistency.py --full     # with the full reasons
    .venv/bin/python bench/checkov_consistency.py --cases    # one row per fixture case
    .venv/bin/python bench/checkov_consistency.py --checkov PATH
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import yaml  # noqa: E402

from planbuilder import build_plan, case_resources  # noqa: E402
from vendorguard.scanner.catalog import Rule, Selection, load_catalog  # noqa: E402
from vendorguard.scanner.checkov.runner import CheckovCheck, run_checkov  # noqa: E402
from vendorguard.scanner.engine import Engine  # noqa: E402
from vendorguard.scanner.model import Status  # noqa: E402
from vendorguard.scanner.sources.tfplan import read_plan  # noqa: E402

RULE_FIXTURES = ROOT / "tests" / "fixtures" / "rules"
DELIBERATE = ROOT / "bench" / "checkov_deliberate.yaml"
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
NONE = "none"  # checkov reported nothing for this check on the target


@dataclass(frozen=True)
class Row:
    rule: str
    check: str
    case: str  # pass-0, fail-1, unknown-0 …
    ours: str
    checkov: str
    addresses: tuple[str, ...]

    @property
    def agrees(self) -> bool:
        return self.ours == self.checkov


def plan_rules(catalog: Any) -> list[Rule]:
    """Rules citing checkov ids that run on Terraform plans and have fixtures."""
    return [r for r in catalog.rules.values()
            if (r.references or {}).get("checkov")
            and (r.sources is None or "terraform-plan" in r.sources)
            and (RULE_FIXTURES / f"{r.id}.yaml").exists()]


def _cases(rule: Rule) -> list[tuple[str, dict[str, Any]]]:
    data = yaml.safe_load((RULE_FIXTURES / f"{rule.id}.yaml").read_text())
    out = []
    for expect in ("pass", "fail", "unknown"):
        for i, case in enumerate(data.get(expect) or []):
            if case.get("source") != "aws":  # absence decides only in a live inventory
                out.append((f"{expect}-{i}", case))
    return out


def _ours(rule: Rule, resources: list[dict[str, Any]], plan: dict[str, Any]) -> tuple[str, str | None]:
    """(our status, target address) — the target is None for an existence rule."""
    inventory = read_plan("plan.json", json.loads(json.dumps(plan)))
    selection = Selection([], [rule], {})
    results = Engine(selection).run(inventory)
    if rule.scope == "resource":
        target = next(r for r in resources if r["name"] == "this" and r["type"] in rule.resource_types)
        address = f"{target['type']}.this"
        mine = [r for r in results if r.address == address]
    else:
        address = None
        mine = [r for r in results if r.region in ("us-east-1", None)]
    if len(mine) != 1:
        raise RuntimeError(f"{rule.id}: expected one result for the target, got {[(r.address, r.status) for r in results]}")
    return mine[0].status.value, address


def _checkov_verdict(rule: Rule, target: str | None, checks: list[CheckovCheck],
                     links: dict[str, str], types: dict[str, str]) -> tuple[str, tuple[str, ...]]:
    """checkov's verdict for one check id on the case's target (see the module doc)."""
    if rule.scope == "resource":
        mine = [c for c in checks if links.get(c.address, c.address) == target]
        if not mine:
            return NONE, ()
        worst = min(mine, key=lambda c: {Status.FAIL: 0, Status.WAIVED: 1, Status.PASS: 2}[c.status])
        return worst.status.value, tuple(sorted({c.address for c in mine}))
    per_resource: dict[str, list[CheckovCheck]] = defaultdict(list)
    for check in checks:
        parent = links.get(check.address, check.address)
        if types.get(parent, check.resource_type) in rule.resource_types:
            per_resource[parent].append(check)
    if not per_resource:
        return NONE, ()
    statuses = {min((c.status for c in group), key=lambda s: {Status.FAIL: 0, Status.WAIVED: 1, Status.PASS: 2}[s])
                for group in per_resource.values()}
    best = Status.PASS if Status.PASS in statuses else (Status.WAIVED if Status.WAIVED in statuses else Status.FAIL)
    return best.value, tuple(sorted(per_resource))


def compare(checkov: str | None = None) -> tuple[list[Row], dict[str, Any]]:
    """Every (rule, cited check, case) with both verdicts; and facts about the run."""
    catalog, _ = load_catalog()
    rules = plan_rules(catalog)
    wanted = sorted({c for r in rules for c in r.references["checkov"]})
    prepared = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="vg-consistency-") as scratch:
        for rule in rules:
            for case_id, case in _cases(rule):
                resources = case_resources(rule, case)
                plan = build_plan(resources, account_id=case.get("account_id"))
                text = json.dumps(plan, indent=1)
                name = f"{rule.id}__{case_id}.json"
                Path(scratch, name).write_text(text)
                ours, target = _ours(rule, resources, plan)
                types = {f"{r['type']}.{r['name']}": r["type"] for r in resources}
                prepared.append((rule, case_id, name, text, ours, target, types))
        engine_seconds = time.perf_counter() - started
        started = time.perf_counter()
        run = run_checkov(scratch, "terraform_plan", checkov=checkov or str(CHECKOV), checks=wanted,
                          where="fixture plans")
        checkov_seconds = time.perf_counter() - started
    by_file: dict[str, list[CheckovCheck]] = defaultdict(list)
    for check in run.checks:
        by_file[Path(check.file or "").name].append(check)
    rows = []
    for rule, case_id, name, text, ours, target, types in prepared:
        links = read_plan(name, json.loads(text)).folded
        for check_id in rule.references["checkov"]:
            checks = [c for c in by_file.get(name, []) if c.check_id == check_id]
            verdict, addresses = _checkov_verdict(rule, target, checks, links, types)
            rows.append(Row(rule.id, check_id, case_id, ours, verdict, addresses))
    facts = {"plans": len(prepared), "checkov_runs": 1, "checkov_seconds": checkov_seconds,
             "engine_seconds": engine_seconds, "checkov_version": run.version,
             "rules": len(rules), "checks": len(wanted)}
    return rows, facts


def load_deliberate(path: Path = DELIBERATE) -> list[dict[str, Any]]:
    data = yaml.safe_load(path.read_text()) or {}
    return list(data.get("deliberate") or [])


def deliberate_index(entries: list[dict[str, Any]]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(e["rule"], e["check"], e["case"]): e for e in entries}


def _short(reason: str) -> str:
    """The gist of a reason, for the one-line table."""
    if reason.startswith("plan-time unknown"):
        return "plan-time unknown"
    if reason.startswith("no ") and " in this plan" in reason:
        return "nothing of the kind in the plan"
    return reason.split(";")[0].rstrip(".")


def summarize(rows: list[Row], deliberate: dict[tuple[str, str, str], dict[str, Any]],
              short: bool = False) -> list[tuple[str, str, str, str]]:
    """(rule, check, agree/disagree, why) per cited check."""
    grouped: dict[tuple[str, str], list[Row]] = defaultdict(list)
    for row in rows:
        grouped[(row.rule, row.check)].append(row)
    table = []
    for (rule, check), group in grouped.items():
        off = [r for r in group if not r.agrees]
        if not off:
            table.append((rule, check, f"agree ({len(group)}/{len(group)})", ""))
            continue
        reasons: dict[str, list[str]] = defaultdict(list)
        for row in off:
            entry = deliberate.get((row.rule, row.check, row.case))
            why = entry["reason"] if entry else "NOT LISTED as deliberate"
            if short:
                reasons[_short(why)].append(row.case)
            else:
                reasons[why].append(f"{row.case}: ours {row.ours}, checkov {row.checkov}")
        why = " | ".join(f"{text} [{(', ' if short else '; ').join(cases)}]" for text, cases in reasons.items())
        table.append((rule, check, f"disagree ({len(off)}/{len(group)})", why))
    return table


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkov", help="checkov to run (default: .venv-checkov/bin/checkov)")
    parser.add_argument("--cases", action="store_true", help="one row per fixture case")
    parser.add_argument("--full", action="store_true", help="full reasons, with both verdicts per case")
    args = parser.parse_args()
    rows, facts = compare(args.checkov)
    deliberate = deliberate_index(load_deliberate())
    if args.cases:
        print(f"{'rule':<11} {'check':<12} {'case':<10} {'ours':<15} {'checkov':<8} agree")
        for row in rows:
            print(f"{row.rule:<11} {row.check:<12} {row.case:<10} {row.ours:<15} {row.checkov:<8} "
                  f"{'yes' if row.agrees else 'NO'}")
    else:
        print("| rule | checkov id | agree/disagree | why |")
        print("| --- | --- | --- | --- |")
        for rule, check, verdict, why in summarize(rows, deliberate, short=not args.full):
            print(f"| {rule} | {check} | {verdict} | {why} |")
    unlisted = [r for r in rows if not r.agrees and (r.rule, r.check, r.case) not in deliberate]
    print(f"\n{facts['rules']} rules, {facts['checks']} checkov ids, {facts['plans']} fixture plans; "
          f"{sum(r.agrees for r in rows)} of {len(rows)} (rule, check, case) agree; "
          f"{len(unlisted)} disagreements not listed as deliberate.  checkov {facts['checkov_version']}: "
          f"{facts['checkov_runs']} run, {facts['checkov_seconds']:.1f} s; our engine {facts['engine_seconds']:.1f} s.",
          file=sys.stderr)
    return 1 if unlisted else 0


if __name__ == "__main__":
    sys.exit(main())
