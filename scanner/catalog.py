"""Loads the rule catalog and the packs: data from `policies/`, plus users' own files.

Rules are defined once; packs only map a framework's controls to rule ids.  A policy file holds
``rules:``, a ``pack:``, or both, in the format `policies/schemas/policy.schema.json` fixes.
Shipped files are checked against that schema by the test suite, so a normal run skips
``jsonschema`` (it is slow to import); users' files are always validated.  Conditions are compiled
here, once, so a bad expression is reported with its file and rule before any scanning starts.
YAML goes through the safe loader only: a pack is data and can never run code.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Iterable

import jmespath
from jmespath.exceptions import JMESPathError

from .condition import PARSED, Compiled, Compiler, ConditionError, field_paths, functions_called, parse
from .datafiles import parsed
from .errors import InputError
from .functions import CONTEXT_FUNCTIONS, UNKNOWN_AWARE, VendorguardFunctions


@cache
def _loader() -> type:
    """The safe loader, but a date that does not exist (``expires: 2026-02-30``) is a YAML error at
    its line, not a bare ValueError from `datetime`.  Built when a file is parsed: PyYAML takes
    longer to import than a scan of the shipped rules takes to start (`datafiles`)."""
    import yaml

    class Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        def construct_yaml_timestamp(self, node: Any) -> Any:
            try:
                return super().construct_yaml_timestamp(node)
            except ValueError as exc:
                raise yaml.constructor.ConstructorError(None, None, f"{node.value} is not a date ({exc})",
                                                        node.start_mark) from None

    Loader.add_constructor("tag:yaml.org,2002:timestamp", Loader.construct_yaml_timestamp)
    return Loader

DEFAULT_PACKS = ("hipaa", "vendor-article")


@dataclass(slots=True, eq=False)
class Rule:
    """One check, compiled and ready to evaluate."""

    id: str
    title: str
    severity: str
    domain: str
    resource_types: tuple[str, ...]
    scope: str
    sources: frozenset[str] | None
    condition_text: str
    applies_if_text: str | None
    evidence_paths: tuple[str, ...]
    #: The rule calls own_account(): where the source does not say the account, it is undecided.
    reads_account: bool
    rationale: str
    remediation: dict[str, Any]
    references: dict[str, list[str]]
    origin: str
    condition: Compiled = field(repr=False)
    applies_if: Compiled | None = field(repr=False)
    evidence: tuple[Compiled, ...] = field(repr=False)


@dataclass(slots=True)
class Control:
    id: str
    title: str
    description: str
    rules: tuple[str, ...]


@dataclass(slots=True)
class Pack:
    id: str
    title: str
    version: str
    description: str
    controls: tuple[Control, ...]
    origin: str
    digest: str

    def rule_ids(self) -> list[str]:
        seen: dict[str, None] = {}
        for control in self.controls:
            seen.update(dict.fromkeys(control.rules))
        return list(seen)


@dataclass(slots=True)
class Catalog:
    rules: dict[str, Rule]
    packs: dict[str, Pack]


@dataclass(slots=True)
class Selection:
    """The rules a scan runs, and for each rule the pack controls that cite it."""

    packs: list[Pack]
    rules: list[Rule]
    controls: dict[str, list[str]]
    #: Every rule known to the scan (shipped and users'), which tells "no rule for this type" from
    #: "not selected" in the coverage list; None for a selection built by hand (the shipped catalog).
    catalog: Catalog | None = field(default=None, repr=False, compare=False)


@cache
def compiler() -> Compiler:
    return Compiler(VendorguardFunctions(), UNKNOWN_AWARE, CONTEXT_FUNCTIONS)


@cache
def policy_schema() -> dict[str, Any]:
    text = resources.files("vendorguard.policies").joinpath("schemas/policy.schema.json").read_text()
    return json.loads(text)


#: A policy file holds at most this many values once YAML aliases are expanded.  Aliases let a
#: few lines stand for billions of values (the "billion laughs"), which every later step — schema
#: validation, a schema error's repr — would walk; real packs hold a few thousand.
MAX_YAML_VALUES = 200_000


def read_yaml(name: str, text: str, untrusted: bool = True) -> Any:
    """A YAML document through the safe loader; an untrusted one (a user's pack, a waivers file)
    is also checked for alias bombs and recursive aliases."""
    import yaml

    try:
        document = yaml.load(text, Loader=_loader())  # noqa: S506 - CSafeLoader/SafeLoader only
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(name, f"not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise InputError(name, "not valid YAML: nested too deeply") from None
    except ValueError as exc:  # an integer of more than 4,300 digits
        raise InputError(name, f"not valid YAML: {exc}"[:200]) from None
    if untrusted:
        _check_expansion(name, document)
    return document


@cache
def shipped_schema(name: str) -> dict[str, Any]:
    """One of the published schemas under policies/schemas/ (`name` without `.schema.json`)."""
    return json.loads(resources.files("vendorguard.policies").joinpath(f"schemas/{name}.schema.json").read_text())


def load_checked_yaml(path: str, schema: str, prepare: Any = None) -> Any:
    """A user's YAML file (waivers, vendors), checked against a shipped schema: the document, or
    an InputError naming the file and the first place it breaks.  `prepare` may adjust what YAML
    reads differently from JSON (a bare date) before the check."""
    import jsonschema  # deferred: slow to import, needed only for users' files

    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot read: {exc}") from None
    document = read_yaml(path, text)
    if prepare is not None:
        prepare(document)
    validator = jsonschema.Draft202012Validator(shipped_schema(schema))
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(top level)"
        raise InputError(path, f"schema error at {where}: {errors[0].message}")
    return document


def _check_expansion(name: str, document: Any) -> None:
    """Refuse a document that refers to itself (a recursive alias) or that aliases expand past
    `MAX_YAML_VALUES`.  Counted without expanding: each shared node is sized once."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Any, bool]] = [(document, False)]
    while stack:
        node, children_done = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        key = id(node)
        children = list(node.keys()) + list(node.values()) if isinstance(node, dict) else node
        if children_done:
            open_nodes.discard(key)
            sizes[key] = 1 + sum(sizes.get(id(c), 1) for c in children)
            if sizes[key] > MAX_YAML_VALUES:
                raise InputError(name, f"more than {MAX_YAML_VALUES} values once its aliases are expanded "
                                       "(a policy file is data, not a generator)")
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise InputError(name, "a YAML alias refers to a value that contains it (a recursive structure)")
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if isinstance(c, (dict, list)))


