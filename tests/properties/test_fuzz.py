"""Fuzzing the three readers of untrusted files — Terraform plans, Pulumi files, policy packs.

Inputs are arbitrary bytes, arbitrary JSON, and (mostly) valid documents mutated: keys dropped,
values of the wrong type, nulls everywhere, lists for objects and objects for lists, nesting
hundreds to thousands deep, multi-megabyte strings, hostile unicode (lone surrogates, NUL, ESC,
bidi overrides), NaN/Infinity, weird keys, truncated or re-encoded bytes, YAML tags and aliases.
The seeds are what the readers really get: planbuilder plans and the bundled demo plan, the Pulumi
fixtures, the shipped policy files.

The property is the CLI's contract: a scan either gives results — read, evaluated by every rule
and rendered in every format — or stops with an `InputError` whose message is one line naming the
input; never another exception, never a hang (hypothesis' deadline, plus a hard per-example time
budget).  A sample of the same mutated inputs goes through the real CLI in a subprocess: exit 0, 1
or 2, no traceback, one line on stderr when 2.

Reproducible (``derandomize=True``) and bounded: the file runs in well under a minute.
``VG_FUZZ_EXAMPLES=N`` multiplies the examples for a longer local hunt.
"""
from __future__ import annotations

import contextlib
import copy
import json
import math
import os
import re
import signal
import subprocess
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import yaml
from hypothesis import HealthCheck, Phase, event, given, note, settings
from hypothesis import strategies as st

from conftest import FIXTURES, plan_of, policy, show_figures, trust, vendorguard
from vendorguard.scanner import demo as demo_package
from vendorguard.scanner.catalog import Selection, load_catalog, select, shipped_files
from vendorguard.scanner.errors import InputError
from vendorguard.scanner.reports import FORMATS, render
from vendorguard.scanner.pipeline import evaluate, now
from vendorguard.scanner.sources.pulumi import read_pulumi
from vendorguard.scanner.inputs import parse_json
from vendorguard.scanner.sources.tfplan import read_plan

SCALE = max(1, int(os.environ.get("VG_FUZZ_EXAMPLES", "1")))
#: A hard ceiling per example (a hang is a failure, not a slow test); the deadline is hypothesis'.
BUDGET_SECONDS = 20
DEADLINE = timedelta(seconds=8)


def fuzz_settings(examples: int) -> settings:
    # No explain phase: on Python < 3.12 it traces every line, which turns seconds into minutes.
    return settings(max_examples=examples * SCALE, derandomize=True, deadline=DEADLINE, database=None,
                    phases=[Phase.explicit, Phase.generate, Phase.shrink],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much, HealthCheck.large_base_example],
                    print_blob=False)


# -- the tally the issue asks for -----------------------------------------------------------------------
TALLY: Counter[str] = Counter()
#: Distinct crashes (exception type and where it was raised) → how many examples hit each
#: (hypothesis' shrinking replays a failure many times: that is one crash).
CRASHES: Counter[str] = Counter()
SLOWEST: list[tuple[float, str]] = [(0.0, "")]


@pytest.fixture(scope="module", autouse=True)
def report_figures(request: pytest.FixtureRequest) -> Iterator[None]:
    import logging

    # The ASFF renderer warns about every result it cannot export (no account in a plan): noise here.
    asff_log = logging.getLogger("vendorguard.scanner.reports.asff")
    level = asff_log.level
    asff_log.setLevel(logging.ERROR)
    yield
    asff_log.setLevel(level)
    cases = sum(TALLY.values())
    lines = [f"fuzz: {cases} cases run ({sum(v for k, v in TALLY.items() if k.startswith('cli-'))} through "
             f"the CLI), {len(CRASHES)} distinct crashes"]
    lines += [f"  {key}: {TALLY[key]}" for key in sorted(TALLY)]
    lines += [f"  slowest in-process case: {max(SLOWEST)[0]:.2f} s ({max(SLOWEST)[1]})"]
    lines += [f"  crash ({n} examples): {c}" for c, n in CRASHES.most_common(20)]
    show_figures(request, lines)


