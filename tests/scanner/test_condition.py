"""The three-valued JMESPath compiler: UNKNOWN propagates, Kleene logic, JMESPath semantics kept."""
from __future__ import annotations

import jmespath
import pytest

from vendorguard.scanner.catalog import compiler
from vendorguard.scanner.condition import ConditionError, field_paths
from vendorguard.scanner.context import NO_CONTEXT
from vendorguard.scanner.model import UNKNOWN


def ev(expression: str, data: dict) -> object:
    return compiler().compile(expression)(data, NO_CONTEXT)


@pytest.mark.parametrize("expression,data,expected", [
    ("a == `true`", {"a": UNKNOWN}, UNKNOWN),
    ("a == `true`", {"a": True}, True),
    ("a.b.c", {"a": UNKNOWN}, UNKNOWN),
    ("a[0].b", {"a": UNKNOWN}, UNKNOWN),
    ("a || `true`", {"a": UNKNOWN}, True),            # Kleene: unknown or true = true
    ("a || b", {"a": UNKNOWN, "b": False}, UNKNOWN),
    ("a || 'default'", {"a": UNKNOWN}, UNKNOWN),      # the *value* would still be unknown
    ("a && `false`", {"a": UNKNOWN}, False),          # unknown and false = false
    ("a && `true`", {"a": UNKNOWN}, UNKNOWN),
    ("!a", {"a": UNKNOWN}, UNKNOWN),
    ("a > `3`", {"a": UNKNOWN}, UNKNOWN),
    ("length(a)", {"a": [1, UNKNOWN]}, UNKNOWN),      # functions never see unknowns
    ("a[?b == `1`]", {"a": [{"b": 1}, {"b": UNKNOWN}]}, UNKNOWN),
    ("a[?b == `1`]", {"a": [{"b": 1}, {"b": 2}]}, [{"b": 1}]),
    ("a[*].b", {"a": [{"b": 1}, {"b": UNKNOWN}]}, [1, UNKNOWN]),
    ("count(x)", {}, 0),
    ("a == b", {"a": {"k": UNKNOWN}, "b": {"k": 1}}, UNKNOWN),
])
def test_unknown_propagation(expression: str, data: dict, expected: object) -> None:
    assert ev(expression, data) == expected if expected is not UNKNOWN else ev(expression, data) is UNKNOWN


@pytest.mark.parametrize("expression", [
    "a.b", "a[0]", "a[1:]", "a[*].b", "a[].b", "a.*", "a[?b > `1`].c", "a | [0]", "[a, b]",
    "{x: a, y: b}", "a || b", "a && b", "!a", "length(a)", "sort_by(c, &n)[0].n", "max_by(c, &n).n",
    "a == `1`", "a != `1`", "a < `2`", "contains(a, `1`)", "not_null(z, a)", "keys(d)", "`0` == `false`",
])
def test_matches_jmespath_on_known_values(expression: str) -> None:
    data = {"a": [1, 2, 3], "b": {"x": 1}, "c": [{"n": 2}, {"n": 1}], "d": {"k": 1}}
    assert ev(expression, data) == jmespath.search(expression, data)


def test_bad_expressions_and_unknown_functions_are_rejected() -> None:
    with pytest.raises(ConditionError):
        compiler().compile("a[?")
    with pytest.raises(ConditionError, match="unknown function"):
        compiler().compile("exec(a)")
    with pytest.raises(ConditionError, match="takes no arguments"):
        compiler().compile("own_account(@)")


def test_field_paths_are_the_root_attributes_a_condition_reads() -> None:
    assert field_paths("versioning[0].enabled == `true` && a.b.c || count(x[?y]) > `0`") == ["versioning", "a.b.c", "x"]
    assert field_paths("`true`") == []