def validate_document(name: str, document: Any) -> None:
    """Schema check of one policy file; the first error, with its location, as an InputError."""
    import jsonschema  # deferred: costs ~100 ms to import, needed only for users' files

    validator = jsonschema.Draft202012Validator(policy_schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
    if errors:
        error = errors[0]
        location = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InputError(name, f"schema error at {location}: {error.message}")


def _compile(name: str, rule_id: str, what: str, text: str) -> Compiled:
    try:
        return compiler().compile(text)
    except ConditionError as exc:
        raise InputError(name, f"rule {rule_id}: {what} is not a valid condition: {exc}") from None
    except RecursionError:
        raise InputError(name, f"rule {rule_id}: {what} is nested too deeply to compile") from None
    except ValueError as exc:  # jmespath's lexer: int() of a number past Python's 4,300 digits
        raise InputError(name, f"rule {rule_id}: {what} is not a valid condition: {exc}") from None


def _build_rule(name: str, raw: dict[str, Any]) -> Rule:
    rule_id = raw["id"]
    condition = _compile(name, rule_id, "condition", raw["condition"])
    applies_if = raw.get("applies_if")
    applicability = _compile(name, rule_id, "applies_if", applies_if) if applies_if else None
    evidence_paths = tuple(raw.get("evidence") or field_paths(raw["condition"]))
    return Rule(
        id=rule_id,
        title=raw["title"],
        severity=raw["severity"],
        domain=raw["domain"],
        resource_types=tuple(raw["resource_types"]),
        scope=raw.get("scope", "resource"),
        sources=frozenset(raw["sources"]) if raw.get("sources") else None,
        condition_text=raw["condition"],
        applies_if_text=applies_if,
        evidence_paths=evidence_paths,
        reads_account=any("own_account" in functions_called(e) for e in (raw["condition"], applies_if) if e),
        rationale=raw["rationale"],
        remediation=raw["remediation"],
        references=raw["references"],
        origin=name,
        condition=condition,
        applies_if=applicability,
        evidence=tuple(_compile(name, rule_id, "evidence", p) for p in evidence_paths),
    )


def _build_pack(name: str, raw: dict[str, Any], text: str) -> Pack:
    return Pack(
        id=raw["id"],
        title=raw["title"],
        version=str(raw["version"]),
        description=raw.get("description", ""),
        controls=tuple(
            Control(c["id"], c["title"], c.get("description", ""), tuple(c["rules"]))
            for c in raw["controls"]
        ),
        origin=name,
        digest="sha256:" + hashlib.sha256(text.encode()).hexdigest(),
    )


def _add_file(catalog: Catalog, name: str, text: str, validate: bool) -> Pack | None:
    """Add one policy file's rules and pack.  A shipped file not validated here (the tests do) is
    parsed once per content (`datafiles`); a user's file is parsed and checked each time."""
    if validate:
        document = read_yaml(name, text)
    else:
        kept = parsed(name.removeprefix("policies/"), text, lambda t: _with_trees(read_yaml(name, t, untrusted=False)),
                      f"policy file and jmespath {jmespath.__version__} trees")
        document = kept["document"]
        PARSED.update(kept["trees"])
    if validate:
        validate_document(name, document)
    elif not isinstance(document, dict):
        raise InputError(name, "not a policy file (expected a mapping with rules: and/or pack:)")
    for raw in document.get("rules") or []:
        if raw["id"] in catalog.rules:
            other = catalog.rules[raw["id"]].origin
            raise InputError(name, f"rule {raw['id']} is already defined in {other}")
        catalog.rules[raw["id"]] = _build_rule(name, raw)
    raw_pack = document.get("pack")
    if raw_pack is None:
        return None
    if raw_pack["id"] in catalog.packs:
        raise InputError(name, f"pack {raw_pack['id']} is already defined in "
                               f"{catalog.packs[raw_pack['id']].origin}")
    pack = _build_pack(name, raw_pack, text)
    catalog.packs[pack.id] = pack
    return pack


def _with_trees(document: Any) -> dict[str, Any]:
    """A shipped policy file's document with the syntax trees of its expressions, kept together
    (`datafiles`) so that the next run neither parses the YAML nor the conditions.  An expression
    that does not parse has no tree: compiling it reports the error with its file and rule."""
    trees = {}
    for raw in (document.get("rules") or []) if isinstance(document, dict) else []:
        for text in (raw.get("condition"), raw.get("applies_if"), *(raw.get("evidence") or [])):
            if isinstance(text, str):
                try:
                    trees[text] = parse(text)
                except (JMESPathError, ValueError, RecursionError):
                    pass
    return {"document": document, "trees": trees}


def _check_references(catalog: Catalog, packs: Iterable[Pack]) -> None:
    for pack in packs:
        for control in pack.controls:
            missing = [r for r in control.rules if r not in catalog.rules]
            if missing:
                raise InputError(pack.origin, f"control {control.id} of pack {pack.id} cites "
                                              f"unknown rule(s) {', '.join(missing)}")


def shipped_files() -> list[tuple[str, str]]:
    """(name, text) of every shipped rule and pack file, rules first."""
    root = resources.files("vendorguard.policies")
    out = []
    for folder in ("rules", "packs"):
        for entry in sorted(root.joinpath(folder).iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".yaml"):
                out.append((f"policies/{folder}/{entry.name}", entry.read_text()))
    return out


#: Policy files are a few kilobytes; a larger one is refused before it is read.
MAX_POLICY_BYTES = 16 * 2**20


def _read_user_file(path: str) -> str:
    try:
        if Path(path).stat().st_size > MAX_POLICY_BYTES:
            raise InputError(path, f"larger than {MAX_POLICY_BYTES // 2**20} MiB: not a policy file")
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, f"cannot read: {exc}") from None


