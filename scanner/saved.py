"""A scan's JSON report read back — by `vendorguard report`, `export securityhub` and ``--baseline``
— or, when the file is something else, an error that says what it is (a plan given as the
baseline is the usual slip)."""
from __future__ import annotations

from typing import Any

from .errors import InputError
from .inputs import is_results, parse_json, read_input, results_schema

#: vendorguard's other JSON reports, by their top level: the usual slip is to give one of them (or
#: a plan) where the JSON report is expected.
_OTHER_REPORTS = (
    ("a SARIF report", lambda d: isinstance(d, dict) and "runs" in d and "version" in d),
    ("ASFF findings", lambda d: isinstance(d, list) and bool(d) and isinstance(d[0], dict) and "SchemaVersion" in d[0]),
    ("an OSCAL assessment-results document", lambda d: isinstance(d, dict) and "assessment-results" in d),
)


def results_document(name: str, document: Any) -> dict[str, Any]:
    """`document` if its top level is a results document's (`load_results` checks the rest against
    the schema; a baseline is not checked whole, which takes seconds for a large scan); otherwise
    an InputError that says what the file is instead."""
    if is_results(document):
        return document
    from . import sources  # deferred: only a file of another kind needs every source's recogniser

    kinds = [(s.title, s.recognises) for s in sources.document_sources()] + list(_OTHER_REPORTS)
    kind = next((title for title, recognises in kinds if recognises(document)), None)
    raise InputError(name, f"{kind + ', not' if kind else 'not'} a vendorguard results document: expected the "
                           "JSON report of a scan (`vendorguard scan … --format json -o FILE`)")


def load_results(path: str) -> dict[str, Any]:
    """A saved JSON report, schema-checked."""
    import jsonschema  # deferred: ~100 ms to import, needed only to re-read a saved report

    name, data = read_input(path)
    document = results_document(name, parse_json(name, data))
    error = next(iter(sorted(jsonschema.Draft202012Validator(results_schema()).iter_errors(document),
                             key=lambda e: list(e.absolute_path))), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
        raise InputError(name, f"not a vendorguard results document: at {where}: {error.message}")
    return document
