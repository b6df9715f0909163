"""Packs are data: a policy file cannot run code, and every expression in it is compiled at load.

What tests/cli/test_cli.py already shows (a schema error, a bad condition, an unknown rule id, a
duplicate id, broken YAML, one ``!!python/object/apply`` tag) is not repeated.  Here:

- every Python-object tag PyYAML knows (object, object/apply, object/new, name, module, and the
  tuple/complex constructors) is refused — at the top, inside a rule, inside a pack, in a JSON
  pack, in a waivers file, through ``packs validate`` and ``scan plan`` — and nothing runs (a
  canary file a payload would create stays absent);
- every ``yaml.load`` in the scanner uses a safe loader, and the modules a pack's text flows
  through call no ``eval``/``exec``/``import_module``/``pickle``;
- safe YAML tags (``!!binary``, ``!!set``, ``!!timestamp``) and anchors are data: a wrong type is
  a schema error; an alias bomb or a recursive alias is refused before anything walks it;
- conditions, ``applies_if`` and ``evidence`` are compiled when the file loads — even for a rule
  no resource will ever meet — and an error names the file, the rule and the field;
- a function not in the registry is refused at load in each of the three (``system``, ``eval``,
  ``__import__``, ``__class__``, jmespath's own ``call_function``, the raw ``_func_count`` …),
  and the registry is exactly jmespath's built-ins plus the documented domain functions.
"""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import ROOT, plan_of, vendorguard
from vendorguard.scanner import catalog
from vendorguard.scanner.catalog import load_catalog
from vendorguard.scanner.context import NO_CONTEXT
from vendorguard.scanner.errors import InputError
from vendorguard.scanner.functions import VendorguardFunctions


RULE = {"id": "ACME-001", "title": "Volumes are encrypted", "severity": "low", "domain": "encryption-at-rest",
        "resource_types": ["aws_ebs_volume"], "condition": "encrypted == `true`", "rationale": "PHI at rest.",
        "remediation": {"text": "Encrypt it."}, "references": {"hipaa": ["164.312(a)(2)(iv)"]}}


def pack_text(version: Any = "1", **rule_changes: Any) -> str:
    """Two rules and a pack; `rule_changes` go to the second rule (ACME-001)."""
    rules = json.loads(json.dumps([dict(RULE, id="ACME-000", title="A first, good rule"), RULE]))  # no sharing
    rules[1].update(rule_changes)
    return yaml.safe_dump({"rules": rules, "pack": {"id": "acme", "title": "ACME", "version": version, "controls": [
        {"id": "c", "title": "c", "rules": ["ACME-000", "ACME-001"]}]}}, sort_keys=False)


def assert_one_line_error(run: subprocess.CompletedProcess, *needles: str) -> None:
    assert run.returncode == 2, (run.returncode, run.stdout[-500:], run.stderr[-2000:])
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr, run.stderr[-2000:]
    for needle in needles:
        assert needle in run.stderr, (needle, run.stderr)


# -- YAML cannot construct Python objects ---------------------------------------------------------------------
def python_tags(canary: Path) -> dict[str, str]:
    """label → YAML that would run code (create `canary`) under an unsafe loader."""
    touch = f"['touch {canary}']"
    return {
        "object/apply os.system": f"!!python/object/apply:os.system {touch}\n",
        "object/apply exec": f"!!python/object/apply:builtins.exec [\"open('{canary}', 'w')\"]\n",
        "object/new Popen": f"!!python/object/new:subprocess.Popen [[touch, '{canary}']]\n",
        "object/apply subprocess.check_call": f"!!python/object/apply:subprocess.check_call [[touch, '{canary}']]\n",
        "name os.system": "!!python/name:os.system\n",
        "module os": "!!python/module:os\n",
        "object os._wrap_close": "!!python/object:os._wrap_close {}\n",
        "tuple": "!!python/tuple [1, 2]\n",
        "complex": "!!python/complex 1+2j\n",
        "in a condition": pack_text().replace("condition: encrypted == `true`",
                                              f"condition: !!python/object/apply:os.system {touch}"),
        "in a pack title": pack_text().replace("title: ACME", f"title: !!python/object/apply:os.system {touch}"),
        "as a rules list": f"rules: !!python/object/new:subprocess.Popen [[touch, '{canary}']]\n",
        "behind an anchor": f"x: &a !!python/object/apply:os.system {touch}\nrules: [*a]\n",
        "as a mapping key": f"? !!python/object/apply:os.system {touch}\n: 1\n",
    }


