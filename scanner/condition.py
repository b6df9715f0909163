"""JMESPath conditions, compiled once to Python closures, with three-valued logic.

Rules are JMESPath expressions over a resource's attributes.  Stock JMESPath has no notion of a
value that is not known yet, so a plan-time unknown would read as null and a rule like
``storage_encrypted == `true``` would FAIL (or worse, a negated one would PASS).  Here UNKNOWN
propagates: field access on it, comparisons with it and functions given it yield UNKNOWN;
``||`` and ``&&`` follow Kleene logic (``UNKNOWN || true`` is true, ``UNKNOWN && false`` is false);
a filter whose predicate is UNKNOWN for some element makes the filtered list UNKNOWN.  The engine
maps truthy → PASS, falsy → FAIL, UNKNOWN → UNKNOWN.

Compiling the AST to closures (instead of walking it per resource) keeps evaluation cheap: a
10,000-resource plan runs tens of thousands of conditions.  Each closure takes the value and the
`EvalContext` of the resource under evaluation, and hands the context to its children, so the
functions that answer about the resource itself (``own_account()``) read it from their argument.
"""
from __future__ import annotations

from itertools import repeat
from typing import Any, Callable, Iterable

import jmespath
from jmespath import exceptions as jp_exceptions
from jmespath import functions as _jp_functions
from jmespath import visitor as _jp_visitor
from jmespath.visitor import _equals, _is_actual_number, _is_comparable

from .context import EvalContext
from .model import REDACTED, UNKNOWN

#: A compiled condition: (value, context of the resource being evaluated) -> value.
Compiled = Callable[[Any, EvalContext], Any]


class ConditionError(ValueError):
    """A condition that does not parse, or calls a function that does not exist."""


#: Expression text → its JMESPath syntax tree (plain dicts, never changed once made).  The catalog
#: seeds it with the trees kept beside the shipped rules (`datafiles`): parsing every condition
#: again was an eighth of a small scan's start-up.
PARSED: dict[str, dict[str, Any]] = {}


def parse(expression: str) -> dict[str, Any]:
    """The syntax tree of an expression (jmespath's errors as it raises them)."""
    ast = PARSED.get(expression)
    if ast is None:
        ast = PARSED[expression] = jmespath.compile(expression).parsed
    return ast


def is_false(value: Any) -> bool:
    """JMESPath falsiness (UNKNOWN is neither true nor false: check for it first)."""
    return value is None or value is False or value == "" or value == [] or value == {}


def contains_unknown(value: Any) -> bool:
    """True when a value holds anything that cannot be judged: UNKNOWN, or a secret the source
    withheld (REDACTED).  Iterative, so a value nested thousands deep is no recursion hazard."""
    stack = [value]
    while stack:
        item = stack.pop()
        if item is UNKNOWN or item == REDACTED:
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def has_unknown_value(value: Any) -> bool:
    """True when UNKNOWN (not a withheld secret) appears anywhere in a value."""
    stack = [value]
    while stack:
        item = stack.pop()
        if item is UNKNOWN:
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _equal_to(literal: Any) -> Callable[[Any], bool]:
    """jmespath's ``_equals(a, literal)`` for one literal: Python's ``==``, except that a number 0
    or 1 never equals a boolean."""
    if literal is True or literal is False or literal is None:
        return lambda a: a is literal
    if isinstance(literal, str):
        return lambda a: a == literal
    if _is_actual_number(literal):
        return lambda a: a == literal and not isinstance(a, bool)
    return lambda a: _equals(a, literal)


def _is_null_or_empty_literal(node: dict[str, Any]) -> bool:
    return node["type"] == "literal" and node["value"] in (None, "")


class _Expression(_jp_visitor._Expression):
    """An ``&expr`` argument: jmespath's functions call ``.visit(expression, value)`` on it (and
    type-check it by its class name, hence the name).  That call has no room for the context, so
    each evaluation builds one holding the context it runs in."""

    def __init__(self, compiled: Compiled, ctx: EvalContext) -> None:
        super().__init__(None, None)
        self._compiled = compiled
        self._ctx = ctx

    def visit(self, node: Any, value: Any) -> Any:
        return self._compiled(value, self._ctx)


