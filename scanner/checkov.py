"""checkov as a subprocess, and its results mapped into our controls.

checkov parses Terraform HCL (modules, variables, tfvars) and carries hundreds of AWS checks.  It
runs from its own environment (``make install`` creates ``.venv-checkov``): its pins (boto3, an old
``packaging``) conflict with ours, so it is never imported here — it is a program we run, offline
(``BC_SKIP_MAPPING``, ``CKV_SKIP_PACKAGE_UPDATE_CHECK``, ``--skip-download``, no API key passed
on), reading its ``-o json``.

Each checkov result becomes a result of the rule(s) whose ``references.checkov`` list its id, one
result per (rule, resource): a rule citing several checks (ports 22 and 3389, the seven password
policy checks) FAILs when any of them fails.  Checks no selected rule cites appear only when asked
(``all_checkov``), under the result-level domain ``unmapped``.  checkov leaves out what it cannot
decide (a variable without a value): on HCL, a resource it saw with no verdict for a rule that
cites checkov ids gets UNKNOWN for that rule, and rules no checkov id maps to are named in the
inventory's notes — silence never reads as a pass.  HCL results are per resource as checkov sees
them (no folding: a public access block's verdict stays on the block), and checkov's own
applicability stands in for a rule's ``applies_if``.

On a plan, `scan_plan_with_checkov` runs our engine and checkov on the same file and merges them:
the same rule on the same resource (a split child such as a public access block counts as its
bucket, as folding decides) collapses into one result.  Our verdict stays the result's status —
it is the one that never PASSes what it has not seen — and checkov's is kept beside it in
``evidence["checkov"]``; when they differ, the reason says so.  Nothing checkov reports is dropped.

checkov missing, failing, timing out, printing something that is not its report, or unable to
parse a file is an `InputError` (one line; exit 2 in the CLI) — never an empty, clean-looking
report.  Only check ids, addresses, file names and line numbers are taken from checkov's output:
its code blocks and evaluated values (which, on a plan, can hold sensitive values) are not.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

from .catalog import Rule, Selection, select
from .errors import InputError
from .model import Inventory, Resource, Result, Status

if TYPE_CHECKING:
    from .results import ScanReport

SOURCE_HCL = "terraform-hcl"
SOURCE_PLAN = "terraform-plan"
#: Result-level domain of checkov results that no selected rule cites (not one of model.DOMAINS).
UNMAPPED_DOMAIN = "unmapped"
#: checkov's own JSON has no severity without a platform key: a conservative default.
UNMAPPED_SEVERITY = "low"

ENV_CHECKOV = "VENDORGUARD_CHECKOV"
ENV_TIMEOUT = "VENDORGUARD_CHECKOV_TIMEOUT"
DEFAULT_TIMEOUT = 900.0
VENV_CHECKOV = Path(".venv-checkov") / "bin" / "checkov"

#: Environment that keeps checkov offline and quiet.
OFFLINE_ENV = {"BC_SKIP_MAPPING": "TRUE", "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true"}
#: Never handed to checkov: with an API key it would upload results to a platform.
_DROPPED_ENV = ("BC_API_KEY", "BC_API_URL", "PRISMA_API_URL", "BC_SOURCE", "CKV_API_KEY")

_STATUS = {"PASSED": Status.PASS, "FAILED": Status.FAIL, "SKIPPED": Status.WAIVED}
_LISTS = {"passed_checks": "PASSED", "failed_checks": "FAILED", "skipped_checks": "SKIPPED"}
_SUMMARY_ONLY = {"passed", "failed", "skipped", "parsing_errors", "resource_count"}
_TF_FILES = ("*.tf", "*.tf.json")
# `module.a["x"].module.b[0].aws_s3_bucket.this[1]` → aws_s3_bucket; `data.x.y` → x.
_TYPE_IN_ADDRESS = re.compile(r"(?:^|\.)(?:data\.)?([A-Za-z][A-Za-z0-9_-]*)\.[A-Za-z0-9_-]+(?:\[[^\]]*\])?$")


@dataclass(frozen=True, slots=True)
class CheckovCheck:
    """One checkov verdict: a check on a resource, where checkov found it."""

    check_id: str
    name: str
    status: Status  # PASS, FAIL, or WAIVED (checkov "SKIPPED")
    address: str
    file: str | None  # absolute, as checkov resolved it
    lines: tuple[int, int] | None
    skip_comment: str | None = None
    framework: str = ""

    @property
    def resource_type(self) -> str:
        match = _TYPE_IN_ADDRESS.search(self.address)
        return match.group(1) if match else self.address.split(".")[0]

    def brief(self) -> dict[str, Any]:
        out: dict[str, Any] = {"check_id": self.check_id, "status": self.status.value, "name": self.name}
        if self.lines:
            out["lines"] = list(self.lines)
        if self.skip_comment:
            out["skip_comment"] = self.skip_comment
        return out


@dataclass(slots=True)
class CheckovRun:
    """What one checkov run reported."""

    checks: list[CheckovCheck] = field(default_factory=list)
    version: str | None = None
    resource_count: int = 0


# -- finding and running checkov ------------------------------------------------------------------
def _project_root() -> Path:
    """The checkout this module lives in (the editable install); harmless elsewhere."""
    return Path(__file__).resolve().parents[1]


def _executable(path: str, how: str) -> str:
    if os.sep not in path and "/" not in path:
        found = shutil.which(path)
        if found is None:
            raise InputError(path, f"checkov not found on PATH (given by {how})")
        return found
    candidate = Path(path)
    if candidate.is_dir():
        raise InputError(path, f"is a directory, not the checkov program (given by {how})")
    if not candidate.is_file():
        raise InputError(path, f"no checkov there (given by {how})")
    if not os.access(candidate, os.X_OK):
        raise InputError(path, f"checkov is not executable (given by {how})")
    return str(candidate)


def find_checkov(explicit: str | None = None) -> str:
    """``--checkov PATH``, else ``$VENDORGUARD_CHECKOV``, else ``.venv-checkov/bin/checkov`` in the
    checkout or the current directory, else ``checkov`` on PATH.  A path given explicitly (argument
    or environment) must work: it is not silently replaced by another checkov."""
    if explicit:
        return _executable(explicit, "--checkov")
    env = os.environ.get(ENV_CHECKOV)
    if env:
        return _executable(env, ENV_CHECKOV)
    for base in (_project_root(), Path.cwd()):
        candidate = base / VENV_CHECKOV
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("checkov")
    if found:
        return found
    raise InputError("checkov", "not found: run `make install` (it creates .venv-checkov), or give "
                                f"--checkov PATH or set {ENV_CHECKOV}")


def _timeout(timeout: float | None) -> float:
    if timeout is not None:
        return timeout
    raw = os.environ.get(ENV_TIMEOUT)
    if raw:
        try:
            return float(raw)
        except ValueError:
            raise InputError(ENV_TIMEOUT, f"not a number of seconds: {raw!r}") from None
    return DEFAULT_TIMEOUT


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV}
    env.update(OFFLINE_ENV)
    return env


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines:
        return "no message"
    last = lines[-1]
    return last if len(last) <= 240 else last[:239] + "…"


def run_checkov(target: str | Path, framework: str, *, checkov: str | None = None,
                checks: Iterable[str] | None = None, var_files: Sequence[str] = (),
                timeout: float | None = None, where: str | None = None) -> CheckovRun:
    """Run checkov on one directory (``-d``) or file (``-f``) and parse its JSON.

    `framework` is ``terraform`` (HCL) or ``terraform_plan``.  `checks` limits the checks run
    (``--check``); `where` names the input in errors (default: `target`).
    """
    where = where or str(target)
    exe = find_checkov(checkov)
    target = Path(target).resolve()
    argv = [exe, "-d" if target.is_dir() else "-f", str(target), "--framework", framework,
            "--skip-download", "-o", "json", "--soft-fail", "--compact"]
    wanted = sorted(set(checks or ()))
    if wanted:
        argv += ["--check", ",".join(wanted)]
    for var_file in var_files:
        argv += ["--var-file", str(Path(var_file).resolve())]
    limit = _timeout(timeout)
    # A scratch working directory: a `.checkov.yaml` where the user stands must not change what
    # runs or how it prints (a `skip-check` there would make results vanish without a trace).
    with tempfile.TemporaryDirectory(prefix="vendorguard-checkov-") as scratch:
        returncode, stdout, stderr = _run(argv, scratch, limit, exe, where)
    if returncode != 0:
        raise InputError(where, f"checkov failed (exit {returncode}): {_last_line(stderr or stdout)}")
    return parse_output(stdout, where, base=str(target) if target.is_dir() else None)


def _run(argv: list[str], cwd: str, limit: float, exe: str, where: str) -> tuple[int, str, str]:
    """Run checkov in its own process group, so that a timeout ends its workers too."""
    try:
        process = subprocess.Popen(argv, cwd=cwd, env=_environment(), stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                   start_new_session=True)
    except OSError as exc:
        raise InputError(exe, f"checkov could not be started: {exc.strerror or exc}") from None
    try:
        stdout, stderr = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise InputError(where, f"checkov did not finish within {limit:g} s "
                                f"(raise the limit with {ENV_TIMEOUT})") from None
    except BaseException:  # KeyboardInterrupt: leave nothing running behind us
        _kill_group(process)
        raise
    return process.returncode, stdout, stderr


def _kill_group(process: "subprocess.Popen[str]") -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the group this Popen started, by its id
    except (ProcessLookupError, PermissionError):
        pass
    process.communicate()


def _documents(text: str, where: str) -> list[Any]:
    """checkov prints one JSON value, or (with several inputs) several one after another."""
    decoder = json.JSONDecoder()
    out: list[Any] = []
    index, end = 0, len(text)
    while True:
        while index < end and text[index].isspace():
            index += 1
        if index >= end:
            break
        try:
            value, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError as exc:
            raise InputError(where, f"checkov printed something that is not its JSON report "
                                    f"({exc.msg} at line {exc.lineno} column {exc.colno})") from None
        out.append(value)
    if not out:
        raise InputError(where, "checkov printed nothing (expected its JSON report)")
    return out


def _lines(value: Any) -> tuple[int, int] | None:
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return value[0], value[1]
    return None


def parse_output(text: str, where: str, base: str | None = None) -> CheckovRun:
    """checkov's ``-o json``: a report (a dict), a list of reports (several frameworks), or a bare
    summary when it found nothing to check.  Files it could not parse are an error (named under
    `where` when they lie in the directory `base` that `where` names)."""
    run = CheckovRun()
    reports: list[dict[str, Any]] = []
    for document in _documents(text, where):
        for item in document if isinstance(document, list) else [document]:
            if isinstance(item, dict) and isinstance(item.get("results"), dict):
                reports.append(item)
            elif isinstance(item, dict) and _SUMMARY_ONLY <= set(item):
                run.version = run.version or item.get("checkov_version")
            else:
                raise InputError(where, "checkov printed JSON that is not its report")
    for report in reports:
        summary = report.get("summary") or {}
        run.version = run.version or summary.get("checkov_version")
        run.resource_count += int(summary.get("resource_count") or 0)
        results = report["results"]
        broken = results.get("parsing_errors") or []
        if broken:
            more = f" (and {len(broken) - 1} more)" if len(broken) > 1 else ""
            name = str(broken[0])
            if base is not None and os.path.isabs(name) and Path(name).is_relative_to(base):
                name = os.path.normpath(os.path.join(where, os.path.relpath(name, base)))
            raise InputError(name, f"checkov could not parse this file{more}")
        for key, raw_status in _LISTS.items():
            for raw in results.get(key) or []:
                run.checks.append(_check(raw, raw_status, str(report.get("check_type") or ""), where))
    return run


def _check(raw: Any, raw_status: str, framework: str, where: str) -> CheckovCheck:
    if not isinstance(raw, dict) or not isinstance(raw.get("check_id"), str) or not raw.get("resource"):
        raise InputError(where, "checkov printed a result without check_id or resource")
    result = raw.get("check_result") or {}
    comment = result.get("suppress_comment") if isinstance(result, dict) else None
    return CheckovCheck(
        check_id=raw["check_id"],
        name=str(raw.get("check_name") or raw["check_id"]),
        status=_STATUS[raw_status],
        address=str(raw.get("resource_address") or raw["resource"]),
        file=raw.get("file_abs_path") or raw.get("file_path"),
        lines=_lines(raw.get("file_line_range")),
        skip_comment=comment if isinstance(comment, str) and comment else None,
        framework=framework,
    )


# -- mapping into our rules -------------------------------------------------------------------------
def rules_by_check(rules: Iterable[Rule]) -> dict[str, list[Rule]]:
    """checkov id → the rules that cite it (``references.checkov``)."""
    out: dict[str, list[Rule]] = defaultdict(list)
    for rule in rules:
        for check_id in (rule.references or {}).get("checkov") or []:
            out[check_id].append(rule)
    return dict(out)


def _worst(checks: Sequence[CheckovCheck]) -> CheckovCheck:
    """The check that decides a group: a failure, else a skip, else a pass."""
    order = {Status.FAIL: 0, Status.WAIVED: 1, Status.PASS: 2}
    return min(checks, key=lambda c: order[c.status])


def _best(per_resource: Sequence[CheckovCheck]) -> CheckovCheck:
    """For an existence rule: one resource that satisfies it is enough."""
    order = {Status.PASS: 0, Status.WAIVED: 1, Status.FAIL: 2}
    return min(per_resource, key=lambda c: order[c.status])


def _verdict(checks: Sequence[CheckovCheck], decider: CheckovCheck) -> dict[str, Any]:
    """``evidence["checkov"]``: the deciding check and status, and every check behind it."""
    return {"check_id": decider.check_id, "status": decider.status.value,
            "checks": [dict(c.brief(), address=c.address) for c in checks]}


def _say(check: CheckovCheck) -> str:
    word = {Status.PASS: "passes", Status.FAIL: "fails", Status.WAIVED: "is skipped"}[check.status]
    text = f"checkov {check.check_id} {word}: {check.name}"
    if check.status is Status.WAIVED:
        text += f" (skip comment: {check.skip_comment or 'none given'})"
    return text


def _display_file(check: CheckovCheck, base: str | None, display_base: str | None) -> str | None:
    """checkov's absolute file, shown relative to the directory the user named."""
    if check.file is None:
        return None
    if base is not None and display_base is not None:
        try:
            relative = os.path.relpath(check.file, base)
        except ValueError:
            return check.file
        return os.path.normpath(os.path.join(display_base, relative))
    return check.file


