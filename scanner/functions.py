"""The named functions rule conditions may call, for what JMESPath cannot say cleanly.

Each answers one domain question — does this bucket policy deny non-TLS access, does this IAM
policy grant ``*`` on ``*``, does this trust policy let another account in without
``sts:ExternalId``, does this ingress rule open port 22 to the world — and each is unit-tested.
Policy documents are accepted as JSON text (Terraform, live AWS) or as objects (Pulumi).

Functions listed in `UNKNOWN_AWARE` receive UNKNOWN values and decide for themselves: an ingress
list with one known world-open SSH rule FAILs even if another rule's CIDR is not known yet.
Every other function returns UNKNOWN as soon as any argument contains UNKNOWN.

Functions listed in `CONTEXT_FUNCTIONS` answer about the resource being evaluated, not about a
value: they take no JMESPath arguments, and the compiled condition calls them with the
`EvalContext` it was given.
"""
from __future__ import annotations

import ipaddress
import json
import re
from functools import lru_cache
from typing import Any, Iterable

from jmespath import functions as jp

from .context import EvalContext
from .model import REDACTED, UNKNOWN

_ACCOUNT_ARN = re.compile(r"^arn:aws[a-z-]*:iam::(\d{12}):")
_ACCOUNT_ID = re.compile(r"^\d{12}$")

#: Condition keys that tie a wildcard principal to something the owner controls.
_RESTRICTING_KEYS = {
    "aws:sourceaccount",
    "aws:sourceowner",
    "aws:sourcearn",
    "aws:sourcevpc",
    "aws:sourcevpce",
    "aws:principalorgid",
    "aws:principalaccount",
    "aws:principalarn",
    "aws:sourceorgid",
    "aws:resourceorgid",
    "aws:principalorgpaths",
    "kms:calleraccount",
    "kms:viaservice",
}

#: Condition keys that tie a caller to the vendor's networks (a private API's fence).
_VPC_KEYS = {"aws:sourcevpc", "aws:sourcevpce"}

#: Name tokens that say a value is a secret (SSM parameter names: ``/prod/db/password``).  Whole
#: tokens only, so that ``compass`` or ``monkey`` are not secrets; long words also inside a token
#: (``dbPassword``, ``stripe_apikey``).
_SECRET_TOKENS = {"password", "passwd", "pwd", "passphrase", "secret", "secrets", "token", "tokens", "credential",
                  "credentials", "creds", "key", "keys", "apikey", "privatekey", "accesskey", "secretkey"}
_SECRET_WORDS = ("password", "passwd", "passphrase", "secret", "credential", "apikey", "privatekey", "accesskey",
                 "authtoken")
#: A ``key`` followed by one of these names a key, not a key's secret material (``/app/kms/key-id``).
_KEY_REFERENCES = {"id", "ids", "arn", "arns", "alias", "name", "names", "rotation", "pair", "usage", "spec"}


