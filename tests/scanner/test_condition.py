"""The three-valued JMESPath compiler: UNKNOWN propagates, Kleene logic, JMESPath semantics kept."""
from __future__ import annotations

import jmespath
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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
    # A wrong number of arguments can never run: refused when the rule loads, not UNKNOWN forever.
    with pytest.raises(ConditionError, match=r"length\(\) takes 1 argument\(s\), 2 given"):
        compiler().compile("length(a, b)")
    with pytest.raises(ConditionError, match=r"not_null\(\) takes at least 1"):
        compiler().compile("not_null()")


_JSON = st.recursive(
    st.none() | st.booleans() | st.sampled_from([0, 1, 2, -1, 0.0, 1.0, 1.5]) | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False) | st.sampled_from(["", "x", "true", "1"]) | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["k", "x"]), inner, max_size=2),
    max_leaves=6,
)

#: Comparisons with a literal of every JSON type (each specialised when compiled) and calls whose
#: arguments jmespath type-checks (the check is worked out once per call site).
_CHECKED = [
    "a == `true`", "a == `false`", "a == `null`", "a == `0`", "a == `1`", "a == `1.0`", "a == `2`",
    "a == 'x'", "a == `[1]`", "a == `{\"k\": 1}`", "a != `0`", "a != `true`", "a == b",
    "length(a)", "abs(a)", "sum(a)", "max(a)", "min_by(a, &k)", "contains(a, `1`)", "starts_with(a, 'x')",
    "join(',', a)", "to_string(a)", "to_number(a)", "keys(a)", "sort(a)", "avg(a)", "type(a)",
    "not_null(a, b)", "merge(a, b)", "reverse(a)", "ceil(a)", "map(&k, a)",
]


#: The values where Python's == and JMESPath's differ, or types meet: drawn often.
_EDGES = st.sampled_from([True, False, None, 0, 1, 0.0, 1.0, "", "x", [], {}, [1], {"k": 1}])


@settings(max_examples=400, deadline=None)
@given(expression=st.sampled_from(_CHECKED), a=_EDGES | _JSON, b=_EDGES | _JSON)
def test_comparisons_and_typed_calls_agree_with_jmespath(expression: str, a: object, b: object) -> None:
    """jmespath itself is the oracle: the same value, or the same kind of error (which the engine
    turns into UNKNOWN), for any JSON value — 0 and 1 against booleans included."""
    data = {"a": a, "b": b}
    try:
        expected: object = jmespath.search(expression, data)
    except (jmespath.exceptions.JMESPathError, TypeError, ValueError) as exc:  # all UNKNOWN in a scan
        with pytest.raises(type(exc)):
            ev(expression, data)
        return
    assert ev(expression, data) == expected


def test_field_paths_are_the_root_attributes_a_condition_reads() -> None:
    assert field_paths("versioning[0].enabled == `true` && a.b.c || count(x[?y]) > `0`") == ["versioning", "a.b.c", "x"]
    assert field_paths("`true`") == []