class Hang(BaseException):
    """Raised by the per-example alarm: a BaseException, so no `except Exception` swallows it."""


@contextlib.contextmanager
def time_budget(seconds: float) -> Iterator[None]:
    def expire(signum: int, frame: Any) -> None:
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# -- seeds ------------------------------------------------------------------------------------------------
DEMO_PLAN = Path(demo_package.__file__).parent / "billing-vendor.tfplan.json"


def _seed_plans() -> list[dict[str, Any]]:
    tls_only = policy({"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                       "Condition": {"Bool": {"aws:SecureTransport": "false"}}})
    small = plan_of(
        {"type": "aws_s3_bucket", "name": "claims", "values": {"bucket": "claims", "tags": {"phi": "true"}},
         "unknown": ["arn"]},
        {"type": "aws_s3_bucket_policy", "name": "claims", "values": {"bucket": "${aws_s3_bucket.claims.id}",
                                                                      "policy": tls_only}},
        {"type": "aws_s3_bucket_versioning", "name": "claims", "values": {
            "bucket": "${aws_s3_bucket.claims.id}", "versioning_configuration": [{"status": "Enabled"}]}},
        {"type": "aws_db_instance", "name": "db", "values": {"storage_encrypted": True, "password": "hunter2",
                                                              "tags": {"db_password": "x"}},
         "sensitive": ["password"]},
        {"type": "aws_security_group", "name": "web", "values": {"ingress": [
            {"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}]}},
        {"type": "aws_iam_role", "name": "partner", "values": {"assume_role_policy": trust({"AWS": "arn:aws:iam::444455556666:root"})}},
        {"type": "aws_ebs_volume", "name": "v", "module": "module.disks", "index": 0,
         "values": {"encrypted": False}},
        account_id="111122223333",
    )
    return [small, json.loads(DEMO_PLAN.read_text())]


def _seed_pulumi() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((FIXTURES / "pulumi").glob("*.json"))]


def _renamed(document: dict[str, Any]) -> dict[str, Any]:
    """A shipped policy file with new rule and pack ids, so it loads beside the shipped catalog."""
    document = copy.deepcopy(document)
    ours = {r["id"] for r in document.get("rules") or []}
    for rule in document.get("rules") or []:
        rule["id"] = "FZ-" + rule["id"]
    if "pack" in document:
        document["pack"]["id"] = "fz-" + document["pack"]["id"]
        for control in document["pack"]["controls"]:
            control["rules"] = [("FZ-" + r) if r in ours else r for r in control["rules"]]
    return document


def _seed_policies() -> list[dict[str, Any]]:
    docs = [_renamed(yaml.safe_load(text)) for _, text in shipped_files()]
    rules = docs[0]["rules"][:2]
    docs.append({"rules": rules, "pack": {"id": "both", "title": "t", "version": "1", "controls": [
        {"id": "c", "title": "c", "rules": [r["id"] for r in rules] + ["VG-EC2-001"]}]}})
    return docs


SEED_PLANS = _seed_plans()
SEED_PULUMI = _seed_pulumi()
SEED_POLICIES = _seed_policies()


# -- mutations ----------------------------------------------------------------------------------------------
HOSTILE_STRINGS = [
    "", " ", "\x00", "\ud800", "x\udfffy", "\u202eevil", "\x1b[2J\x1b[31m", "\ufeff", "\uffff", "😀" * 50,
    "null", "true", "0", "-1", "1e999", "NaN", "${aws_s3_bucket.x.id}", "module.", "var.x", "[", "{",
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "[secret]", "output<string>", "arn:aws:iam::999999999999:root",
    "a\nb\r\nc", "\\u0000", "*", "**", "..", "aws_s3_bucket.", "[0]", '["x"]',
]
WRONG_TYPES: list[Any] = [None, 0, -1, 1.5, 2**70, -(2**70), True, False, "", "x", [], {}, [None], {"": None},
                          1e308, -0.0, math.inf, -math.inf, math.nan, [[[]]], {"a": {"b": {}}}]
DEPTHS = [2, 8, 32, 100, 300, 450, 700, 950, 2_000, 12_000]
KINDS = ["drop", "null", "nulls", "type", "deep", "huge", "unicode", "wrap", "unwrap", "as_object", "key",
         "dup_key_value", "number", "swap", "attribute", "attribute"]
#: The attributes rules read (Terraform names and Pulumi's camelCase), where a hostile value
#: reaches a condition, a named function, evidence and every report.
RULE_ATTRIBUTES = sorted({p.split(".")[0] for rule in load_catalog()[0].rules.values() for p in rule.evidence_paths}
                         | {"policy", "assumeRolePolicy", "ingress", "tags", "storageEncrypted"})
HOSTILE_VALUES: list[Any] = [
    "[" * 5_000 + "]" * 5_000, '{"Statement":' * 600 + "1" + "}" * 600, '{"Statement": 5}', '{"Statement": [1, "x", null]}',
    '{"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["*", 5, null]}, "Action": [null], "Condition": 1}]}',
    "0.0.0.0/0", "::/0", "*", "not json {", [{"cidr_blocks": 5, "from_port": "x", "to_port": None}],
    [{"from_port": 2**80, "to_port": -(2**80), "protocol": [], "cidr_blocks": [None, 7]}], {"phi": ["true"]},
]

Path_ = tuple[Any, ...]


def _children(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return list(node)
    if isinstance(node, list):
        return list(range(len(node)))
    return []


def _get(doc: Any, path: Path_) -> Any:
    for step in path:
        doc = doc[step]
    return doc


def _nest(value: Any, depth: int, as_list: bool) -> Any:
    for _ in range(depth):
        value = [value] if as_list else {"a": value}
    return value


def _depth(value: Any) -> int:
    """How deeply a value nests (iteratively: the values under test can be deeper than our stack)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        node, level = stack.pop()
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in (node.values() if isinstance(node, dict) else
                                                      node if isinstance(node, list) else ()))
    return deepest


#: Mutations that copy or rewrite a whole subtree leave one this deep as it is (python recursion).
_REWRITABLE_DEPTH = 200


def _nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _nulls(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nulls(v) for v in value]
    return None


@st.composite
def _path(draw: st.DrawFn, doc: Any) -> Path_:
    """A random walk from the root: structural keys near the top are hit as often as leaves."""
    path: list[Any] = []
    node = doc
    while True:
        keys = _children(node)
        if not keys or (path and draw(st.integers(0, 3)) == 0):
            return tuple(path)
        key = keys[draw(st.integers(0, len(keys) - 1))]
        path.append(key)
        node = node[key]


def _replace(doc: Any, path: Path_, value: Any) -> Any:
    if not path:
        return value
    _get(doc, path[:-1])[path[-1]] = value
    return doc


@st.composite
def mutate(draw: st.DrawFn, doc: Any, rounds: int = 4) -> Any:
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, rounds))):
        path = draw(_path(doc))
        kind = draw(st.sampled_from(KINDS))
        current = _get(doc, path)
        parent = _get(doc, path[:-1]) if path else None
        note(f"mutation {kind} at {'/'.join(map(str, path))[:200]}")
        event(f"mutation: {kind}")
        if kind == "drop" and path:
            del parent[path[-1]]
        elif kind == "null":
            doc = _replace(doc, path, None)
        elif kind == "nulls" and _depth(current) < _REWRITABLE_DEPTH:
            doc = _replace(doc, path, _nulls(current))
        elif kind == "type":
            doc = _replace(doc, path, copy.deepcopy(draw(st.sampled_from(WRONG_TYPES))))
        elif kind == "deep":
            depth = draw(st.sampled_from(DEPTHS))
            doc = _replace(doc, path, _nest(current if draw(st.booleans()) else "x", depth, draw(st.booleans())))
        elif kind == "huge":
            size = draw(st.sampled_from([10_000, 300_000, 2_000_000]))
            doc = _replace(doc, path, draw(st.sampled_from("aZ0 <%\u00e9")) * size)
        elif kind == "unicode":
            doc = _replace(doc, path, draw(st.sampled_from(HOSTILE_STRINGS)) if not isinstance(current, str)
                           else current + draw(st.sampled_from(HOSTILE_STRINGS)))
        elif kind == "wrap":
            doc = _replace(doc, path, [current])
        elif kind == "unwrap" and isinstance(current, list):
            doc = _replace(doc, path, current[0] if current else {})
        elif kind == "as_object" and isinstance(current, list):
            doc = _replace(doc, path, {str(i): v for i, v in enumerate(current)})
        elif kind == "key" and isinstance(parent, dict):
            value = parent.pop(path[-1])
            parent[draw(st.sampled_from(HOSTILE_STRINGS + ["__proto__", "type", "id", "urn"]))] = value
        elif kind == "dup_key_value" and isinstance(current, dict) and current and \
                _depth(current) < _REWRITABLE_DEPTH:
            key = draw(st.sampled_from(sorted(current, key=str)))
            current[key] = copy.deepcopy(current)
        elif kind == "number":
            doc = _replace(doc, path, draw(st.sampled_from([math.nan, math.inf, 10**400, -(10**30), 0.1, 2**63])))
        elif kind == "attribute" and isinstance(current, dict):
            value = draw(st.sampled_from(HOSTILE_VALUES + WRONG_TYPES + ["deep"]))
            if value == "deep":
                value = _nest("x", draw(st.sampled_from(DEPTHS)), draw(st.booleans()))
            current[draw(st.sampled_from(RULE_ATTRIBUTES))] = copy.deepcopy(value) if not isinstance(value, str) \
                and _depth(value) < _REWRITABLE_DEPTH else value
        elif kind == "swap" and isinstance(parent, (dict, list)) and len(parent) > 1:
            keys = _children(parent)
            other = keys[draw(st.integers(0, len(keys) - 1))]
            parent[path[-1]], parent[other] = parent[other], parent[path[-1]]
    return doc


def _dumps(doc: Any) -> bytes:
    """JSON as a careless producer writes it: NaN/Infinity allowed, lone surrogates kept."""
    try:
        return json.dumps(doc, allow_nan=True).encode("utf-8")
    except (ValueError, RecursionError, OverflowError):
        return b'{"format_version": "1.2", "resource_changes": ['


@st.composite
def as_bytes(draw: st.DrawFn, doc: Any) -> bytes:
    data = _dumps(doc)
    how = draw(st.sampled_from(["plain"] * 6 + ["truncate", "garbage", "bom", "utf16", "latin1", "nul",
                                                 "raw-surrogates"]))
    event(f"encoding: {how}")
    if how == "truncate":
        return data[: draw(st.integers(0, max(0, len(data) - 1)))]
    if how == "garbage":
        at = draw(st.integers(0, len(data)))
        return data[:at] + draw(st.sampled_from([b"\xff\xfe", b"\xc3", b"\x00", b"}", b"]]]", b"\xed\xa0\x80"])) + data[at:]
    if how == "bom":
        return b"\xef\xbb\xbf" + data
    if how == "utf16":
        return data.decode("utf-8", "surrogatepass").encode("utf-16", "surrogatepass")
    if how == "latin1":
        return data.replace(b"\\u00e9", b"\xe9")
    if how == "nul":
        return data + b"\x00"
    if how == "raw-surrogates":  # json.loads decodes bytes with surrogatepass: these get through
        return data.replace(b"\\ud800", b"\xed\xa0\x80").replace(b"\\udfff", b"\xed\xbf\xbf")
    return data


JSON_KEYS = st.sampled_from(["format_version", "resource_changes", "planned_values", "root_module", "resources",
                             "change", "after", "type", "name", "steps", "deployment", "resourcePlans", "version",
                             "newState", "urn", "inputs", "outputs", "rules", "pack", "id", "x"]) | st.text(max_size=5)


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(children, max_size=4) | st.dictionaries(JSON_KEYS, children, max_size=5)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    _containers, max_leaves=30)


# -- the pipeline under test -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def selection() -> Selection:
    return select([])[1]


def _scan_and_render(inventory: Any, selection: Selection) -> None:
    report = evaluate([inventory], selection, now())
    document = json.loads(json.dumps(report.to_document(), default=str))
    for fmt in FORMATS:
        render(document, fmt)
    # the report as written: every format must be encodable (no lone surrogate reaches a file)
    render(report.to_document(), "json").encode("utf-8")


def check(target: str, name: str, attempt: Callable[[], Any]) -> str:
    """Run one case; tally it; anything but results or a one-line InputError naming `name` fails."""
    started = time.perf_counter()
    try:
        with time_budget(BUDGET_SECONDS):
            attempt()
    except InputError as exc:
        message = str(exc)
        assert "\n" not in message and "\r" not in message, message[:300]
        assert message.startswith(f"{name}: "), message[:300]
        assert len(message) < 2_000, f"a {len(message)}-character error line: {message[:300]}"
        TALLY[f"{target}:input-error"] += 1
        SLOWEST.append((time.perf_counter() - started, target))
        return "input-error"
    except BaseException as exc:
        import traceback

        frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/tests/" not in f.filename]
        where = f"{Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else "?"
        message = re.sub(r"\d+", "N", str(exc))[:120]  # "in position 11553" is one crash, wherever
        CRASHES[f"{target}: {type(exc).__name__} at {where}: {message}"] += 1
        raise
    TALLY[f"{target}:results"] += 1
    SLOWEST.append((time.perf_counter() - started, target))
    return "results"


def plan_case(data: bytes, selection: Selection) -> Callable[[], None]:
    def attempt() -> None:
        inventory = read_plan("fuzz.tfplan.json", parse_json("fuzz.tfplan.json", data))
        _scan_and_render(inventory, selection)
    return attempt


def pulumi_case(data: bytes, selection: Selection) -> Callable[[], None]:
    def attempt() -> None:
        inventory = read_pulumi("fuzz.pulumi.json", parse_json("fuzz.pulumi.json", data))
        _scan_and_render(inventory, selection)
    return attempt


def _dump_yaml(doc: Any) -> str:
    try:
        return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=120)
    except (yaml.YAMLError, RecursionError, UnicodeError):
        return "rules: [\n"


YAML_TRICKS = [
    "", "!!python/object/apply:os.system ['echo pwned']\n", "!!python/name:os.system\n", "--- &a [*a]\n",
    "%YAML 1.1\n---\n", "? [a, b]\n: c\n", "rules: !!binary aGVsbG8=\n", "rules: !!set {a, b}\n",
    "rules: !!timestamp 2001-12-14\n", "\t", "---\n---\n", "...\n", "\x00", "\ud800",
    "x: &a [1,1,1,1,1,1,1,1,1,1]\ny: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nz: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n",
]


@st.composite
def policy_text(draw: st.DrawFn) -> str:
    doc = draw(st.sampled_from(SEED_POLICIES))
    text = _dump_yaml(draw(mutate(doc, rounds=2)))
    if draw(st.integers(0, 3)) == 0:
        trick = draw(st.sampled_from(YAML_TRICKS))
        at = draw(st.sampled_from([0, len(text)]))
        text = text[:at] + trick + text[at:]
        event("yaml: trick")
    return text


@pytest.fixture(scope="module")
def policy_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("packs")


def pack_case(path: Path, text: str) -> Callable[[], None]:
    def attempt() -> None:
        try:
            path.write_text(text, encoding="utf-8", errors="surrogatepass")
        except UnicodeError:
            path.write_bytes(text.encode("utf-8", "replace"))
        catalog, loaded = load_catalog([str(path)])
        # a pack that loads is usable: its rules select, run and render
        if loaded and not isinstance(loaded[0], str):
            select([str(path)])
    return attempt


# -- the properties --------------------------------------------------------------------------------------------
@fuzz_settings(250)
@given(data=st.data())
def test_mutated_terraform_plans(data: st.DataObject, selection: Selection) -> None:
    doc = data.draw(mutate(data.draw(st.sampled_from(SEED_PLANS))))
    raw = data.draw(as_bytes(doc))
    event(check("plan", "fuzz.tfplan.json", plan_case(raw, selection)))


@fuzz_settings(250)
@given(data=st.data())
def test_mutated_pulumi_files(data: st.DataObject, selection: Selection) -> None:
    doc = data.draw(mutate(data.draw(st.sampled_from(SEED_PULUMI))))
    raw = data.draw(as_bytes(doc))
    event(check("pulumi", "fuzz.pulumi.json", pulumi_case(raw, selection)))


@fuzz_settings(200)
@given(text=policy_text())
def test_mutated_policy_files(text: str, policy_dir: Path) -> None:
    path = policy_dir / "fuzz-pack.yaml"
    event(check("pack", str(path), pack_case(path, text)))


@fuzz_settings(100)
@given(value=JSON_VALUES, reader=st.sampled_from(["plan", "pulumi"]))
def test_arbitrary_json(value: Any, reader: str, selection: Selection) -> None:
    raw = _dumps(value)
    if reader == "plan":
        check("plan", "fuzz.tfplan.json", plan_case(raw, selection))
    else:
        check("pulumi", "fuzz.pulumi.json", pulumi_case(raw, selection))


@fuzz_settings(100)
@given(raw=st.binary(max_size=200) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
       reader=st.sampled_from(["plan", "pulumi", "pack"]))
def test_arbitrary_bytes(raw: bytes, reader: str, selection: Selection, policy_dir: Path) -> None:
    if reader == "plan":
        check("plan", "fuzz.tfplan.json", plan_case(raw, selection))
    elif reader == "pulumi":
        check("pulumi", "fuzz.pulumi.json", pulumi_case(raw, selection))
    else:
        path = policy_dir / "fuzz-bytes.yaml"
        path.write_bytes(raw)
        check("pack", str(path), lambda: load_catalog([str(path)]))


@pytest.mark.parametrize("reader", ["plan", "pulumi"])
@pytest.mark.parametrize("encoding", ["utf-8 with raw surrogates", "utf-16 with lone surrogates"])
def test_lone_surrogates_in_the_bytes_reach_no_output_raw(reader: str, encoding: str, tmp_path: Path,
                                                         selection: Selection) -> None:
    """Found by this file: json.loads decodes bytes with ``surrogatepass``, so a name holding the
    bytes ED A0 80 (or a UTF-16 file with a lone surrogate) puts a lone surrogate in the document,
    and printing the JSON or table report on stdout failed (UnicodeEncodeError, exit 2)."""
    if reader == "plan":
        document: Any = plan_of({"type": "aws_ebs_volume", "name": "vSURROGATE", "values": {"encrypted": False}})
    else:
        document = copy.deepcopy(SEED_PULUMI[-1])
        document["deployment"]["resources"][-1]["urn"] += "SURROGATE"
    text = json.dumps(document)
    if encoding.startswith("utf-8"):
        data = text.encode().replace(b"SURROGATE", b"\xed\xa0\x80x\xed\xbf\xbf")
    else:
        data = text.replace("SURROGATE", "\ud800x\udfff").encode("utf-16", "surrogatepass")
    name = f"surrogates.{reader}.json"
    check(reader, name, (plan_case if reader == "plan" else pulumi_case)(data, selection))
    path = tmp_path / name
    path.write_bytes(data)
    for fmt in FORMATS:  # each on stdout, as a user in a terminal runs it
        run = cli("scan", reader, str(path), "--format", fmt)
        assert_cli_contract(run, str(path), f"{reader}-surrogates") if fmt == "json" else None
        assert run.returncode in (0, 1), (fmt, run.stderr.decode("utf-8", "replace")[-1000:])
        run.stdout.decode("utf-8")  # strict: what reached the terminal is valid UTF-8


def test_a_number_past_4300_digits_in_a_condition_is_an_input_error(policy_dir: Path) -> None:
    """Found by this file: jmespath's lexer calls int() on a number token, which raises ValueError
    past Python's 4,300-digit limit; the loader let it through as a crash."""
    document = copy.deepcopy(SEED_POLICIES[-1])
    document["rules"][0]["condition"] = "0" * 10_000
    path = policy_dir / "long-number.yaml"
    assert check("pack", str(path), pack_case(path, _dump_yaml(document))) == "input-error"


@pytest.mark.parametrize("reader", ["plan", "pulumi"])
def test_an_integer_past_4300_digits_in_json_is_an_input_error(reader: str, tmp_path: Path,
                                                               selection: Selection) -> None:
    """Found by this file: json.loads raises ValueError (not JSONDecodeError) for an integer
    literal past Python's 4,300-digit limit; it must be a one-line error naming the file."""
    data = b'{"format_version": "1.2", "resource_changes": [], "version": 3, "deployment": {}, "x": ' + \
        b"1" * 5_000 + b"}"
    path = tmp_path / f"long-number.{reader}.json"
    path.write_bytes(data)
    run = cli("scan", reader, str(path), "--format", "json")
    assert run.returncode == 2 and str(path).encode() in run.stderr, run.stderr
    check(reader, f"fuzz.{'tfplan' if reader == 'plan' else 'pulumi'}.json",
          (plan_case if reader == "plan" else pulumi_case)(data, selection))


# -- the same inputs through the real command line ------------------------------------------------------------
def cli(*args: str) -> subprocess.CompletedProcess:
    """The CLI as a user runs it (debugging off), its output as the bytes it wrote."""
    return vendorguard(*args, text=False, env={"VENDORGUARD_DEBUG": ""})


def assert_cli_contract(run: subprocess.CompletedProcess, name: str, target: str, report: bool = True) -> None:
    """Exit 0/1/2; no traceback; exit 2 is one line naming the input; otherwise a whole report."""
    stderr = run.stderr.decode("utf-8", "replace")
    assert run.returncode in (0, 1, 2), (run.returncode, stderr[-2000:])
    assert "Traceback" not in stderr, stderr[-2000:]
    assert "internal error" not in stderr, stderr[-500:]
    if run.returncode == 2:
        assert stderr.count("\n") == 1 and stderr.endswith("\n"), stderr[:500]
        assert name in stderr, stderr[:500]
        TALLY[f"cli-{target}:exit-2"] += 1
    else:
        if report:
            json.loads(run.stdout)  # a complete report
        TALLY[f"cli-{target}:exit-{run.returncode}"] += 1


@pytest.mark.parametrize("reader", ["plan", "pulumi", "pack"])
@fuzz_settings(15)
@given(data=st.data())
def test_mutated_inputs_through_the_cli(data: st.DataObject, reader: str, tmp_path_factory) -> None:
    tmp_path = tmp_path_factory.mktemp("cli")
    if reader == "pack":
        path = tmp_path / "fuzz.vendorguard.yaml"
        path.write_text(data.draw(policy_text()), encoding="utf-8", errors="surrogatepass")
        assert_cli_contract(cli("packs", "validate", str(path)), str(path), reader, report=False)
        return
    seed = copy.deepcopy(data.draw(st.sampled_from(SEED_PLANS if reader == "plan" else SEED_PULUMI)))
    path = tmp_path / f"fuzz.{reader}.json"
    path.write_bytes(data.draw(as_bytes(data.draw(mutate(seed)))))
    assert_cli_contract(cli("scan", reader, str(path), "--format", "json"), str(path), reader)