@pytest.fixture
def canary(tmp_path: Path) -> Path:
    return tmp_path / "pwned"


@pytest.mark.parametrize("label", list(python_tags(Path("/x"))))
def test_python_tags_are_refused_and_nothing_runs(tmp_path: Path, canary: Path, label: str) -> None:
    text = python_tags(canary)[label]
    pack = tmp_path / "evil.yaml"
    pack.write_text(text)
    with pytest.raises(InputError) as caught:
        load_catalog([str(pack)])
    assert str(caught.value).startswith(f"{pack}: not valid YAML"), str(caught.value)
    assert "could not determine a constructor" in str(caught.value)
    assert not canary.exists()
    assert_one_line_error(vendorguard("packs", "validate", str(pack)), str(pack), "not valid YAML")
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(plan_of({"type": "aws_ebs_volume", "name": "v", "values": {"encrypted": True}})))
    assert_one_line_error(vendorguard("scan", "plan", str(plan), "--pack", str(pack)), str(pack))
    assert not canary.exists()


def test_python_tags_in_a_json_pack_and_a_waivers_file_are_refused(tmp_path: Path, canary: Path) -> None:
    evil = f"!!python/object/apply:os.system ['touch {canary}']"
    pack = tmp_path / "evil.json"
    pack.write_text('{"rules": ' + evil + "}")
    assert_one_line_error(vendorguard("packs", "validate", str(pack)), str(pack), "not valid YAML")
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(f"waivers:\n  - {evil}\n")
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(plan_of({"type": "aws_ebs_volume", "name": "v", "values": {"encrypted": True}})))
    assert_one_line_error(vendorguard("scan", "plan", str(plan), "--waivers", str(waivers)), str(waivers),
                          "not valid YAML")
    # the default waivers file in the working directory goes through the same loader
    (tmp_path / ".vendorguard-waivers.yaml").write_text(waivers.read_text())
    assert_one_line_error(vendorguard("scan", "plan", str(plan), cwd=tmp_path), ".vendorguard-waivers.yaml")
    assert not canary.exists()


def test_every_yaml_load_in_the_scanner_is_a_safe_one() -> None:
    sources = {p: p.read_text() for folder in ("scanner", "cli") for p in (ROOT / folder).rglob("*.py")}
    unsafe = re.compile(r"yaml\.(unsafe_load|full_load|load_all)\b|yaml\.(Loader|FullLoader|UnsafeLoader)\b")
    for path, text in sources.items():
        assert not unsafe.search(text), f"{path}: {unsafe.search(text).group()}"  # type: ignore[union-attr]
        for line in (line for line in text.splitlines() if "yaml.load(" in line):
            assert "SafeLoader" in line or "Loader=_loader()" in line, f"{path}: {line.strip()}"
    safe = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # catalog's: the safe loader, its tags and no other
    assert issubclass(catalog._loader(), safe) and catalog._loader().yaml_constructors.keys() == safe.yaml_constructors.keys()
    # the modules a pack's text flows through: loading, compiling, evaluating
    for name in ("catalog.py", "condition.py", "functions.py", "engine.py", "waivers.py"):
        text = (ROOT / "scanner" / name).read_text()
        for call in ("eval(", "exec(", "import_module(", "pickle", "marshal", "__import__(", "subprocess", "os.system"):
            assert call not in text, f"scanner/{name} calls {call}"