def _rule_result(rule: Rule, group: list[CheckovCheck], address: str, source: str,
                 controls: dict[str, list[str]], file: str | None) -> Result:
    decider = _worst(group)
    status = decider.status
    reason = "; ".join(_say(c) for c in sorted(group, key=lambda c: (c.status is not decider.status, c.check_id)))
    return Result(
        rule_id=rule.id, title=rule.title, domain=rule.domain, severity=rule.severity,
        status=status, address=address, resource_type=decider.resource_type, reason=reason,
        source=source, evidence={"checkov": _verdict(group, decider)}, file=file,
        line=decider.lines[0] if decider.lines else None,
        controls=list(controls.get(rule.id, [])),
        waiver=({"origin": "checkov skip comment", "check_id": decider.check_id,
                 "justification": decider.skip_comment} if status is Status.WAIVED else None),
    )


def _unmapped_result(check: CheckovCheck, source: str, file: str | None) -> Result:
    return Result(
        rule_id=check.check_id, title=check.name, domain=UNMAPPED_DOMAIN, severity=UNMAPPED_SEVERITY,
        status=check.status, address=check.address, resource_type=check.resource_type,
        reason=_say(check) + " (no selected rule cites this check)", source=source,
        evidence={"checkov": _verdict([check], check)}, file=file,
        line=check.lines[0] if check.lines else None,
        waiver=({"origin": "checkov skip comment", "check_id": check.check_id,
                 "justification": check.skip_comment} if check.status is Status.WAIVED else None),
    )


