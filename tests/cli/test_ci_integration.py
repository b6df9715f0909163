"""The GitHub Action and the pre-commit hooks name commands and formats that exist."""
from __future__ import annotations

import re

import yaml

from conftest import ROOT
from vendorguard.scanner.reports import FORMATS


def test_action_uses_real_formats_and_uploads_sarif() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    script = "\n".join(step.get("run", "") for step in action["runs"]["steps"])
    formats = re.findall(r"--format (\w+)", script)
    assert formats and set(formats) <= set(FORMATS)
    assert any(step.get("uses", "").startswith("github/codeql-action/upload-sarif") for step in action["runs"]["steps"])
    assert set(action["inputs"]) >= {"source", "files", "packs", "fail-on", "baseline"}


def test_pre_commit_hooks_call_vendorguard_commands() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    entries = {h["id"]: h["entry"] for h in hooks}
    assert entries["vendorguard-plan"].startswith("vendorguard scan plan")
    assert entries["vendorguard-packs"] == "vendorguard packs validate"
    for hook in hooks:
        re.compile(hook["files"])
