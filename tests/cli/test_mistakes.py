"""The mistakes a new user makes, each walked through the real CLI (a fresh interpreter, as a user
runs it): every one ends in exit code 2 and one line on stderr that says what is wrong — never an
"internal error", never a traceback, and nothing written.  Closing the reader of stdout early
(`vendorguard … | head`) is no mistake: it ends quietly, with the command's own exit code."""
from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path
from typing import Any, Callable

import click
import pytest
from click.testing import CliRunner

from conftest import FIXTURES, MOTO_ENV, ROOT, vendorguard
from servers import _free_port

PLAN = str(ROOT / "scanner" / "demo" / "billing-vendor.tfplan.json")
PREVIEW = str(FIXTURES / "pulumi" / "preview.json")
#: No credentials anywhere botocore looks (the environment's are blanked, the files and the
#: instance metadata service are out of reach).
NO_AWS = {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "",
          "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
          "AWS_EC2_METADATA_DISABLED": "true"}

WAIVER = ("waivers:\n  - rule: VG-S3-001\n    resource: '*'\n    justification: accepted for the pilot\n"
          "    approved_by: ciso\n    expires: {expires}\n")


def _results(tmp: Path) -> None:
    """A real results document, and the SARIF of the same scan."""
    for fmt, name in (("json", "results.json"), ("sarif", "results.sarif")):
        run = vendorguard("scan", "plan", PLAN, "--format", fmt, "-o", str(tmp / name), "-q")
        assert run.returncode == 1, run.stderr


def _store(tmp: Path) -> None:
    run = vendorguard("scan", "plan", PLAN, "--store", str(tmp / "kept.db"), "-q", "-o", os.devnull)
    assert run.returncode == 1, run.stderr


SETUP: dict[str, Callable[[Path], Any]] = {
    "empty": lambda tmp: (tmp / "plan.json").write_text(""),
    "not json": lambda tmp: (tmp / "plan.json").write_text("resource \"aws_s3_bucket\" \"b\" {}\n"),
    "binary plan": lambda tmp: (tmp / "plan.out").write_bytes(b"PK\x03\x04\x14\x00\x08\x00tfplan"),
    "directory": lambda tmp: (tmp / "infra").mkdir(),
    "unreadable": lambda tmp: ((tmp / "plan.json").write_text("{}"), (tmp / "plan.json").chmod(0)),
    "a file": lambda tmp: (tmp / "notes.txt").write_text("notes\n"),
    "results": _results,
    "store": _store,
    "bad date": lambda tmp: (tmp / "waivers.yaml").write_text(WAIVER.format(expires="2026-02-30")),
    "no approver": lambda tmp: (tmp / "waivers.yaml").write_text(
        WAIVER.format(expires="2026-12-31").replace("    approved_by: ciso\n", "")),
}

