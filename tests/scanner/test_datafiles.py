"""The shipped data parsed once per content: kept, reused, never stale, never half-written."""
from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from vendorguard.scanner import datafiles
from vendorguard.scanner.catalog import load_catalog, shipped_files


@pytest.fixture()
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    where = tmp_path / "__pycache__"
    monkeypatch.setattr(datafiles, "_folder", lambda: where)
    return where


class Counting:
    """A parse that counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, text: str) -> Any:
        self.calls += 1
        return yaml.safe_load(text)


def test_a_text_is_parsed_once_then_read_back(folder: Path) -> None:
    parse = Counting()
    first = datafiles.parsed("rules/x.yaml", "a: [1, 2]\nb: {c: true}\n", parse, "yaml")
    again = datafiles.parsed("rules/x.yaml", "a: [1, 2]\nb: {c: true}\n", parse, "yaml")
    assert first == again == {"a": [1, 2], "b": {"c": True}}
    assert parse.calls == 1
    assert [p.name.split(".")[:3] for p in folder.iterdir()] == [["rules", "x", "yaml"]]


def test_an_edited_text_is_parsed_again_and_replaces_the_older_entry(folder: Path) -> None:
    parse = Counting()
    datafiles.parsed("types.yaml", "a: 1\n", parse, "yaml")
    datafiles.parsed("other.yaml", "a: 1\n", parse, "yaml")
    assert datafiles.parsed("types.yaml", "a: 2\n", parse, "yaml") == {"a": 2}
    assert parse.calls == 3
    names = sorted(p.name.split(".")[0] for p in folder.glob("*.json"))
    assert names == ["other", "types"]  # one entry per file: the edited file's older one is gone


def test_what_the_parse_makes_is_part_of_the_key(folder: Path) -> None:
    """A new kind of document (or a new jmespath's trees) never reads an entry of the old kind."""
    parse = Counting()
    datafiles.parsed("x.yaml", "a: 1\n", parse, "yaml")
    assert datafiles.parsed("x.yaml", "a: 1\n", lambda t: {"document": yaml.safe_load(t)}, "trees v2") == {
        "document": {"a": 1}}


def test_a_damaged_entry_is_parsed_again_and_rewritten(folder: Path) -> None:
    parse = Counting()
    datafiles.parsed("x.yaml", "a: 1\n", parse, "yaml")
    (entry,) = folder.glob("*.json")
    entry.write_text('{"a": ')
    assert datafiles.parsed("x.yaml", "a: 1\n", parse, "yaml") == {"a": 1}
    assert parse.calls == 2 and json.loads(entry.read_text()) == {"a": 1}


@pytest.mark.parametrize("text", ["expires: 2030-01-01\n", "1: one\n"])
def test_a_document_json_would_change_is_not_kept(folder: Path, text: str) -> None:
    parse = Counting()
    document = datafiles.parsed("x.yaml", text, parse, "yaml")
    assert document in ({"expires": datetime.date(2030, 1, 1)}, {1: "one"})
    assert datafiles.parsed("x.yaml", text, parse, "yaml") == document
    assert parse.calls == 2 and not list(folder.glob("*.json"))


def test_a_folder_that_cannot_be_written_only_means_parsing_every_time(folder: Path) -> None:
    folder.write_text("a file where the folder would be")
    parse = Counting()
    for _ in range(2):
        assert datafiles.parsed("x.yaml", "a: 1\n", parse, "yaml") == {"a": 1}
    assert parse.calls == 2 and not list(folder.parent.glob("**/*.tmp"))


def test_the_shipped_catalog_from_the_cache_is_the_catalog_parsed_afresh(folder: Path) -> None:
    """Once with nothing kept (parsed and kept), once from what was kept, once validated and
    parsed without the cache: the same rules, conditions and packs each time."""
    def shape(validate: bool) -> Any:
        catalog, _ = load_catalog(validate_shipped=validate)
        return ({r.id: (r.condition_text, r.evidence_paths, r.remediation, r.references) for r in catalog.rules.values()},
                {p.id: (p.digest, p.controls) for p in catalog.packs.values()})

    fresh = shape(validate=False)
    assert len(list(folder.glob("*.json"))) == len(shipped_files())
    assert shape(validate=False) == fresh == shape(validate=True)
    assert datafiles.shipped_yaml("types.yaml") == yaml.safe_load(datafiles.shipped_text("types.yaml"))