def map_checks(checks: Iterable[CheckovCheck], selection: Selection, *, all_checkov: bool = False,
               source: str = SOURCE_HCL, base: str | None = None,
               display_base: str | None = None) -> list[Result]:
    """checkov results as our results: one per (rule, resource) for cited checks; one per check
    and resource, under domain ``unmapped``, for the others when `all_checkov`.

    `base` is the directory checkov scanned and `display_base` how the user named it: files are
    reported as `display_base`/relative path.
    """
    cited = rules_by_check(selection.rules)
    groups: dict[tuple[str, str], list[CheckovCheck]] = defaultdict(list)
    order: list[tuple[str, str]] = []
    rules: dict[str, Rule] = {}
    unmapped: list[CheckovCheck] = []
    for check in checks:
        for rule in cited.get(check.check_id, ()):
            key = (rule.id, check.address)
            if key not in groups:
                order.append(key)
            groups[key].append(check)
            rules[rule.id] = rule
        if check.check_id not in cited and all_checkov:
            unmapped.append(check)
    out = []
    for key in order:
        group = groups[key]
        out.append(_rule_result(rules[key[0]], group, key[1], source, selection.controls,
                                _display_file(_worst(group), base, display_base)))
    out.extend(_unmapped_result(c, source, _display_file(c, base, display_base)) for c in unmapped)
    return out