@pytest.mark.parametrize("label,text,problem", [
    ("!!binary title", pack_text(title=b"hello"), "schema error at rules/1/title"),
    ("!!set of resource types", pack_text(resource_types={"aws_ebs_volume"}), "schema error at rules/1/resource_types"),
    ("!!timestamp version", pack_text(version=__import__("datetime").date(2001, 12, 14)), "schema error at pack/version"),
    ("int condition", pack_text(condition=12), "schema error at rules/1/condition"),
    ("float severity", pack_text(severity=1.5), "schema error at rules/1/severity"),
])
def test_safe_tags_are_data_and_wrong_types_are_schema_errors(tmp_path: Path, label: str, text: str,
                                                               problem: str) -> None:
    pack = tmp_path / "typed.yaml"
    pack.write_text(text)
    with pytest.raises(InputError, match=re.escape(problem)):
        load_catalog([str(pack)])


def test_alias_bombs_and_recursive_aliases_are_refused_before_anything_walks_them(tmp_path: Path) -> None:
    import time

    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"] + [
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 12)]  # 10**12 values
    bomb = ["&b0 [x, x, x, x, x, x, x, x, x, x]"] + [f"&b{i} [" + ", ".join([f"*b{i - 1}"] * 10) + "]"
                                                      for i in range(1, 12)]
    cases = {
        "billion laughs": "\n".join(lines) + "\n",
        "inside a rule": pack_text().replace("  references:\n    hipaa:\n    - 164.312(a)(2)(iv)\n", "  references:\n"
                                             "    hipaa: [" + ", ".join(bomb) + "]\n", 1),
        "recursive list": "rules: &r [*r]\n",
        "recursive rule": pack_text().replace("rationale: PHI at rest.", "rationale: &me {a: *me}", 1),
    }
    for label, text in cases.items():
        pack = tmp_path / f"{label.replace(' ', '-')}.yaml"
        pack.write_text(text)
        started = time.perf_counter()
        with pytest.raises(InputError) as caught:
            load_catalog([str(pack)])
        assert time.perf_counter() - started < 5, label
        assert str(caught.value).startswith(f"{pack}: ") and "\n" not in str(caught.value)
        assert "aliases are expanded" in str(caught.value) or "recursive" in str(caught.value), str(caught.value)
    # anchors that stay small are fine: they are data
    shared = pack_text().replace("remediation:\n    text: Encrypt it.", "remediation: &fix\n    text: Encrypt it.", 1)
    shared = shared.replace("remediation:\n    text: Encrypt it.", "remediation: *fix", 1)
    assert "*fix" in shared
    pack = tmp_path / "anchors.yaml"
    pack.write_text(shared)
    _, loaded = load_catalog([str(pack)])
    assert loaded[0].id == "acme"  # type: ignore[union-attr]


def test_an_oversized_policy_file_is_refused_unread(tmp_path: Path) -> None:
    pack = tmp_path / "huge.yaml"
    with pack.open("wb") as handle:
        handle.truncate(catalog.MAX_POLICY_BYTES + 1)
    assert_one_line_error(vendorguard("packs", "validate", str(pack)), str(pack), "larger than 16 MiB")


# -- JMESPath compiled at load, errors naming the file and the rule -------------------------------------------
@pytest.mark.parametrize("field", ["condition", "applies_if", "evidence"])
@pytest.mark.parametrize("expression,problem", [
    ("encrypted ==", "not a valid condition"),
    ("tags.'unterminated", "not a valid condition"),
    ("[?encrypted", "not a valid condition"),
    ("tags..Owner && ", "not a valid condition"),
])
def test_bad_expressions_are_refused_at_load_naming_file_rule_and_field(tmp_path: Path, field: str, expression: str,
                                                                         problem: str) -> None:
    change = {field: [expression] if field == "evidence" else expression}
    pack = tmp_path / "acme.yaml"
    pack.write_text(pack_text(**change))
    with pytest.raises(InputError) as caught:
        load_catalog([str(pack)])
    message = str(caught.value)
    assert message.startswith(f"{pack}: rule ACME-001: {field} is {problem}"), message
    assert "\n" not in message