def _name_tokens(name: str) -> list[str]:
    """Lower-case word tokens of a name: split at punctuation and camelCase humps."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [t for t in re.split(r"[^a-z0-9]+", spaced.lower()) if t]


def secret_like_name(name: str) -> bool:
    """Whether a parameter name says its value is a secret (password, token, key, credential...)."""
    tokens = _name_tokens(name)
    for index, token in enumerate(tokens):
        if token in ("key", "keys") and index + 1 < len(tokens) and tokens[index + 1] in _KEY_REFERENCES:
            continue
        if token in _SECRET_TOKENS or any(word in token for word in _SECRET_WORDS):
            return True
    return False


_PHI_TAG_KEYS = {"dataclassification", "classification", "phi", "hipaa", "datatype", "sensitivity"}
_PHI_TAG_VALUES = {"phi", "ephi", "hipaa", "true", "yes", "pii/phi", "restricted-phi"}


def policy_document(policy: Any) -> dict[str, Any] | None:
    """A policy as a dict, from JSON text or an object; None when absent or unreadable."""
    if isinstance(policy, dict):
        return policy
    if isinstance(policy, str) and policy.strip() and policy != REDACTED:
        try:
            parsed = json.loads(policy)
        except ValueError:
            return None
        except RecursionError:
            # Valid JSON nested deeper than the parser's stack: not "no policy" (that could PASS a
            # rule on a document nobody read) but a condition that cannot be evaluated: UNKNOWN.
            raise ValueError("a policy document nested too deeply to read") from None
        return parsed if isinstance(parsed, dict) else None
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def statements(policy: Any) -> list[dict[str, Any]]:
    """The statements of a policy document, always as a list of dicts."""
    doc = policy_document(policy)
    if doc is None:
        return []
    return [s for s in _as_list(doc.get("Statement")) if isinstance(s, dict)]


def _condition_keys(statement: dict[str, Any]) -> dict[str, Any]:
    """Condition key (lower-cased) → value, across all operators of a statement."""
    keys: dict[str, Any] = {}
    condition = statement.get("Condition")
    if isinstance(condition, dict):
        for block in condition.values():
            if isinstance(block, dict):
                for key, value in block.items():
                    keys[key.lower()] = value
    return keys


def _vpc_operators(statement: dict[str, Any]) -> set[bool]:
    """For each condition operator of a statement that tests a VPC key, whether it is a negated one
    (``StringNotEquals``…).  A Deny fences callers only with a negated test ("not from our
    endpoint"), an Allow only with a plain one ("from our endpoint"): ``Deny … StringEquals
    aws:SourceVpce vpce-x`` shuts out one endpoint and lets every other in."""
    condition = statement.get("Condition")
    blocks = condition.items() if isinstance(condition, dict) else ()
    return {"not" in str(operator).lower() for operator, block in blocks
            if isinstance(block, dict) and _VPC_KEYS & {str(k).lower() for k in block}}


@lru_cache(maxsize=1024)
def _action_pattern(action: str) -> re.Pattern[str]:
    """An IAM action with its wildcards as a regex: compiled once per distinct action text (a
    plan repeats the same few hundred), not once per statement read."""
    return re.compile("^" + re.escape(action.lower()).replace(r"\*", ".*").replace(r"\?", ".") + "$")


def _actions_match(statement: dict[str, Any], wanted: Iterable[str]) -> bool:
    """Whether the statement's Action covers any of `wanted` (IAM wildcards honoured)."""
    for action in _as_list(statement.get("Action")):
        regex = _action_pattern(str(action))
        if any(regex.match(w.lower()) for w in wanted):
            return True
    return False


def _principals(statement: dict[str, Any]) -> tuple[bool, list[str]]:
    """(wildcard?, AWS principals) of a statement; service and federated principals ignored."""
    principal = statement.get("Principal")
    if principal == "*":
        return True, []
    if not isinstance(principal, dict):
        return False, []
    aws = [str(p) for p in _as_list(principal.get("AWS"))]
    return "*" in aws, [p for p in aws if p != "*"]


def _is_world(cidr: Any) -> bool:
    return isinstance(cidr, str) and _world_cidr(cidr)


@lru_cache(maxsize=4096)
def _world_cidr(cidr: str) -> bool:
    """Whether a CIDR is the whole address space.  Parsed once per distinct text: ipaddress's
    parse was a third of judging a plan's security groups, and a plan repeats its few CIDRs."""
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return False


def _port_range(rule: dict[str, Any]) -> tuple[int, int] | None | Any:
    """The (from, to) ports a rule opens; (0, 65535) for all traffic; None for ICMP and the like;
    UNKNOWN when the protocol is not known (it could be all traffic: never read as "no ports")."""
    raw = rule.get("protocol", rule.get("ip_protocol", ""))
    if raw is UNKNOWN:
        return UNKNOWN
    protocol = str(raw).lower()
    if protocol in ("-1", "all"):
        return (0, 65535)
    if protocol not in ("tcp", "udp", "6", "17"):
        return None
    low, high = rule.get("from_port"), rule.get("to_port")
    if low is UNKNOWN or high is UNKNOWN:
        return UNKNOWN
    if low is None or high is None:
        return (0, 65535)
    return (int(low), int(high))


def _covers_all(span: tuple[int, int]) -> bool:
    return span[0] <= 1 and span[1] >= 65535


def _world_sources(rule: dict[str, Any]) -> list[str] | Any:
    """The world-open CIDRs a rule admits (IPv4 and IPv6; both the inline and NACL shapes)."""
    cidrs = (
        _as_list(rule.get("cidr_blocks"))
        + _as_list(rule.get("ipv6_cidr_blocks"))
        + _as_list(rule.get("cidr_block"))
        + _as_list(rule.get("ipv6_cidr_block"))
    )
    if any(c is UNKNOWN for c in cidrs) or rule.get("cidr_blocks") is UNKNOWN:
        known = [c for c in cidrs if _is_world(c)]
        return known or UNKNOWN
    return [c for c in cidrs if _is_world(c)]


def _world_ingress(rules: Any, ports: list[int] | None) -> Any:
    """Descriptions of allow rules open to the world on any of `ports` (None: on all ports).

    Network ACL entries (they carry ``rule_no``) are evaluated in order, as AWS does: a port is
    open only if the first world-sourced entry that covers it allows it.
    """
    if rules is UNKNOWN:
        return UNKNOWN
    entries = _as_list(rules)
    if any(isinstance(e, dict) and "rule_no" in e for e in entries):
        entries = sorted(entries, key=lambda e: e.get("rule_no") if isinstance(e, dict) and
                         isinstance(e.get("rule_no"), int) else 0)
    offending: list[str] = []
    undecided = False
    closed: set[int] = set()     # ports a lower-numbered NACL deny already decided
    closed_all = False
    for rule in entries:
        if rule is UNKNOWN:
            undecided = True
            continue
        if not isinstance(rule, dict):
            continue
        action = rule.get("action", "allow")
        span = _port_range(rule)
        sources = _world_sources(rule)
        if action is UNKNOWN or span is UNKNOWN or sources is UNKNOWN:
            undecided = True
            continue
        if span is None or sources == []:
            continue
        low, high = span
        if str(action).lower() != "allow":
            closed_all = closed_all or _covers_all(span)
            closed.update(p for p in (ports or []) if low <= p <= high)
            continue
        if ports is None:
            hit = _covers_all(span) and not closed_all
        else:
            hit = any(low <= p <= high and p not in closed for p in ports)
        if hit:
            where = "all ports" if _covers_all(span) else (
                f"port {low}" if low == high else f"ports {low}-{high}")
            offending.append(f"{where} open to {', '.join(sources)}")
    if offending:
        return offending
    return UNKNOWN if undecided else []


class VendorguardFunctions(jp.Functions):
    """JMESPath's built-ins plus the domain predicates."""

    @jp.signature({"types": ["string", "null", "object"]})
    def _func_from_json(self, text: Any) -> Any:
        """Parse a JSON string (policies, event patterns); null when it is not JSON."""
        if isinstance(text, dict):
            return text
        if not isinstance(text, str):
            return None
        try:
            return json.loads(text)
        except ValueError:
            return None
        except RecursionError:
            raise ValueError("a JSON document nested too deeply to read") from None

    @jp.signature({"types": ["string", "array", "null"]})
    def _func_containers(self, definitions: Any) -> Any:
        """The container definitions of an ECS task definition (JSON text in every source), as a
        list of objects.  Withheld or unreadable text is UNKNOWN, never "no containers": a rule
        must not pass a task definition it could not read."""
        if definitions is None or definitions == REDACTED:
            return UNKNOWN  # container_definitions is required: absent is not read, not empty
        document = self._func_from_json(definitions) if isinstance(definitions, str) else definitions
        if not isinstance(document, list) or not all(isinstance(c, dict) for c in document):
            return UNKNOWN
        return document

    @jp.signature({"types": ["array", "object", "string", "null"]})
    def _func_count(self, value: Any) -> Any:
        """``length()`` that counts null as 0 (no ``|| `[]``` guards needed) and counts elements
        whose value is not known yet: a list of two unknown subnet ids has two subnets."""
        if value is UNKNOWN:
            return UNKNOWN
        return 0 if value is None else len(value)

    @jp.signature({"types": ["string", "null"]})
    def _func_lower(self, text: Any) -> Any:
        return text.lower() if isinstance(text, str) else None

    @jp.signature({"types": ["string", "object", "null"]})
    def _func_denies_insecure_transport(self, policy: Any) -> Any:
        """A Deny for every principal when ``aws:SecureTransport`` is false (or TLS < 1.2)."""
        if policy == REDACTED:
            return UNKNOWN
        for st in statements(policy):
            if st.get("Effect") != "Deny":
                continue
            wildcard, _ = _principals(st)
            if not wildcard:
                continue
            keys = _condition_keys(st)
            secure = keys.get("aws:securetransport")
            if str(secure).lower() in ("false", "['false']") or secure == [False] or secure is False:
                return True
            if "s3:tlsversion" in keys:
                return True
        return False

    @jp.signature({"types": ["string", "object", "null"]})
    def _func_grants_full_admin(self, policy: Any) -> Any:
        """An Allow of every action on every resource (``*`` / ``*:*`` on ``*``)."""
        if policy == REDACTED:
            return UNKNOWN
        for st in statements(policy):
            if st.get("Effect") != "Allow":
                continue
            actions = [str(a) for a in _as_list(st.get("Action"))]
            resources = [str(r) for r in _as_list(st.get("Resource"))]
            if any(a in ("*", "*:*") for a in actions) and "*" in resources:
                return True
        return False

    @jp.signature({"types": ["string", "object", "null"]})
    def _func_public_grants(self, policy: Any) -> Any:
        """Sids (or positions) of Allow statements open to any principal with no restricting condition."""
        if policy == REDACTED:
            return UNKNOWN
        found = []
        for index, st in enumerate(statements(policy)):
            if st.get("Effect") != "Allow":
                continue
            wildcard, _ = _principals(st)
            if wildcard and not (_RESTRICTING_KEYS & set(_condition_keys(st))):
                found.append(str(st.get("Sid") or f"statement {index}"))
        return found

    @jp.signature({"types": ["string", "object", "null"]})
    def _func_vpc_unfenced_grants(self, policy: Any) -> Any:
        """Sids (or positions) of Allow statements open to any principal that no network fence
        holds: neither their own ``aws:SourceVpce``/``aws:SourceVpc`` condition nor a Deny for
        every principal conditioned on one (AWS's private-API pattern: Allow ``*``, then Deny
        ``StringNotEquals aws:SourceVpce``).  Other restricting keys do not count: a private API
        policy that names an account still admits that account's endpoints in any VPC."""
        if policy == REDACTED:
            return UNKNOWN
        fenced = any(st.get("Effect") == "Deny" and _principals(st)[0] and True in _vpc_operators(st)
                     for st in statements(policy))
        if fenced:
            return []
        return [str(st.get("Sid") or f"statement {index}") for index, st in enumerate(statements(policy))
                if st.get("Effect") == "Allow" and _principals(st)[0] and False not in _vpc_operators(st)]

    @jp.signature({"types": ["string", "object", "null"]}, {"types": ["string", "null"]})
    def _func_untrusted_principals(self, policy: Any, own_account: Any) -> Any:
        """Principals a trust policy lets assume the role from another account without ExternalId.

        A wildcard principal always counts.  An account principal counts unless it is the owning
        account; when the owning account is not known, such a principal makes the answer UNKNOWN
        (unless another principal already decides it), because it may or may not be foreign.
        """
        if policy is UNKNOWN or policy == REDACTED:
            return UNKNOWN
        definite: list[str] = []
        undecided = False
        for st in statements(policy):
            if st.get("Effect") != "Allow":
                continue
            if not _actions_match(st, ["sts:AssumeRole"]):
                continue
            if "sts:externalid" in _condition_keys(st):
                continue
            wildcard, principals = _principals(st)
            if wildcard:
                definite.append("*")
            for principal in principals:
                match = _ACCOUNT_ARN.match(principal)
                account = match.group(1) if match else (
                    principal if _ACCOUNT_ID.match(principal) else None)
                if account is None:
                    # Not an ARN we can read (e.g. an unresolved interpolation): cannot tell.
                    undecided = True
                elif own_account is UNKNOWN or own_account is None:
                    undecided = True
                elif account != own_account:
                    definite.append(principal)
        if definite:
            return definite
        return UNKNOWN if undecided else []

    @jp.signature()
    def _func_own_account(self, ctx: EvalContext) -> Any:
        """The account that owns the resource, or UNKNOWN where the source does not say."""
        return ctx.account or UNKNOWN

    @jp.signature()
    def _func_resource_type(self, ctx: EvalContext) -> str | None:
        """The Terraform type of the resource, for rules that cover several types."""
        return ctx.resource_type

    @jp.signature({"types": ["array", "null"]}, {"types": ["array-number"]})
    def _func_world_ingress(self, rules: Any, ports: list[int]) -> Any:
        """Allow rules open to 0.0.0.0/0 or ::/0 whose port range covers any of `ports`."""
        return _world_ingress(rules, [int(p) for p in ports])

    @jp.signature({"types": ["array", "null"]})
    def _func_world_ingress_all_ports(self, rules: Any) -> Any:
        """Allow rules open to the world on every port (protocol -1 or 0-65535)."""
        return _world_ingress(rules, None)

    @jp.signature({"types": ["string", "null"]})
    def _func_secret_like_name(self, name: Any) -> bool:
        """Whether a name says the value it names is a secret (`secret_like_name`)."""
        return isinstance(name, str) and secret_like_name(name)

    @jp.signature({"types": ["object", "null"]})
    def _func_phi_tagged(self, tags: Any) -> bool:
        """Whether tags classify the resource as holding PHI (e.g. ``DataClassification = PHI``)."""
        if not isinstance(tags, dict):
            return False
        for key, value in tags.items():
            norm = re.sub(r"[^a-z]", "", str(key).lower())
            if norm in _PHI_TAG_KEYS and str(value).strip().lower() in _PHI_TAG_VALUES:
                return True
        return False


#: A sensitive (withheld) policy is not an empty one: the policy functions above answer UNKNOWN.
#: Functions that accept UNKNOWN arguments and decide themselves (see module docstring).
UNKNOWN_AWARE = frozenset({"world_ingress", "world_ingress_all_ports", "untrusted_principals", "count"})

#: Functions called with the evaluation context (see module docstring).
CONTEXT_FUNCTIONS = frozenset({"own_account", "resource_type"})
