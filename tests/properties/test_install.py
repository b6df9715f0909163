"""A non-editable install, into a fresh virtualenv, finds its packs, schemas and report assets by itself."""
from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

from conftest import ROOT


def test_non_editable_install_finds_packs_and_schemas(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # Dependencies come from the test environment (a plain path entry: its editable-install hooks,
    # which would map `vendorguard` back to this checkout, are not run); vendorguard itself is
    # built from the checkout into a wheel and installed like any user's `pip install .`.
    Path(site, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {**os.environ, "PIP_NO_INDEX": "1"}
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps",
                    "--no-build-isolation", str(ROOT)], check=True, env=env, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    where = subprocess.run([str(python), "-c", "import vendorguard.policies as p; print(p.__file__)"],
                           capture_output=True, text=True, cwd=elsewhere, check=True).stdout
    assert str(ROOT) not in where and str(venv) in where
    listed = subprocess.run([str(venv / "bin" / "vendorguard"), "packs", "list"], capture_output=True,
                            text=True, cwd=elsewhere)
    assert listed.returncode == 0, listed.stderr
    assert "hipaa" in listed.stdout and "vendor-article" in listed.stdout
    validated = subprocess.run([str(python), "-c", (
        "from vendorguard.scanner.catalog import load_catalog, policy_schema;"
        "c, _ = load_catalog(validate_shipped=True); print(len(c.rules), policy_schema()['title'])")],
        capture_output=True, text=True, cwd=elsewhere)
    assert validated.returncode == 0, validated.stderr
    # The evidence report inlines its style sheet and script from package data (reports/assets/).
    rendered = subprocess.run([str(python), "-c", (
        "from vendorguard.scanner.reports import html;"
        "page = html.render({'results': []}); css, js = html.asset('report.css'), html.asset('report.js');"
        "assert css.strip() and js.strip() and f'<style>{css}</style>' in page and f'<script>{js}</script>' in page;"
        "print(html.__file__)")], capture_output=True, text=True, cwd=elsewhere)
    assert rendered.returncode == 0, rendered.stderr
    assert str(venv) in rendered.stdout