class Compiler:
    """Turns JMESPath text into a closure, given the function table to call into."""

    def __init__(self, functions: Any, unknown_aware: frozenset[str] = frozenset(),
                 context_functions: frozenset[str] = frozenset()) -> None:
        #: A jmespath Functions instance (built-ins plus our named domain functions).
        self.functions = functions
        #: Functions that decide for themselves what UNKNOWN arguments mean.
        self.unknown_aware = unknown_aware
        #: Functions that answer from the evaluation context alone: called with it, and no
        #: JMESPath arguments.
        self.context_functions = context_functions

    def compile(self, expression: str) -> Compiled:
        try:
            ast = parse(expression)
        except jp_exceptions.JMESPathError as exc:
            raise ConditionError(str(exc).replace("\n", " ")) from None
        return self._node(ast)

    # Each _node_* returns a closure (value, ctx) -> value that passes ctx to its children.
    def _node(self, node: dict[str, Any]) -> Compiled:
        method = getattr(self, "_node_" + node["type"], None)
        if method is None:  # pragma: no cover - the parser only emits known types
            raise ConditionError(f"unsupported JMESPath node {node['type']}")
        return method(node)

    def _node_field(self, node: dict[str, Any]) -> Compiled:
        key = node["value"]

        def field(value: Any, ctx: EvalContext) -> Any:
            if value is UNKNOWN:
                return UNKNOWN
            if isinstance(value, dict):
                return value.get(key)
            return None

        return field

    def _chain(self, node: dict[str, Any]) -> Compiled:
        steps = [self._node(child) for child in node["children"]]

        def chain(value: Any, ctx: EvalContext) -> Any:
            for step in steps:
                value = step(value, ctx)
            return value

        return chain

    _node_subexpression = _chain
    _node_index_expression = _chain
    _node_pipe = _chain

    def _node_index(self, node: dict[str, Any]) -> Compiled:
        index = node["value"]

        def index_(value: Any, ctx: EvalContext) -> Any:
            if value is UNKNOWN:
                return UNKNOWN
            if not isinstance(value, list):
                return None
            try:
                return value[index]
            except IndexError:
                return None

        return index_

    def _node_slice(self, node: dict[str, Any]) -> Compiled:
        window = slice(*node["children"])

        def slice_(value: Any, ctx: EvalContext) -> Any:
            if value is UNKNOWN:
                return UNKNOWN
            return value[window] if isinstance(value, list) else None

        return slice_

    def _node_current(self, node: dict[str, Any]) -> Compiled:
        return lambda value, ctx: value

    _node_identity = _node_current

    def _node_literal(self, node: dict[str, Any]) -> Compiled:
        literal = node["value"]
        return lambda value, ctx: literal

    def _node_comparator(self, node: dict[str, Any]) -> Compiled:
        left, right = (self._node(child) for child in node["children"])
        op = node["value"]

        if op in ("eq", "ne"):
            negate = op == "ne"
            right_is_literal = node["children"][1]["type"] == "literal"
            # "is it set?" may be asked of a withheld value: it is set.  Any other comparison of
            # one cannot be judged.
            presence_check = _is_null_or_empty_literal(node["children"][1])

            if right_is_literal:
                # Most conditions compare with a literal (``== `true```): jmespath's `_equals`
                # worked out once for it, and the unknown check inlined for scalars.
                same = _equal_to(node["children"][1]["value"])

                def equality_literal(value: Any, ctx: EvalContext) -> Any:
                    a = left(value, ctx)
                    if a is UNKNOWN or (not presence_check and (a == REDACTED or (
                            isinstance(a, (dict, list)) and contains_unknown(a)))):
                        return UNKNOWN
                    return same(a) != negate

                return equality_literal

            def equality(value: Any, ctx: EvalContext) -> Any:
                a, b = left(value, ctx), right(value, ctx)
                if a is UNKNOWN or (not presence_check and contains_unknown(a)) or contains_unknown(b):
                    return UNKNOWN
                return _equals(a, b) != negate

            return equality

        compare = {
            "lt": lambda a, b: a < b,
            "gt": lambda a, b: a > b,
            "lte": lambda a, b: a <= b,
            "gte": lambda a, b: a >= b,
        }[op]

        def ordering(value: Any, ctx: EvalContext) -> Any:
            a, b = left(value, ctx), right(value, ctx)
            if a is UNKNOWN or b is UNKNOWN or a == REDACTED or b == REDACTED:
                return UNKNOWN
            if not (_is_comparable(a) and _is_comparable(b)) or type(a) is not type(b) and not (
                _is_actual_number(a) and _is_actual_number(b)
            ):
                return None
            return compare(a, b)

        return ordering

    def _node_or_expression(self, node: dict[str, Any]) -> Compiled:
        left, right = (self._node(child) for child in node["children"])

        def or_(value: Any, ctx: EvalContext) -> Any:
            a = left(value, ctx)
            if a is not UNKNOWN and not is_false(a):
                return a
            b = right(value, ctx)
            if a is UNKNOWN:
                # Kleene: UNKNOWN || true is true.  Only a boolean true decides it: with any other
                # truthy value (``x || 'default'``) the result's *value* would still be unknown.
                return True if b is True else UNKNOWN
            return b

        return or_

    def _node_and_expression(self, node: dict[str, Any]) -> Compiled:
        left, right = (self._node(child) for child in node["children"])

        def and_(value: Any, ctx: EvalContext) -> Any:
            a = left(value, ctx)
            if a is not UNKNOWN and is_false(a):
                return a
            b = right(value, ctx)
            if a is UNKNOWN:
                # Kleene: UNKNOWN && false is false; UNKNOWN && true is UNKNOWN.
                return False if b is False or b is None else UNKNOWN
            return b

        return and_

    def _node_not_expression(self, node: dict[str, Any]) -> Compiled:
        inner = self._node(node["children"][0])

        def not_(value: Any, ctx: EvalContext) -> Any:
            a = inner(value, ctx)
            if a is UNKNOWN:
                return UNKNOWN
            if _is_actual_number(a) and a == 0:
                return False
            return is_false(a)

        return not_

    def _node_projection(self, node: dict[str, Any]) -> Compiled:
        return self._project(node, list, lambda items: items)

    def _node_value_projection(self, node: dict[str, Any]) -> Compiled:
        return self._project(node, dict, dict.values)

    def _project(self, node: dict[str, Any], container: type, members: Callable[[Any], Iterable[Any]]) -> Compiled:
        """A projection (`[*]` over a list's items, `*` over an object's values): UNKNOWN when the
        container is, null when the value is no such container, and nulls left out (JMESPath)."""
        base, each = (self._node(child) for child in node["children"])

        def project(value: Any, ctx: EvalContext) -> Any:
            items = base(value, ctx)
            if items is UNKNOWN:
                return UNKNOWN
            if not isinstance(items, container):
                return None
            return [got for got in map(each, members(items), repeat(ctx)) if got is not None]

        return project

    def _node_filter_projection(self, node: dict[str, Any]) -> Compiled:
        base, each, predicate = (self._node(child) for child in node["children"])

        def filter_projection(value: Any, ctx: EvalContext) -> Any:
            items = base(value, ctx)
            if items is UNKNOWN:
                return UNKNOWN
            if not isinstance(items, list):
                return None
            out = []
            for item in items:
                keep = predicate(item, ctx)
                if keep is UNKNOWN:
                    # Whether this element belongs in the list is not known, so neither is the list.
                    return UNKNOWN
                if not is_false(keep):
                    got = each(item, ctx)
                    if got is not None:
                        out.append(got)
            return out

        return filter_projection

    def _node_flatten(self, node: dict[str, Any]) -> Compiled:
        base = self._node(node["children"][0])

        def flatten(value: Any, ctx: EvalContext) -> Any:
            items = base(value, ctx)
            if items is UNKNOWN:
                return UNKNOWN
            if not isinstance(items, list):
                return None
            out: list[Any] = []
            for item in items:
                if isinstance(item, list):
                    out.extend(item)
                else:
                    out.append(item)
            return out

        return flatten

    def _node_multi_select_list(self, node: dict[str, Any]) -> Compiled:
        parts = [self._node(child) for child in node["children"]]

        def multi_list(value: Any, ctx: EvalContext) -> Any:
            if value is None:
                return None
            if value is UNKNOWN:
                return UNKNOWN
            return [part(value, ctx) for part in parts]

        return multi_list

    def _node_multi_select_dict(self, node: dict[str, Any]) -> Compiled:
        parts = [(child["value"], self._node(child["children"][0])) for child in node["children"]]

        def multi_dict(value: Any, ctx: EvalContext) -> Any:
            if value is None:
                return None
            if value is UNKNOWN:
                return UNKNOWN
            return {key: part(value, ctx) for key, part in parts}

        return multi_dict

    def _node_expref(self, node: dict[str, Any]) -> Compiled:
        compiled = self._node(node["children"][0])
        return lambda value, ctx: _Expression(compiled, ctx)

    def _node_function_expression(self, node: dict[str, Any]) -> Compiled:
        name = node["value"]
        if name not in self.functions.FUNCTION_TABLE:
            raise ConditionError(f"unknown function {name}()")
        functions = self.functions
        direct = functions.FUNCTION_TABLE[name]["function"]
        if name in self.context_functions:
            # Called directly (jmespath's call_function has no way to pass the context), so the
            # arity check jmespath would make at each evaluation is made here, once.
            if node["children"]:
                raise ConditionError(f"{name}() takes no arguments")
            return lambda value, ctx: direct(functions, ctx)
        args = [self._node(child) for child in node["children"]]
        checks = _argument_checks(name, functions.FUNCTION_TABLE[name]["signature"], len(args))
        type_check = functions._type_check_single
        decides_unknown = name in self.unknown_aware
        # jmespath's argument type check has no type for UNKNOWN: unknown-aware functions given
        # an UNKNOWN argument are called directly, the others never see one.

        def function(value: Any, ctx: EvalContext) -> Any:
            resolved = [arg(value, ctx) for arg in args]
            if decides_unknown:
                if any(a is UNKNOWN for a in resolved):
                    return direct(functions, *resolved)
            elif any(contains_unknown(a) for a in resolved):
                return UNKNOWN
            for index, allowed, types in checks:
                # jmespath's own check (and its error) whenever the quick look is not enough.
                if allowed is None or type(resolved[index]).__name__ not in allowed:
                    type_check(resolved[index], types, name)
            return direct(functions, *resolved)

        return function


