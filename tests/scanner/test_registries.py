"""One vocabulary: what the registries define, the schemas and the packs must agree with.

Sources, severities, statuses and domains are defined once in code (`Source.registry`,
`model`); the JSON Schemas that users' tools validate against restate them as data, so these
tests hold the two equal.  HIPAA citations live in the `hipaa` pack and in each rule's
``references.hipaa`` (the reports cite them per rule): they must say the same thing.  And a rule
that no pack cites never runs: every shipped rule is cited.
"""
from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest

from vendorguard.scanner import sources
from vendorguard.scanner.catalog import load_catalog
from vendorguard.scanner.model import DOMAINS, SEVERITIES, Status


def _schema(name: str) -> dict[str, Any]:
    return json.loads(resources.files("vendorguard.policies").joinpath(f"schemas/{name}").read_text())


def test_the_schemas_name_exactly_the_registered_sources() -> None:
    rule_sources = _find(_schema("policy.schema.json"), "sources")["items"]["enum"]
    inputs = _schema("results.schema.json")["properties"]["scan"]["properties"]["inputs"]["items"]["properties"]
    assert set(rule_sources) == set(sources.names())
    assert set(inputs["source"]["enum"]) == set(sources.names())


def test_a_vendors_file_names_its_files_by_the_commands_of_the_file_sources() -> None:
    """`files: {plan: [...], state: [...]}` in vendors.yaml: keyed by `vendorguard scan <command>`,
    one key per source that reads files (every source but the live one)."""
    files = _schema("vendors.schema.json")["properties"]["vendors"]["items"]["properties"]["files"]
    offline = {sources.get(name).command for name in sources.names() if sources.get(name).offline}
    assert set(files["propertyNames"]["enum"]) == offline


def test_the_schemas_name_exactly_the_model_s_severities_statuses_and_domains() -> None:
    policy = _schema("policy.schema.json")
    results = _schema("results.schema.json")
    assert _find(policy, "severity")["enum"] == list(SEVERITIES)
    assert _find(policy, "domain")["enum"] == list(DOMAINS)
    result = results["properties"]["results"]["items"]["properties"]
    assert result["severity"]["enum"] == list(SEVERITIES)
    assert result["status"]["enum"] == [s.value for s in Status]


@pytest.mark.parametrize("source", sources.names())
def test_every_source_names_itself_for_users(source: str) -> None:
    registered = sources.get(source)
    assert registered.name == source and registered.command and registered.summary
    assert registered.title.startswith(("a ", "an "))


def test_sources_have_distinct_commands() -> None:
    commands = [sources.get(s).command for s in sources.names()]
    assert len(commands) == len(set(commands))


def test_rules_cite_exactly_the_hipaa_controls_the_pack_maps_them_to() -> None:
    catalog, _ = load_catalog()
    cited: dict[str, set[str]] = {}
    for control in catalog.packs["hipaa"].controls:
        for rule_id in control.rules:
            cited.setdefault(rule_id, set()).add(control.id)
    differ = {rule.id: (sorted(set(rule.references.get("hipaa") or [])), sorted(cited.get(rule.id, set())))
              for rule in catalog.rules.values()
              if set(rule.references.get("hipaa") or []) != cited.get(rule.id, set())}
    assert differ == {}, "rule references.hipaa vs the hipaa pack: " + repr(differ)


def test_every_shipped_rule_is_cited_by_a_pack() -> None:
    catalog, _ = load_catalog()
    cited = {rule_id for pack in catalog.packs.values() for rule_id in pack.rule_ids()}
    assert sorted(set(catalog.rules) - cited) == []


def _find(schema: Any, key: str) -> Any:
    """The first property definition named `key` anywhere in a schema."""
    stack = [schema]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict) and key in props:
                return props[key]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    raise KeyError(key)
