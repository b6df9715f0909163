"""Running checkov: found, started offline in its own process group, its JSON report parsed.

checkov runs from its own environment (``make install`` creates ``.venv-checkov``): its pins
(boto3, an old ``packaging``) conflict with ours, so it is never imported here — it is a program
we run, offline (``BC_SKIP_MAPPING``, ``CKV_SKIP_PACKAGE_UPDATE_CHECK``, ``--skip-download``, no
API key passed on), reading its ``-o json``.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

from ..errors import InputError
from ..model import Status

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
    return Path(__file__).resolve().parents[2]


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