def _argument_checks(name: str, signature: Any, given: int) -> list[tuple[int, frozenset[str] | None, list[str]]]:
    """What jmespath's ``call_function`` checks at every call, worked out once per call site: the
    arity (a wrong one is a condition that can never run, refused when the rule is loaded), and per
    typed argument the Python type names it accepts — None where an array's elements must be
    checked too, which is left to jmespath.  A tenth of a large plan's evaluation went to jmespath
    rebuilding these tables at each call."""
    variadic = bool(signature) and signature[-1].get("variadic")
    if given < len(signature) if variadic else given != len(signature):
        raise ConditionError(f"{name}() takes {'at least ' if variadic else ''}{len(signature)} "
                             f"argument(s), {given} given")
    checks: list[tuple[int, frozenset[str] | None, list[str]]] = []
    for index, spec in enumerate(signature):
        types = spec["types"]
        if types:
            element_typed = any("-" in t for t in types)
            allowed = None if element_typed else frozenset(
                py for t in types for py in _jp_functions.REVERSE_TYPES_MAP[t])
            checks.append((index, allowed, types))
    return checks


def field_paths(expression: str) -> list[str]:
    """The attribute paths a condition reads from the resource root, in order of appearance.

    Used as default evidence: a FAIL names the attributes the rule looked at and their values.
    Only leading field chains count (``a.b[0].c`` → ``a.b``); what follows an index or projection
    is shown as part of the parent value.
    """
    paths: list[str] = []

    def chain(node: dict[str, Any]) -> str | None:
        kind = node["type"]
        if kind == "field":
            return node["value"]
        if kind == "subexpression":
            names = []
            for child in node["children"]:
                if child["type"] != "field":
                    break
                names.append(child["value"])
            return ".".join(names) if len(names) == len(node["children"]) else None
        return None

    def walk(node: dict[str, Any], at_root: bool) -> None:
        kind = node["type"]
        if at_root:
            path = chain(node)
            if path is not None:
                if path not in paths:
                    paths.append(path)
                return
        children = node.get("children", [])
        if kind in ("subexpression", "index_expression", "pipe", "projection", "value_projection",
                    "filter_projection", "flatten"):
            # Only the leftmost child is evaluated against the same value; the rest see its result.
            if children:
                walk(children[0], at_root)
            return
        for child in children:
            if isinstance(child, dict):
                walk(child, at_root and kind != "expref")

    walk(parse(expression), True)
    return paths


def functions_called(expression: str) -> set[str]:
    """The names of the functions an expression calls (anywhere in it)."""
    names: set[str] = set()
    stack = [parse(expression)]
    while stack:
        node = stack.pop()
        if node.get("type") == "function_expression":
            names.add(node["value"])
        stack.extend(child for child in node.get("children", []) if isinstance(child, dict))
    return names