#: (argv, set-up, words the one stderr line must hold).  ``{tmp}`` is the test's working directory;
#: a case that needs a live endpoint names it ``{moto}`` (the moto server) or ``{nothing}`` (a free
#: loopback port where nothing listens).
MISTAKES: list[tuple[tuple[str, ...], str | None, str]] = [
    # inputs to `scan`
    (("scan", "plan", "{tmp}/plan.json"), None, "plan.json: no such file"),
    (("scan", "plan", "{tmp}/infra"), "directory", "infra: is a directory, not a file"),
    (("scan", "plan", "{tmp}/plan.json"), "empty", "plan.json: empty, not JSON"),
    (("scan", "plan", "{tmp}/plan.json"), "not json", "plan.json: not valid JSON: Expecting value at line 1 column 1"),
    (("scan", "plan", "{tmp}/plan.out"), "binary plan", "run `terraform show -json FILE > plan.json` and scan that"),
    (("scan", "plan", "{tmp}/plan.json"), "unreadable", "plan.json: permission denied"),
    (("scan", "plan", PREVIEW), None, "this is a Pulumi preview or stack, not a Terraform plan: use `vendorguard scan pulumi`"),
    (("scan", "pulumi", PLAN), None, "this is a Terraform plan, not a Pulumi preview or stack: use `vendorguard scan plan`"),
    (("scan", "state", PLAN), None, "this is a Terraform plan, not a Terraform state: use `vendorguard scan plan`"),
    (("scan", "plan", "{tmp}/results.json"), "results",
     "this is a vendorguard report (the JSON of a scan), not a Terraform plan: `vendorguard report` renders it"),
    (("scan", "terraform", PLAN), None, "not a directory (scan terraform takes Terraform directories)"),
    (("scan", "vendors", PLAN), None, "schema error at (top level): 'vendors' is a required property"),
    (("scan", "plan", PLAN, "--with-checkov", "--checkov", "{tmp}/checkov"), None, "no checkov there (given by --checkov)"),
    (("scan", "plan"), None, "Missing argument 'FILES...'"),
    (("scna", "plan", PLAN), None, "No such command 'scna'"),
    # the options every scan shares
    (("scan", "plan", PLAN, "--pack", "nonexistent"), None, "nonexistent: no such pack (shipped packs: hipaa, vendor-article"),
    (("packs", "show", "nonexistent"), None, "nonexistent: no such pack"),
    (("scan", "plan", PLAN, "--fail-on", "bogus"), None, "Invalid value for '--fail-on': 'bogus' is not one of"),
    (("scan", "plan", PLAN, "--format", "pdf"), None, "Invalid value for '--format': 'pdf' is not one of"),
    (("scan", "plan", PLAN, "--format", "json", "--format", "sarif"), None, "several --format need --output-dir"),
    (("scan", "plan", PLAN, "-o", "{tmp}/a.txt", "--output-dir", "{tmp}/out"), None, "--output and --output-dir are alternatives"),
    (("scan", "plan", PLAN, "--waivers", "{tmp}/waivers.yaml"), "bad date",
     "waivers.yaml: not valid YAML at line 6: 2026-02-30 is not a date (day is out of range for month)"),
    (("scan", "plan", PLAN, "--waivers", "{tmp}/waivers.yaml"), "no approver",
     "waivers.yaml: schema error at waivers/0: 'approved_by' is a required property"),
    (("scan", "plan", PLAN, "--waivers", "{tmp}/waiver.yaml"), None, "waiver.yaml: no such file"),
    # a results document expected, something else given
    (("scan", "plan", PLAN, "--baseline", PLAN), None,
     "billing-vendor.tfplan.json: a Terraform plan, not a vendorguard results document: expected the JSON report "
     "of a scan (`vendorguard scan … --format json -o FILE`)"),
    (("scan", "plan", PLAN, "--baseline", "{tmp}/results.sarif"), "results",
     "results.sarif: a SARIF report, not a vendorguard results document"),
    (("report", PLAN), None, "a Terraform plan, not a vendorguard results document"),
    (("export", "securityhub", PLAN), None, "a Terraform plan, not a vendorguard results document"),
    (("report",), None, "give RESULTS.json, or --store URL"),
    # where reports go: checked before the scan, nothing made on the way
    (("scan", "plan", PLAN, "-o", "{tmp}/missing/dir/x.json"), None,
     "Invalid value for '--output' / '-o': '{tmp}/missing/dir/x.json': no such directory: {tmp}/missing/dir"),
    (("scan", "plan", PLAN, "--output-dir", "{tmp}/missing/reports"), None,
     "Invalid value for '--output-dir': '{tmp}/missing/reports': no such directory: {tmp}/missing"),
    (("scan", "plan", PLAN, "-o", "{tmp}/notes.txt/x.json"), "a file", "{tmp}/notes.txt is not a directory"),
    (("report", "{tmp}/results.json", "-o", "{tmp}/missing/r.html"), "results", "no such directory: {tmp}/missing"),
    (("history", "--store", "{tmp}/kept.db", "-o", "{tmp}/missing/h.txt"), "store", "no such directory: {tmp}/missing"),
    (("scan", "aws", "-o", "{tmp}/missing/aws.json"), None, "no such directory: {tmp}/missing"),
    # the store
    (("scan", "plan", PLAN, "--store", "{tmp}/missing/x.db"), None, "no such directory for the store: {tmp}/missing"),
    (("history", "--store", "{tmp}/kept.db"), None, "kept.db: no such store: a scan with --store makes it"),
    (("report", "--scan", "5"), None, "name the store with --store URL (or $VENDORGUARD_STORE)"),
    (("report", "--store", "{tmp}/kept.db", "--scan", "5", "-o", "{tmp}/r.html"), "store",
     "scan 5: no such scan in the store (`vendorguard history` lists them)"),
    (("diff", "1", "99", "--store", "{tmp}/kept.db"), "store", "scan 99: no such scan in the store"),
    (("diff", "1", "--store", "{tmp}/kept.db"), "store", "give two scan ids (FROM TO), or none"),
    (("history", "--store", "mysql://db/vendorguard"), None, "unsupported store URL"),
    # account ids: 12 digits, wherever one is given
    (("scan", "aws", "--accounts", "abc,123", "--role-name", "audit"), None,
     "Invalid value for '--accounts': 'abc' is not an AWS account id (12 digits)"),
    (("scan", "plan", PLAN, "--account-id", "abc"), None, "Invalid value for '--account-id': 'abc' is not an AWS account id"),
    (("iam-policy", "--trust-account", "12345", "--external-id", "x"), None,
     "Invalid value for '--trust-account': '12345' is not an AWS account id"),
    (("iam-policy", "--auditor", "--role-name", "audit", "--accounts", "abc"), None,
     "Invalid value for '--accounts': 'abc' is not an AWS account id"),
    (("export", "securityhub", PLAN, "--account", "abc"), None, "Invalid value for '--account': 'abc' is not an AWS account id"),
    # live scans: what to assume, and where
    (("scan", "aws", "--role-arn", "audit-role"), None,
     "Invalid value for '--role-arn': 'audit-role' is not an IAM role ARN (arn:aws:iam::ACCOUNT_ID:role/NAME)"),
    (("scan", "aws", "--role-name", "audit"), None, "--role-name goes with --accounts or --org"),
    (("scan", "aws", "--accounts", "111122223333"), None, "--accounts needs --role-name"),
    (("scan", "aws", "--external-id", "x"), None, "--external-id goes with --role-arn or --role-name"),
    (("scan", "aws", "--endpoint-url", "not-a-url"), None,
     "Invalid value for '--endpoint-url': 'not-a-url': not an endpoint URL (http:// or https://, then a host)"),
    (("scan", "aws", "--endpoint-url", "{nothing}", "--regions", "us-east-1"), None,
     "--endpoint-url {nothing}: could not connect to the endpoint"),
    (("scan", "aws", "--endpoint-url", "{moto}", "--regions", "us-east1"), None,
     "--regions: 'us-east1' is not an AWS region (e.g. us-east-1, eu-west-2; or all)"),
    (("scan", "aws", "--regions", "us-east-1"), None, "AWS credentials: no AWS credentials found"),
]