@pytest.mark.parametrize("name", ["system", "eval", "exec", "open", "__import__", "__class__", "__init__",
                                  "call_function", "_func_count", "func_count", "getattr", "subprocess",
                                  "env", "read_file", "import", "compile"])
def test_functions_outside_the_registry_are_refused_at_load(tmp_path: Path, name: str) -> None:
    expression = f"{name}(@)" if name != "__import__" else "__import__('os')"
    for field in ("condition", "applies_if", "evidence"):
        pack = tmp_path / f"{field}.yaml"
        pack.write_text(pack_text(**{field: [expression] if field == "evidence" else expression}))
        with pytest.raises(InputError) as caught:
            load_catalog([str(pack)])
        message = str(caught.value)
        assert message.startswith(f"{pack}: rule ACME-001: {field} is not a valid condition"), message
        assert f"unknown function {name}()" in message or "Unexpected token" in message \
            or "invalid token" in message.lower(), message
    # and through the CLI: one line, exit 2, nothing scanned
    run = vendorguard("packs", "validate", str(tmp_path / "evidence.yaml"))
    assert_one_line_error(run, str(tmp_path / "evidence.yaml"), "rule ACME-001", "evidence")


def test_expressions_are_compiled_even_for_rules_no_resource_meets(tmp_path: Path) -> None:
    """Compilation is at load, not on first use: a bad expression on a type the plan does not
    have still stops the scan before anything is read."""
    pack = tmp_path / "acme.yaml"
    pack.write_text(pack_text(resource_types=["aws_mq_broker"], evidence=["system(@)"]))
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(plan_of({"type": "aws_ebs_volume", "name": "v", "values": {"encrypted": True}})))
    out = tmp_path / "out.json"
    run = vendorguard("scan", "plan", str(plan), "--pack", str(pack), "--format", "json", "-o", str(out))
    assert_one_line_error(run, str(pack), "rule ACME-001: evidence", "unknown function system()")
    assert not out.exists()


def test_evidence_expressions_run_through_the_same_compiler(tmp_path: Path) -> None:
    """A valid evidence expression is compiled with the registry's functions, and used: its value
    is what the result shows."""
    pack = tmp_path / "acme.yaml"
    pack.write_text(pack_text(evidence=["length(tags)", "encrypted", "lower(type)"]))
    loaded, _ = load_catalog([str(pack)])
    rule = loaded.rules["ACME-001"]
    attributes = {"tags": {"a": 1}, "encrypted": False, "type": "GP3"}
    assert [e(attributes, NO_CONTEXT) for e in rule.evidence] == [1, False, "gp3"]


#: The domain functions the README documents, and the helpers rules use; anything else a pack
#: could call must be one of jmespath's own pure built-ins.
DOMAIN_FUNCTIONS = {"denies_insecure_transport", "grants_full_admin", "public_grants", "untrusted_principals",
                    "world_ingress", "world_ingress_all_ports", "phi_tagged", "count", "from_json", "lower",
                    "own_account", "resource_type", "secret_like_name", "containers",
                    "vpc_unfenced_grants"}
JMESPATH_BUILTINS = {"abs", "avg", "ceil", "contains", "ends_with", "floor", "join", "keys", "length", "map", "max",
                     "max_by", "merge", "min", "min_by", "not_null", "reverse", "sort", "sort_by", "starts_with", "sum",
                     "to_array", "to_number", "to_string", "type", "values"}


def test_the_function_registry_is_exactly_the_documented_one() -> None:
    """A new function is a new way for a pack to act on the world: adding one means adding it here."""
    assert set(VendorguardFunctions().FUNCTION_TABLE) == JMESPATH_BUILTINS | DOMAIN_FUNCTIONS


def test_the_readme_states_the_catalogs_rule_and_domain_counts() -> None:
    """The README's one number about the catalog follows the catalog (it said 87 when there were 194)."""
    rules = load_catalog()[0].rules.values()
    stated = re.search(r"(\d+) rules in (\d+) domains", (ROOT / "README.md").read_text())
    assert stated is not None
    assert (int(stated[1]), int(stated[2])) == (len(rules), len({r.domain for r in rules}))