def _wanted_checks(selection: Selection, all_checkov: bool) -> list[str] | None:
    if all_checkov:
        return None
    return sorted(rules_by_check(selection.rules)) or None


# -- Terraform HCL directories ----------------------------------------------------------------------
def _check_directory(path: str) -> None:
    directory = Path(path)
    if not directory.exists():
        raise InputError(path, "no such directory")
    if not directory.is_dir():
        raise InputError(path, "not a directory (scan terraform takes Terraform directories)")
    if not any(True for pattern in _TF_FILES for _ in directory.rglob(pattern)):
        raise InputError(path, "no Terraform files (*.tf, *.tf.json) in this directory")


def scan_terraform(dirs: Iterable[str], packs: Iterable[str], checkov: str | None = None,
                   all_checkov: bool = False, *, var_files: Sequence[str] = (),
                   timeout: float | None = None, decisions: Any = None) -> "ScanReport":
    """``vendorguard scan terraform DIR...``: checkov on each directory, mapped into our controls.

    Every directory is checked before checkov runs (a missing one would otherwise give checkov's
    empty, clean-looking report).  checkov runs once per directory (given several ``-d`` it
    repeats the first directory's results), several at a time.  `decisions` (waivers, baseline)
    apply afterwards.
    """
    from .results import ScanReport
    from .scan import now
    from . import __version__

    dirs = list(dirs)
    started = now()
    _, selection = select(packs)
    for path in dirs:
        _check_directory(path)
    exe = find_checkov(checkov)

    def one_directory(path: str) -> CheckovRun:
        # Every check runs (not only the cited ones): checkov leaves out what it cannot decide,
        # and the other checks are how a resource whose cited checks all went silent is seen.
        return run_checkov(path, "terraform", checkov=exe, var_files=var_files, timeout=timeout, where=path)

    workers = max(1, min(len(dirs), os.cpu_count() or 1))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(one_directory, path) for path in dirs]
        runs = [future.result() for future in futures]  # the first directory that fails, in order
    results: list[Result] = []
    inventories: list[Inventory] = []
    versions: set[str] = set()
    for path, run in zip(dirs, runs):
        if run.version:
            versions.add(run.version)
        base = str(Path(path).resolve())
        mapped = map_checks(run.checks, selection, all_checkov=all_checkov, source=SOURCE_HCL,
                            base=base, display_base=path)
        results.extend(mapped)
        results.extend(undecided(run.checks, selection, mapped, base=base, display_base=path))
        inventories.append(_hcl_inventory(path, run, exe, selection))
    report = ScanReport(results, inventories, selection.packs, selection.rules, started, now(), __version__,
                        {"checkov": {"path": exe, "version": ", ".join(sorted(versions)) or None}})
    if decisions is not None:
        decisions.apply(report)
    return report


