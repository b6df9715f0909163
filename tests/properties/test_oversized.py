"""Oversized input: 200 MB plans and nesting far past Python's stack.

The files are generated on the fly in a temporary directory, written in pieces (never built in
memory), and scanned by the real CLI in a subprocess whose peak RSS is measured (`os.wait4`).
What is asserted is behaviour — results or a one-line error naming the file, exit 0/1/2, never a
traceback — and the figures (wall time, peak RSS) are printed.  A loose memory ceiling catches a
blow-up (a copy per format, a quadratic renderer), not a regression of a few percent.

Deep nesting: JSON nested 10,000 deep (a plan, a Pulumi file) and YAML nested 10,000 deep (a
policy file) are a clear one-line error; values nested a few hundred levels deep — deep enough
to parse, too deep for recursive evaluation — are results or a one-line error, never a
RecursionError, in the CLI and in-process, in every position a reader or a rule looks at.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest

from conftest import FIXTURES, ROOT, plan_of, show_figures
from vendorguard.scanner.catalog import load_catalog, select
from vendorguard.scanner.errors import InputError
from vendorguard.scanner.reports import FORMATS, render
from vendorguard.scanner.inputs import MAX_INPUT_BYTES
from vendorguard.scanner.pipeline import evaluate, now
from vendorguard.scanner.sources.pulumi import read_pulumi
from vendorguard.scanner.inputs import parse_json
from vendorguard.scanner.sources.tfplan import read_plan

MB = 10**6
TARGET_BYTES = 200 * MB
#: Peak RSS allowed per byte of input: the scan of a 200 MB plan measured 3–12× (the bytes, the
#: decoded text, the parsed objects, the results and every rendered format held at once).
RSS_PER_INPUT_BYTE = 16
FIGURES: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def print_figures(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    show_figures(request, FIGURES)


# -- running the CLI and measuring it ------------------------------------------------------------------
#: The benchmark's launcher reports a run's exit code, wall time and peak RSS (see there for why a
#: run cannot be measured straight from this large pytest process).
CHILD = ROOT / "bench" / "child.py"


def measured(*args: str, stdin: bytes | None = None, timeout: float = 300) -> tuple[int, str, float, float]:
    """(exit code, stderr, wall seconds, peak RSS in MB) of one CLI run."""
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "run.json"
        run = subprocess.run([sys.executable, str(CHILD), str(result), str(timeout), sys.executable, "-m",
                              "vendorguard.cli.main", *args], input=stdin or b"", stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, timeout=timeout + 60, env={**os.environ, "VENDORGUARD_DEBUG": ""})
        outcome = json.loads(result.read_text())
    if outcome["wall"] >= timeout:
        pytest.fail(f"vendorguard {' '.join(args)[:200]}: no answer within {timeout} s")
    return outcome["code"], run.stderr.decode("utf-8", "replace"), outcome["wall"], outcome["rss_mb"]


def assert_behaved(code: int, stderr: str, name: str) -> None:
    assert code in (0, 1, 2), (code, stderr[-2000:])
    assert "Traceback" not in stderr and "internal error" not in stderr, stderr[-2000:]
    if code == 2:
        assert stderr.count("\n") == 1 and name in stderr, stderr[:1000]


# -- writing big plans in pieces --------------------------------------------------------------------------
HEAD = ('{"format_version": "1.2", "terraform_version": "1.9.5", "configuration": {"provider_config": '
        '{"aws": {"name": "aws", "expressions": {"region": {"constant_value": "us-east-1"}, '
        '"allowed_account_ids": {"constant_value": ["111122223333"]}}}}, "root_module": {}}, '
        '"resource_changes": [')


def change(rtype: str, name: str, values: dict[str, Any], address: str | None = None) -> str:
    return json.dumps({"address": address or f"{rtype}.{name}", "mode": "managed", "type": rtype, "name": name,
                       "change": {"actions": ["create"], "before": None, "after": values,
                                  "after_unknown": {"arn": True, "id": True}, "after_sensitive": {}}})


def write_many_resources(path: Path) -> tuple[int, int]:
    """~200 MB of resources: one volume in ten (rules read them), the rest DNS records (none do)."""
    volumes = written = 0
    padding = "p" * 1500
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD)
        i = 0
        while written < TARGET_BYTES:
            if i % 10 == 0:
                piece = change("aws_ebs_volume", f"v{i}", {"encrypted": i % 20 == 0, "size": 10, "type": "gp3",
                                                          "tags": {"Name": f"claims-{i}", "Note": padding}})
                volumes += 1
            else:
                piece = change("aws_route53_record", f"r{i}", {"name": f"r{i}.example", "type": "CNAME",
                                                              "records": [padding]})
            piece = ("," if i else "") + piece
            out.write(piece)
            written += len(piece)
            i += 1
        out.write("]}")
    return i, volumes


def write_one_huge_value(path: Path) -> None:
    """~200 MB in one resource address (it reaches every format) and one attribute value."""
    before, after = change("aws_ebs_volume", "v", {"encrypted": False, "kms_key_id": "@@VALUE@@"},
                           address="@@ADDRESS@@").split('"@@ADDRESS@@"')
    mid, end = after.split('"@@VALUE@@"')
    chunk = "A" * MB
    with path.open("w", encoding="utf-8") as out:
        out.write(HEAD + before + '"aws_ebs_volume.')
        for _ in range(TARGET_BYTES // (2 * MB)):
            out.write(chunk)
        out.write('"' + mid + '"')
        for _ in range(TARGET_BYTES // (2 * MB)):
            out.write(chunk)
        out.write('"' + end + "]}")


@pytest.fixture
def big_files(tmp_path: Path) -> Iterator[Path]:
    """A folder for files of hundreds of megabytes, emptied as soon as the test ends."""
    folder = tmp_path / "big"
    folder.mkdir()
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_200_mb_plan_of_many_resources(big_files: Path) -> None:
    tmp_path = big_files
    plan = tmp_path / "big.tfplan.json"
    resources, volumes = write_many_resources(plan)
    size = plan.stat().st_size
    report = tmp_path / "out.json"
    code, stderr, wall, rss = measured("scan", "plan", str(plan), "--format", "json", "-o", str(report), "-q")
    FIGURES.append(f"oversized: {size / MB:.0f} MB plan, {resources} resources ({volumes} volumes): exit {code}, "
                   f"{wall:.1f} s, peak RSS {rss:.0f} MB")
    assert_behaved(code, stderr, str(plan))
    if code == 2:
        assert "larger than" in stderr
        return
    document = json.loads(report.read_text())
    ebs = [r for r in document["results"] if r["resource_type"] == "aws_ebs_volume" and r["rule_id"] == "VG-EC2-001"]
    assert len(ebs) == volumes and sum(r["status"] == "FAIL" for r in ebs) == volumes // 2
    assert rss * 2**20 < RSS_PER_INPUT_BYTE * size, f"peak RSS {rss:.0f} MB for a {size / MB:.0f} MB plan"


def test_a_200_mb_value_through_every_format(big_files: Path) -> None:
    """One 100 MB address and one 100 MB attribute value: every format is written, the terminal
    table and the PR comment stay short (a person reads them), and no renderer takes minutes."""
    tmp_path = big_files
    plan = tmp_path / "huge-value.tfplan.json"
    write_one_huge_value(plan)
    size = plan.stat().st_size
    out = tmp_path / "reports"
    args = [a for fmt in FORMATS for a in ("--format", fmt)]
    code, stderr, wall, rss = measured("scan", "plan", str(plan), *args, "--output-dir", str(out), "-q")
    FIGURES.append(f"oversized: {size / MB:.0f} MB plan with one 100 MB name, all {len(FORMATS)} formats: "
                   f"exit {code}, {wall:.1f} s, peak RSS {rss:.0f} MB")
    assert_behaved(code, stderr, str(plan))
    assert code == 1  # the volume is not encrypted: a FAIL, over a name nobody can read
    written = {p.name: p.stat().st_size for p in out.iterdir()}
    assert set(written) == {f"vendorguard.{ext}" for _, ext in FORMATS.values()}
    assert written["vendorguard.txt"] < MB and written["vendorguard.md"] < 70_000
    assert rss * 2**20 < RSS_PER_INPUT_BYTE * size, f"peak RSS {rss:.0f} MB for a {size / MB:.0f} MB plan"


def test_larger_than_the_limit_is_a_size_error_before_reading(tmp_path: Path) -> None:
    """A sparse file past MAX_INPUT_BYTES: refused from its size, without reading (RSS stays small)."""
    plan = tmp_path / "too-big.tfplan.json"
    with plan.open("wb") as handle:
        handle.truncate(MAX_INPUT_BYTES + 1)
    code, stderr, wall, rss = measured("scan", "plan", str(plan), "--format", "json")
    FIGURES.append(f"oversized: {(MAX_INPUT_BYTES + 1) / MB:.0f} MB file: exit {code}, {wall:.1f} s, "
                   f"peak RSS {rss:.0f} MB: {stderr.strip()}")
    assert_behaved(code, stderr, str(plan))
    assert code == 2 and f"larger than {MAX_INPUT_BYTES // 2**20} MiB" in stderr
    assert rss < 200


def test_stdin_past_the_limit_is_a_size_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """stdin has no size to look at: at most MAX_INPUT_BYTES + 1 bytes are read, then refused."""
    import io

    from vendorguard.scanner import inputs

    monkeypatch.setattr(inputs, "MAX_INPUT_BYTES", 1000)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"[" + b" " * 5000 + b"]")))
    with pytest.raises(InputError, match=r"^<stdin>: larger than 0 MiB$"):
        inputs.read_input("-")


# -- nesting ----------------------------------------------------------------------------------------------
def nested_json(depth: int, leaf: str = '"x"', as_list: bool = False) -> str:
    return ("[" * depth + leaf + "]" * depth) if as_list else ('{"a":' * depth + leaf + "}" * depth)


def with_placeholder(document: Any, replacement: str) -> bytes:
    """The document as JSON with its "@@" string replaced by raw JSON text (which may be far deeper
    than json.dumps could write); a plan holds a value in several places, as Terraform writes it."""
    text = json.dumps(document)
    assert '"@@"' in text
    return text.replace('"@@"', replacement).encode()


def test_json_nested_10000_deep_is_a_clear_error(tmp_path: Path) -> None:
    cases = {
        "plan": ("plan", nested_json(10_000).encode()),
        "plan-value": ("plan", with_placeholder(plan_of({"type": "aws_s3_bucket_policy", "name": "p",
                                                         "values": {"bucket": "b", "policy": "@@"}}),
                                                nested_json(10_000))),
        "pulumi": ("pulumi", nested_json(10_000, as_list=True).encode()),
        "pulumi-value": ("pulumi", with_placeholder(
            {"version": 3, "deployment": {"resources": [{"urn": "urn:pulumi:s::p::aws:s3/bucket:Bucket::b",
                                                         "type": "aws:s3/bucket:Bucket", "custom": True,
                                                         "outputs": {"tags": "@@"}}]}},
            nested_json(10_000))),
    }
    for label, (reader, data) in cases.items():
        path = tmp_path / f"{label}.json"
        path.write_bytes(data)
        code, stderr, wall, rss = measured("scan", reader, str(path), "--format", "json")
        FIGURES.append(f"nesting: {label} 10,000 deep: exit {code}, {wall:.1f} s: {stderr.strip()[:160]}")
        assert_behaved(code, stderr, str(path))
        assert code == 2, label
        assert "not valid JSON" in stderr or "nested too deeply" in stderr, stderr
        # and in-process: an InputError, never a RecursionError
        with pytest.raises(InputError):
            document = parse_json(path.name, data)
            (read_plan if reader == "plan" else read_pulumi)(path.name, document)


YAML_RULE = ("rules:\n  - id: DEEP-001\n    title: t\n    severity: low\n    domain: access-control\n"
             "    resource_types: [aws_ebs_volume]\n    condition: encrypted\n    rationale: r\n"
             "    remediation: {text: t}\n    references: {hipaa: ['164.312(a)(1)']}\n")


@pytest.mark.parametrize("label,text", [
    ("flow-lists", "rules: " + "[" * 10_000 + "]" * 10_000 + "\n"),
    ("flow-maps", "rules: " + "{a: " * 10_000 + "1" + "}" * 10_000 + "\n"),
    ("block-maps-1500", "".join("  " * i + "a:\n" for i in range(1_500)) + "  " * 1_500 + "x\n"),
    ("in-a-rule", YAML_RULE.replace("references: {hipaa: ['164.312(a)(1)']}",
                                    "references: {hipaa: " + "[" * 10_000 + "]" * 10_000 + "}")),
    ("a-condition", YAML_RULE.replace("condition: encrypted", "condition: '" + "(" * 10_000 + "encrypted"
                                      + ")" * 10_000 + "'")),
    ("a-condition-of-ors", YAML_RULE.replace("condition: encrypted", "condition: '"
                                             + " || ".join(["encrypted"] * 3_000) + "'")),
    ("an-evidence-path", YAML_RULE.replace("condition: encrypted", "condition: encrypted\n    evidence: ['"
                                           + "!" * 10_000 + "encrypted']")),
])
def test_yaml_policy_nested_10000_deep_is_a_clear_error(tmp_path: Path, label: str, text: str) -> None:
    path = tmp_path / f"{label}.yaml"
    path.write_text(text)
    code, stderr, wall, rss = measured("packs", "validate", str(path))
    FIGURES.append(f"nesting: policy file, {label}: exit {code}, {wall:.1f} s: {stderr.strip()[:160]}")
    assert_behaved(code, stderr, str(path))
    assert code == 2
    with pytest.raises(InputError) as caught:
        load_catalog([str(path)])
    assert str(caught.value).startswith(f"{path}: ")
    if label.startswith(("a-condition", "an-evidence")):
        assert "rule DEEP-001" in str(caught.value), "the error names the rule"


# Values deep enough to parse (json's own limit is ~1,000 levels) but too deep for the recursive
# parts of reading, evaluating and rendering: in every place a reader or a rule looks at.
DEPTHS = [150, 350, 600, 900]


def _plan_positions() -> dict[str, tuple[Any, str, bool]]:
    """label → (plan with a "@@" value, the leaf, as a list)."""
    bucket_policy = plan_of({"type": "aws_s3_bucket_policy", "name": "p", "values": {"bucket": "b", "policy": "@@"}})
    sg = plan_of({"type": "aws_security_group", "name": "g", "values": {"ingress": [
        {"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": "@@"}]}})
    role = plan_of({"type": "aws_iam_role", "name": "r", "values": {"assume_role_policy": "@@"}})
    volume = plan_of({"type": "aws_ebs_volume", "name": "v", "values": {"encrypted": "@@"}})
    bucket = plan_of({"type": "aws_s3_bucket", "name": "b", "values": {"bucket": "b", "tags": {"phi": "@@"}}})
    secret_tags = plan_of({"type": "aws_db_instance", "name": "d", "values": {"tags": {"db_password": "@@"}}})
    unknown = plan_of({"type": "aws_s3_bucket", "name": "b", "values": {"bucket": "b"}})
    unknown["resource_changes"][0]["change"]["after_unknown"] = {"logging": "@@"}
    sensitive = plan_of({"type": "aws_s3_bucket", "name": "b", "values": {"bucket": "b", "tags": {"a": "x"}}})
    sensitive["resource_changes"][0]["change"]["after_sensitive"] = {"tags": "@@"}
    variables = plan_of({"type": "aws_ebs_volume", "name": "v", "values": {"encrypted": True}})
    variables["variables"] = {"region": {"value": "@@"}}
    return {
        "a bucket policy object": (bucket_policy, '"x"', False),
        "a bucket policy as JSON text": (bucket_policy, "TEXT", False),
        "a trust policy as JSON text": (role, "TEXT", False),
        "ingress cidr lists": (sg, '"0.0.0.0/0"', True),
        "an attribute a condition compares": (volume, "true", False),
        "a tag a function reads": (bucket, '"phi"', False),
        "a secret-looking tag": (secret_tags, '"hunter2"', False),
        "after_unknown": (unknown, "true", True),
        "after_sensitive": (sensitive, "true", False),
        "a variable": (variables, "1", False),
    }


def _deep_value(depth: int, leaf: str, as_list: bool) -> str:
    if leaf == "TEXT":  # JSON nested inside a JSON string: the functions parse it themselves
        return json.dumps('{"Statement":' * depth + "[1]" + "}" * depth)
    return nested_json(depth, leaf, as_list)


def _pipeline(name: str, data: bytes, reader: Any) -> str:
    _, selection = select([])
    try:
        inventory = reader(name, parse_json(name, data))
        report = evaluate([inventory], selection, now())
        document = json.loads(json.dumps(report.to_document()))
        for fmt in FORMATS:
            render(document, fmt)
    except InputError as exc:
        assert str(exc).startswith(f"{name}: ") and "\n" not in str(exc)
        return "input-error"
    return "results"


@pytest.mark.parametrize("depth", DEPTHS)
def test_deep_values_in_a_plan_are_results_or_a_clear_error(tmp_path: Path, depth: int) -> None:
    outcomes = {}
    for label, (document, leaf, as_list) in _plan_positions().items():
        data = with_placeholder(document, _deep_value(depth, leaf, as_list))
        outcomes[label] = _pipeline("deep.tfplan.json", data, read_plan)  # in-process: no RecursionError
        path = tmp_path / "deep.tfplan.json"
        path.write_bytes(data)
        code, stderr, _, _ = measured("scan", "plan", str(path), "--format", "html")
        assert_behaved(code, stderr, str(path))
    FIGURES.append(f"nesting: plan values {depth} deep: " + ", ".join(f"{k}: {v}" for k, v in outcomes.items()))


@pytest.mark.parametrize("depth", DEPTHS)
def test_deep_values_in_a_pulumi_file_are_results_or_a_clear_error(tmp_path: Path, depth: int) -> None:
    base = json.loads((FIXTURES / "pulumi" / "stack-export-v7.json").read_text())
    resources = base["deployment"]["resources"]
    bucket = next(i for i, r in enumerate(resources) if r["type"].startswith("aws:s3/bucket"))
    secret = "4dabf18193072939515e22adb298388d"
    positions = {
        "outputs tags": ("tags", "@@", '"x"', False),
        "a list-valued output": ("serverSideEncryptionConfigurations", "@@", '"x"', True),
        "a secret's plaintext (JSON text)": ("policy", {secret: "1b47061264138c4ac30d75fd1eb44270", "plaintext": "@@"},
                                             "TEXT", False),
        "a secret's value": ("policy", {secret: "1b47061264138c4ac30d75fd1eb44270", "value": "@@"}, '"x"', False),
    }
    outcomes = {}
    for label, (key, value, leaf, as_list) in positions.items():
        document = json.loads(json.dumps(base))
        document["deployment"]["resources"][bucket]["outputs"][key] = value
        data = with_placeholder(document, _deep_value(depth, leaf, as_list))
        outcomes[label] = _pipeline("deep.pulumi.json", data, read_pulumi)
        path = tmp_path / "deep.pulumi.json"
        path.write_bytes(data)
        code, stderr, _, _ = measured("scan", "pulumi", str(path), "--format", "json")
        assert_behaved(code, stderr, str(path))
    FIGURES.append(f"nesting: Pulumi values {depth} deep: " + ", ".join(f"{k}: {v}" for k, v in outcomes.items()))


def test_a_deeply_nested_policy_text_is_unknown_not_pass() -> None:
    """A trust policy nested past the JSON parser's stack cannot be read: the rule that reads it
    is UNKNOWN (fail closed), not PASS as if the role had no policy."""
    deep = '{"Statement":' * 5_000 + "[]" + "}" * 5_000
    plan = plan_of({"type": "aws_iam_role", "name": "r", "values": {"assume_role_policy": deep}},
                   account_id="111122223333")
    _, selection = select([])
    report = evaluate([read_plan("p.json", json.loads(json.dumps(plan)))], selection, now())
    verdicts = {r.rule_id: r for r in report.results if r.address == "aws_iam_role.r"}
    assert verdicts and all(r.status.value != "PASS" for r in verdicts.values()), \
        {k: (r.status.value, r.reason) for k, r in verdicts.items()}
    assert any("nested too deeply" in r.reason for r in verdicts.values())


def test_a_policy_too_deep_to_edit_that_names_an_external_id_is_withheld_whole() -> None:
    """The ExternalId inside a trust policy is withheld by editing the parsed policy; one nested
    past the parser cannot be edited, so a text that names the key is withheld whole."""
    secret = "d41d8cd98f00b204e9800998ecf8427e"
    deep = ('{"Statement":[{"Condition":{"StringEquals":{"sts:ExternalId":"' + secret + '"}},"X":'
            + "[" * 5_000 + "]" * 5_000 + "}]}")
    plan = plan_of({"type": "aws_iam_role", "name": "r", "values": {"assume_role_policy": deep}},
                   account_id="111122223333")
    inventory = read_plan("p.json", json.loads(json.dumps(plan)))
    role = next(r for r in inventory.resources if r.address == "aws_iam_role.r")
    assert secret not in json.dumps(role.attributes, default=str)
    assert "assume_role_policy" in role.sensitive