def _id(case: tuple[tuple[str, ...], str | None, str]) -> str:
    argv, setup, _ = case
    return " ".join(a.replace(str(ROOT) + "/", "") for a in argv) + (f" [{setup}]" if setup else "")


def _files(root: Path) -> set[Path]:
    """Every file and folder under `root`, but SQLite's own journal beside a store that was read."""
    return {p for p in root.rglob("*") if not p.name.endswith(("-wal", "-shm"))}


@pytest.fixture(autouse=True)
def _no_store_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VENDORGUARD_STORE", raising=False)


@pytest.mark.parametrize("argv,setup,expected", MISTAKES, ids=[_id(c) for c in MISTAKES])
def test_a_mistake_gets_one_specific_line_and_exit_2(argv: tuple[str, ...], setup: str | None, expected: str,
                                                     tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if setup == "unreadable" and os.geteuid() == 0:
        pytest.skip("root reads a file whatever its mode")
    if setup:
        SETUP[setup](tmp_path)
    places = {"tmp": str(tmp_path), "nothing": f"http://127.0.0.1:{_free_port()}", "moto": ""}
    if any("{moto}" in a for a in argv):
        places["moto"] = request.getfixturevalue("moto_endpoint")
    live = places["moto"] or any("{nothing}" in a for a in argv)
    env = MOTO_ENV if live else NO_AWS
    before = _files(tmp_path)

    run = vendorguard(*(a.format(**places) for a in argv), cwd=tmp_path, env=env)

    assert run.returncode == 2, (run.returncode, run.stderr)
    assert run.stderr.count("\n") == 1 and run.stderr.startswith("vendorguard: error: "), run.stderr
    assert "internal error" not in run.stderr and "Traceback" not in run.stderr
    assert expected.format(**places) in run.stderr, run.stderr
    assert run.stdout == ""
    assert _files(tmp_path) == before, "a mistake wrote something"


def test_html_to_a_terminal_is_a_mistake(tmp_path: Path) -> None:
    """A page for a browser, dumped on a terminal, is of no use to anyone: write it to a file."""
    terminal, other_end = pty.openpty()
    try:
        run = subprocess.run([sys.executable, "-m", "vendorguard.cli.main", "scan", "plan", PLAN, "--format", "html"],
                             stdout=other_end, stderr=subprocess.PIPE, text=True, cwd=tmp_path, timeout=120)
    finally:
        os.close(other_end)
        os.close(terminal)
    assert run.returncode == 2
    assert run.stderr == "vendorguard: error: --format html is a page to open in a browser: write it with -o FILE.html\n"


#: (argv, exit code): a scan's code is its findings', piped or not.
READERS_THAT_STOP = [
    (("packs", "show", "hipaa"), 0),
    (("packs", "list"), 0),
    (("iam-policy",), 0),
    (("scan", "plan", PLAN), 1),
    (("scan", "plan", PLAN, "--format", "json"), 1),
]


@pytest.mark.parametrize("argv,code", READERS_THAT_STOP, ids=[" ".join(a[:2]) for a, _ in READERS_THAT_STOP])
def test_a_reader_that_stops_early_ends_quietly(argv: tuple[str, ...], code: int) -> None:
    """`vendorguard … | head -1` (the reader goes after one line, while the output is written:
    intermittent, hence five times) and `vendorguard … | true` (gone before the first line).
    Nothing on stderr but what the command says anyway (a scan: why it exits as it does)."""
    command = [sys.executable, "-m", "vendorguard.cli.main", *argv]
    runs = [subprocess.run(["bash", "-c", 'set -o pipefail; "$@" | head -1 >/dev/null', "-", *command],
                           capture_output=True, text=True, timeout=120) for _ in range(5)]
    reader, writer = os.pipe()
    os.close(reader)
    try:
        runs.append(subprocess.run(command, stdout=writer, stderr=subprocess.PIPE, text=True, timeout=120))
    finally:
        os.close(writer)
    unpiped = vendorguard(*argv)
    for run in runs:
        assert (run.returncode, run.stderr) == (code, unpiped.stderr)


def test_a_broken_pipe_that_is_not_stdout_is_still_an_error() -> None:
    """Only a closed stdout ends quietly: a pipe that breaks elsewhere (a socket, a child process)
    is a failure, and a scan that fails must not look finished."""
    from vendorguard.cli.main import _Group

    @click.group(cls=_Group)
    def group() -> None:
        pass

    @group.command()
    def breaks() -> None:
        raise BrokenPipeError(32, "Broken pipe")

    run = CliRunner().invoke(group, ["breaks"])
    assert run.exit_code == 2
    assert "vendorguard: internal error: BrokenPipeError" in run.output