def undecided(checks: Sequence[CheckovCheck], selection: Selection, mapped: Sequence[Result], *,
              base: str | None = None, display_base: str | None = None) -> list[Result]:
    """UNKNOWN for each resource checkov saw and each selected rule on its type that cites checkov
    ids but got no verdict: checkov drops what it cannot decide (a variable without a value, a
    value from a module it did not download), and silence must not read as a pass."""
    decided = {(r.rule_id, r.address) for r in mapped}
    by_type: dict[str, list[Rule]] = defaultdict(list)
    for rule in selection.rules:
        if (rule.references or {}).get("checkov"):
            for rtype in rule.resource_types:
                by_type[rtype].append(rule)
    seen: dict[str, CheckovCheck] = {}
    for check in checks:
        seen.setdefault(check.address, check)
    out = []
    for address, check in seen.items():
        for rule in by_type.get(check.resource_type, ()):
            if (rule.id, address) in decided:
                continue
            cited = ", ".join(rule.references["checkov"])
            out.append(Result(
                rule_id=rule.id, title=rule.title, domain=rule.domain, severity=rule.severity,
                status=Status.UNKNOWN, address=address, resource_type=check.resource_type,
                reason=(f"checkov gave no verdict ({cited}) on this resource: a value it could not "
                        f"resolve (such as a variable without a value), or none of these checks "
                        f"covers {check.resource_type}"),
                source=SOURCE_HCL, evidence={"checkov": {"check_id": None, "status": None, "checks": []}},
                file=_display_file(check, base, display_base), line=check.lines[0] if check.lines else None,
                controls=list(selection.controls.get(rule.id, []))))
    return out