def load_catalog(user_files: Iterable[str] = (), validate_shipped: bool = False) -> tuple[Catalog, list[Pack | str]]:
    """The shipped catalog plus users' files.

    Returns the catalog and, per user file in order, the pack it defines or its name when it only
    defines rules (those rules are selected as they are).
    """
    catalog = Catalog({}, {})
    for name, text in shipped_files():
        _add_file(catalog, name, text, validate_shipped)
    user: list[Pack | str] = []
    for path in user_files:
        pack = _add_file(catalog, path, _read_user_file(path), validate=True)
        user.append(pack if pack is not None else path)
    _check_references(catalog, catalog.packs.values())
    return catalog, user


def select(pack_args: Iterable[str]) -> tuple[Catalog, Selection]:
    """Resolve ``--pack`` arguments (shipped pack names or files) into the rules to run.

    With no arguments, the shipped packs run.  A file that only defines rules adds those rules.
    """
    pack_args = list(pack_args) or list(DEFAULT_PACKS)
    files = [a for a in pack_args if a.endswith((".yaml", ".yml", ".json")) or "/" in a]
    catalog, user = load_catalog(files)
    packs: list[Pack] = []
    extra_rules: list[str] = []
    by_file = dict(zip(files, user))
    for arg in pack_args:
        if arg in by_file:
            got = by_file[arg]
            if isinstance(got, Pack):
                packs.append(got)
            else:
                extra_rules.extend(r.id for r in catalog.rules.values() if r.origin == arg)
        elif arg in catalog.packs:
            packs.append(catalog.packs[arg])
        else:
            known = ", ".join(sorted(catalog.packs))
            raise InputError(arg, f"no such pack (shipped packs: {known}; or give a .yaml file)")
    controls: dict[str, list[str]] = {}
    for pack in packs:
        for control in pack.controls:
            for rule_id in control.rules:
                controls.setdefault(rule_id, []).append(f"{pack.id}:{control.id}")
    wanted = list(dict.fromkeys([r for p in packs for r in p.rule_ids()] + extra_rules))
    return catalog, Selection(packs, [catalog.rules[r] for r in wanted], controls, catalog)
