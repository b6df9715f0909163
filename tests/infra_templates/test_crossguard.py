"""The CrossGuard policy pack (infra_templates/crossguard): the same rules and engine inside Pulumi.

The Pulumi CLI is not available here, so the pack is exercised the two ways the SDK allows without
it: its validation functions called with the SDK's own argument objects (``StackValidationArgs``
holding ``PolicyResource``s whose properties go through the SDK's deserializer and
unknown-checking proxy, exactly as the analyzer builds them), and the SDK's analyzer servicer —
the gRPC service ``pulumi preview`` talks to — driven with the protobuf requests the engine sends.
"""
from __future__ import annotations

import copy
import importlib.util
import json
from typing import Any

import pytest

pytest.importorskip("pulumi_policy", reason="the CrossGuard SDK: pip install pulumi-policy (the provision extra)")

from google.protobuf import json_format, struct_pb2  # noqa: E402
from pulumi.runtime import proto  # noqa: E402
from pulumi_policy import (  # noqa: E402
    EnforcementLevel,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    PolicyCustomTimeouts,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties  # noqa: E402
from pulumi_policy.policy import _PolicyAnalyzerServicer  # noqa: E402
from pulumi_policy.proxy import unknown_checking_proxy  # noqa: E402

from conftest import FIXTURES, ROOT  # noqa: E402
from vendorguard.scanner.catalog import load_catalog  # noqa: E402

PACK_DIR = ROOT / "infra_templates" / "crossguard"
CATALOG, _ = load_catalog()
SECRET = {"4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270"}


def _load_pack_module() -> Any:
    spec = importlib.util.spec_from_file_location("vendorguard_crossguard", PACK_DIR / "__main__.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # not __main__: builds nothing, serves nothing
    return module


crossguard = _load_pack_module()


@pytest.fixture(scope="module")
def pack() -> tuple[Any, list[StackValidationPolicy]]:
    return crossguard.build([])


def _rpc_value(value: Any) -> Any:
    """A state value as the engine sends it over gRPC: secrets carry their value in ``value``."""
    if isinstance(value, dict):
        if value.get("4dabf18193072939515e22adb298388d") == "1b47061264138c4ac30d75fd1eb44270":
            inner = json.loads(value["plaintext"]) if "plaintext" in value else "[secret]"
            return {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "value": inner}
        if value.get("4dabf18193072939515e22adb298388d"):
            return value.get("path")  # assets and archives: the SDK rebuilds objects we do not need
        return {k: _rpc_value(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [_rpc_value(v) for v in value]
    return value


def _states(fixture: str) -> list[dict[str, Any]]:
    document = json.loads((FIXTURES / "pulumi" / fixture).read_text())
    if "deployment" in document:
        states = document["deployment"]["resources"]
    else:
        states = [s["newState"] for s in document["steps"]
                  if s.get("newState") and s["op"] not in ("delete", "read")]
    return [s for s in states if not s.get("delete") and not s.get("external")]


def _props(state: dict[str, Any]) -> dict[str, Any]:
    return _rpc_value({**(state.get("inputs") or {}), **(state.get("outputs") or {})})


def policy_resources(fixture: str) -> list[PolicyResource]:
    """The stack as the analyzer hands it to a stack policy."""
    states = _states(fixture)
    providers = {s["urn"]: s for s in states if s["type"].startswith("pulumi:providers:")}
    out: dict[str, PolicyResource] = {}
    for state in states:
        provider = None
        if state.get("provider"):
            prov = providers[state["provider"].rsplit("::", 1)[0]]  # every provider is in the stack
            provider = PolicyProviderResource(prov["type"], unknown_checking_proxy(deserialize_properties(_props(prov))),
                                              prov["urn"], prov["urn"].rsplit("::", 1)[-1])
        opts = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], state.get("parent"))
        props = unknown_checking_proxy(deserialize_properties(_props(state)))
        out[state["urn"]] = PolicyResource(state["type"], props, state["urn"], state["urn"].rsplit("::", 1)[-1],
                                           opts, provider, None, [], {})
    for state in states:
        resource = out[state["urn"]]
        resource.parent = out.get(state.get("parent") or "")
        resource.dependencies = [out[u] for u in state.get("dependencies", []) if u in out]
        resource.property_dependencies = {k: [out[u] for u in v if u in out]
                                          for k, v in (state.get("propertyDependencies") or {}).items()}
    return list(out.values())


def run(policies: list[StackValidationPolicy], resources: list[PolicyResource],
        config: dict[str, Any] | None = None) -> list[tuple[str, str | None, str]]:
    violations = []
    for policy in policies:
        def report(message: str, urn: str | None = None, name: str = policy.name) -> None:
            violations.append((name, urn, message))
        policy.validate(StackValidationArgs(resources, config), report)
    return violations


def short(urn: str | None) -> str | None:
    return urn.rsplit("::", 1)[-1] if urn else None


# -- the pack ------------------------------------------------------------------------------------------------
def test_one_policy_per_rule_with_enforcement_from_severity(pack) -> None:
    _, policies = pack
    rules = {r.id: r for r in pack[0].selection.rules}
    assert [p.name for p in policies] == list(rules)
    assert set(rules) == set(CATALOG.rules), "the shipped packs cite every rule: each is a policy"
    for policy in policies:
        severity = rules[policy.name].severity
        expected = EnforcementLevel.MANDATORY if severity in ("critical", "high") else EnforcementLevel.ADVISORY
        assert policy.enforcement_level is expected, policy.name
        assert policy.severity.value == severity
        assert policy.description == rules[policy.name].title
        assert "unknown" in policy.config_schema.properties


def test_the_pack_files_are_there() -> None:
    yaml_text = (PACK_DIR / "PulumiPolicy.yaml").read_text()
    assert "name: python" in yaml_text
    assert "pulumi-policy" in (PACK_DIR / "requirements.txt").read_text()
    assert "--policy-pack" in (PACK_DIR / "README.md").read_text()


# -- validation functions, called with the SDK's argument objects ---------------------------------------------------
def test_stack_policies_report_the_failures_of_the_scanner(pack) -> None:
    _, policies = pack
    violations = run(policies, policy_resources("stack-export-v7.json"))
    reported = {(name, short(urn)) for name, urn, _ in violations}
    assert reported == {
        ("VG-S3-005", "claims-bucket"), ("VG-LOG-001", "claims-flow-logs"), ("VG-LOG-002", "claims-flow-logs"),
        ("VG-EC2-004", "bastion"), ("VG-RDS-006", "claims-db"), ("VG-RDS-010", "claims-db"),
        ("VG-EC2-001", "export-scratch"), ("VG-CT-004", "org-audit"), ("VG-TPA-001", "clearinghouse-access"),
        ("VG-LMB-001", "claims-ingest"), ("VG-DDB-002", "eligibility-cache"),
    }, "the bucket's split encryption, versioning and access block were folded in; account-level " \
       "controls the stack does not manage say nothing"
    urns = {urn for _, urn, _ in violations}
    assert "urn:pulumi:prod::claims-platform::aws:ec2/securityGroup:SecurityGroup::bastion" in urns
    message = next(m for n, _, m in violations if n == "VG-EC2-004")
    assert message.startswith("[critical] ") and "0.0.0.0/0" in message


def test_secrets_never_reach_a_violation_message(pack) -> None:
    _, policies = pack
    printed = json.dumps(run(policies, policy_resources("stack-export-v7.json")))
    assert "Hunter2-claims-db-P@ss" not in printed and "ch_live_9f8e7d6c5b4a3928" not in printed


def test_values_known_only_after_apply_are_violations_unless_configured_otherwise(pack) -> None:
    _, policies = pack
    resources = policy_resources("preview.json")
    found = {(n, short(u)): m for n, u, m in run(policies, resources)}
    assert found[("VG-EC2-001", "scratch")].startswith("not decidable before apply: [high]")
    assert ("VG-RDS-003", "claims-db") in found, "publicly accessible after the update"
    assert ("VG-EC2-004", "rdp") in found
    ec2_001 = [p for p in policies if p.name == "VG-EC2-001"]
    assert run(ec2_001, resources, {"unknown": "ignore"}) == []
    assert ("VG-GD-001", None) not in found, "no detector in the stack: nothing said about the account"


def test_an_absent_account_control_is_not_a_violation_but_a_managed_failing_one_is(pack) -> None:
    _, policies = pack
    resources = policy_resources("stack-export-v7.json")
    detector = next(r for r in resources if r.resource_type == "aws:guardduty/detector:Detector")
    props = crossguard.plain(detector.props)
    props["enable"] = False
    detector.props = unknown_checking_proxy(props)
    found = run([p for p in policies if p.name in ("VG-GD-001", "VG-SH-001")], resources)
    assert [(n, u) for n, u, _ in found] == [("VG-GD-001", None)]
    assert "111122223333/us-east-1" in found[0][2]


def test_plain_unwraps_the_sdk_proxies_and_keeps_unknowns_and_secrets_marked() -> None:
    from pulumi_policy import Secret

    proxied = unknown_checking_proxy({"a": {"b": ["04da6b54-80e4-46f7-96ec-b56ff0331ba9"]}, "c": 1})
    assert crossguard.plain(proxied) == {"a": {"b": ["04da6b54-80e4-46f7-96ec-b56ff0331ba9"]}, "c": 1}
    marked = crossguard.plain({"password": Secret("x")})
    assert set(marked["password"]) & SECRET and marked["password"]["value"] == "x"


# -- through the SDK's analyzer service, as `pulumi preview --policy-pack` drives it ----------------------------------
def _struct(value: dict[str, Any]) -> struct_pb2.Struct:
    out = struct_pb2.Struct()
    json_format.ParseDict(value, out)
    return out


def analyze_stack_request(fixture: str) -> Any:
    states = _states(fixture)
    providers = {s["urn"]: s for s in states if s["type"].startswith("pulumi:providers:")}
    resources = []
    for state in states:
        kwargs: dict[str, Any] = {}
        if state.get("provider"):
            prov = providers[state["provider"].rsplit("::", 1)[0]]
            kwargs["provider"] = proto.AnalyzerProviderResource(type=prov["type"], properties=_struct(_props(prov)),
                                                                urn=prov["urn"], name=prov["urn"].rsplit("::", 1)[-1])
        resources.append(proto.AnalyzerResource(
            type=state["type"], properties=_struct(_props(state)), urn=state["urn"],
            name=state["urn"].rsplit("::", 1)[-1],
            options=proto.AnalyzerResourceOptions(parent=state.get("parent") or ""),
            parent=state.get("parent") or "",
            dependencies=state.get("dependencies", []),
            propertyDependencies={k: proto.AnalyzerPropertyDependencies(urns=v)
                                  for k, v in (state.get("propertyDependencies") or {}).items()},
            **kwargs))
    return proto.AnalyzeStackRequest(resources=resources)


def test_the_sdk_analyzer_service_reports_mandatory_and_advisory_diagnostics(pack) -> None:
    _, policies = pack
    servicer = _PolicyAnalyzerServicer(crossguard.PACK_NAME, "0.1.0", policies, EnforcementLevel.ADVISORY)
    response = servicer.AnalyzeStack(analyze_stack_request("stack-export-v7.json"), None)
    levels = {(d.policyName, short(d.urn)): d.enforcementLevel for d in response.diagnostics}
    assert levels[("VG-EC2-004", "bastion")] == proto.MANDATORY             # critical
    assert levels[("VG-DDB-002", "eligibility-cache")] == proto.MANDATORY   # high
    assert levels[("VG-RDS-006", "claims-db")] == proto.ADVISORY            # medium
    assert levels[("VG-LOG-002", "claims-flow-logs")] == proto.ADVISORY     # medium
    assert len(levels) == 11
    assert all(d.policyPackName == "vendorguard" for d in response.diagnostics)


def test_enforcement_is_overridable_through_the_pack_config(pack) -> None:
    _, policies = pack
    servicer = _PolicyAnalyzerServicer(crossguard.PACK_NAME, "0.1.0", policies, EnforcementLevel.ADVISORY)
    servicer.Configure(proto.ConfigureAnalyzerRequest(policyConfig={
        "VG-EC2-004": proto.PolicyConfig(enforcementLevel=proto.ADVISORY),
        "VG-LOG-002": proto.PolicyConfig(enforcementLevel=proto.MANDATORY),
        "VG-LMB-001": proto.PolicyConfig(enforcementLevel=proto.DISABLED),
    }), None)
    response = servicer.AnalyzeStack(analyze_stack_request("stack-export-v7.json"), None)
    levels = {(d.policyName, short(d.urn)): d.enforcementLevel for d in response.diagnostics}
    assert levels[("VG-EC2-004", "bastion")] == proto.ADVISORY
    assert levels[("VG-LOG-002", "claims-flow-logs")] == proto.MANDATORY
    assert ("VG-LMB-001", "claims-ingest") not in levels


def test_the_analyzer_service_passes_the_unknown_setting_from_the_pack_config(pack) -> None:
    _, policies = pack
    servicer = _PolicyAnalyzerServicer(crossguard.PACK_NAME, "0.1.0", policies, EnforcementLevel.ADVISORY)
    request = analyze_stack_request("preview.json")
    before = {(d.policyName, short(d.urn)) for d in servicer.AnalyzeStack(request, None).diagnostics}
    assert ("VG-EC2-001", "scratch") in before
    servicer.Configure(proto.ConfigureAnalyzerRequest(policyConfig={
        "VG-EC2-001": proto.PolicyConfig(enforcementLevel=proto.MANDATORY, properties=_struct({"unknown": "ignore"})),
    }), None)
    after = {(d.policyName, short(d.urn)) for d in servicer.AnalyzeStack(copy.deepcopy(request), None).diagnostics}
    assert ("VG-EC2-001", "scratch") not in after
    assert ("VG-RDS-003", "claims-db") in after