def _hcl_inventory(path: str, run: CheckovRun, exe: str, selection: Selection) -> Inventory:
    seen: dict[str, Resource] = {}
    base = str(Path(path).resolve())
    for check in run.checks:
        if check.address not in seen:
            seen[check.address] = Resource(
                address=check.address, type=check.resource_type, attributes={}, source=SOURCE_HCL,
                file=_display_file(check, base, path), line=check.lines[0] if check.lines else None)
    notes = ["checkov runs with --skip-download: modules from a registry or git are not scanned"]
    types = {r.type for r in seen.values()}
    blind = sorted(r.id for r in selection.rules
                   if not (r.references or {}).get("checkov") and types & set(r.resource_types))
    if blind:
        notes.append("no checkov check maps to these rules, so Terraform HCL cannot show them "
                     f"(scan the plan for them): {', '.join(blind)}")
    return Inventory(source=SOURCE_HCL, origin=path, resources=list(seen.values()), complete=False,
                     notes=notes, metadata={"checkov_version": run.version, "checkov": exe,
                                            "checkov_resources": run.resource_count})


# -- plans: our engine and checkov on the same file ------------------------------------------------
def fold_links(name: str, data: bytes | str, account: str | None = None) -> dict[str, str]:
    """Split child address → the parent it folds into, as our plan reader decides it.

    checkov reports a public access block on the block; our rule reports it on the bucket.  This
    reads the plan again (the reader changes the document it reads) and records each fold.
    """
    from .folding import fold
    from .sources import tfplan

    links: dict[str, str] = {}
    try:
        reader = tfplan._PlanReader(name, json.loads(data), account)  # noqa: SLF001 - same package
        resources = reader.resources()
        resolve = reader.resolver(resources)

        def recording(child: Resource, rule: Any) -> Any:
            parent = resolve(child, rule)
            if isinstance(parent, Resource):
                links[child.address] = parent.address
            return parent

        fold(resources, recording)
    except (InputError, AttributeError, KeyError, TypeError, ValueError, IndexError):
        return {}  # the plan was read once already; without links, results stay side by side
    return links


def _scope_address(account: str | None, region: str | None, rtype: str) -> str:
    from .engine import _scope_address as engine_scope_address  # one definition of the format

    return engine_scope_address(account, region, rtype)


def merge_plan(ours: list[Result], inventory: Inventory, checks: Iterable[CheckovCheck],
               selection: Selection, *, links: dict[str, str] | None = None,
               all_checkov: bool = False) -> list[Result]:
    """Fold checkov's results on a plan into our engine's results on the same plan.

    A checkov result joins our result of the same rule on the same resource: its own address, the
    parent it folds into (`links`), or — for a rule about an account or region — that scope.  Our
    status stays; checkov's verdict goes into ``evidence["checkov"]`` (``check_id``, ``status``,
    ``agrees``, ``checks``) and a disagreement is stated in the reason.  checkov results with no
    result of ours to join are added as results of their own, never dropped.
    """
    links = links or {}
    cited = rules_by_check(selection.rules)
    by_address = {r.address: r for r in inventory.resources}
    index = {(r.rule_id, r.address): r for r in ours}
    joined: dict[int, list[CheckovCheck]] = defaultdict(list)
    rules_of: dict[int, Rule] = {}
    alone: list[CheckovCheck] = []
    alone_rules: dict[tuple[str, str], list[CheckovCheck]] = defaultdict(list)
    rule_objects: dict[str, Rule] = {}
    for check in checks:
        rules = cited.get(check.check_id, ())
        if not rules:
            if all_checkov:
                alone.append(check)
            continue
        for rule in rules:
            rule_objects[rule.id] = rule
            address = links.get(check.address, check.address)
            if rule.scope != "resource":
                resource = by_address.get(address)
                if resource is not None:
                    per_region = rule.scope == "region"
                    address = _scope_address(resource.account, resource.region if per_region else None,
                                             rule.resource_types[0])
            target = index.get((rule.id, address))
            if target is None:
                alone_rules[(rule.id, links.get(check.address, check.address))].append(check)
                continue
            joined[id(target)].append(check)
            rules_of[id(target)] = rule
    out: list[Result] = []
    for result in ours:
        group = joined.get(id(result))
        out.append(result if not group else _joined(result, rules_of[id(result)], group))
    for (rule_id, address), group in alone_rules.items():
        extra = _rule_result(rule_objects[rule_id], group, address, inventory.source, selection.controls,
                             inventory.origin)
        extra.reason += " (vendorguard has no result of this rule on this resource)"
        resource = by_address.get(address)
        if resource is not None:
            extra.account, extra.region = resource.account, resource.region
        out.append(extra)
    out.extend(_unmapped_result(c, inventory.source, inventory.origin) for c in alone)
    return out


def _joined(result: Result, rule: Rule, group: list[CheckovCheck]) -> Result:
    if rule.scope == "resource":
        decider = _worst(group)
    else:
        per_resource: dict[str, list[CheckovCheck]] = defaultdict(list)
        for check in group:
            per_resource[check.address].append(check)
        decider = _best([_worst(g) for g in per_resource.values()])
    verdict = _verdict(group, decider)
    agrees = decider.status is result.status
    verdict["agrees"] = agrees
    evidence = dict(result.evidence)
    evidence["checkov"] = verdict
    reason = result.reason
    if not agrees:
        reason = (f"{reason} — checkov disagrees: {_say(decider)} (vendorguard says {result.status.value}, "
                  f"checkov says {decider.status.value}; both kept, vendorguard's decides)")
    return replace(result, evidence=evidence, reason=reason)


def scan_plan_with_checkov(paths: Iterable[str], packs: Iterable[str], *, account_id: str | None = None,
                           checkov: str | None = None, all_checkov: bool = False,
                           timeout: float | None = None, decisions: Any = None) -> "ScanReport":
    """``vendorguard scan plan --with-checkov FILE...``: our engine and checkov on the same plans,
    merged (`merge_plan`).  Every file is read and checked as a plan before checkov runs; checkov
    runs once over all of them (copies in a scratch directory, so stdin works too)."""
    from . import __version__
    from .engine import Engine
    from .results import ScanReport
    from .scan import now, read_input
    from .sources.tfplan import parse_json, read_plan

    started = now()
    _, selection = select(packs)
    inputs = [read_input(path) for path in paths]
    inventories = [read_plan(name, parse_json(name, data), account_id) for name, data in inputs]
    exe = find_checkov(checkov)
    engine = Engine(selection)
    with tempfile.TemporaryDirectory(prefix="vendorguard-plans-") as scratch:
        for number, (_, data) in enumerate(inputs):
            Path(scratch, f"plan-{number}.json").write_bytes(data)
        where = inputs[0][0] if len(inputs) == 1 else ", ".join(name for name, _ in inputs)
        run = run_checkov(scratch, "terraform_plan", checkov=exe, checks=_wanted_checks(selection, all_checkov),
                          timeout=timeout, where=where)
    per_file: dict[int, list[CheckovCheck]] = defaultdict(list)
    for check in run.checks:
        match = re.fullmatch(r"plan-(\d+)\.json", Path(check.file or "").name)
        if match is None or int(match.group(1)) >= len(inputs):
            raise InputError(where, f"checkov reported a file it was not given: {check.file}")
        per_file[int(match.group(1))].append(check)
    results: list[Result] = []
    for number, ((name, data), inventory) in enumerate(zip(inputs, inventories)):
        checks = per_file.get(number, [])
        links = fold_links(name, data, account_id) if checks else {}
        results.extend(merge_plan(engine.run(inventory), inventory, checks, selection, links=links,
                                  all_checkov=all_checkov))
        inventory.metadata["checkov_version"] = run.version
    report = ScanReport(results, inventories, selection.packs, selection.rules, started, now(), __version__,
                        {"checkov": {"path": exe, "version": run.version}})
    if decisions is not None:
        decisions.apply(report)
    return report
