"""Terraform HCL directories, through checkov's own parser and checks, mapped into our rules.

checkov parses HCL (modules, variables, tfvars) and carries hundreds of AWS checks; its verdicts
become results of the rules that cite them (`checkov.mapping`).  HCL results are per resource as
checkov sees them (no folding: a public access block's verdict stays on the block), checkov's own
applicability stands in for a rule's ``applies_if``, and the inventory carries no attributes, so
the engine does not run on it.  Rules no checkov id maps to are named in the inventory's notes:
silence never reads as a pass.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from ..errors import InputError
from ..model import Inventory, Resource, Result
from ..source import Reading, Source

if TYPE_CHECKING:
    from ..catalog import Selection
    from ..checkov.runner import CheckovRun

_TF_FILES = ("*.tf", "*.tf.json")


def _check_directory(path: str) -> None:
    directory = Path(path)
    if not directory.exists():
        raise InputError(path, "no such directory")
    if not directory.is_dir():
        raise InputError(path, "not a directory (scan terraform takes Terraform directories)")
    if not any(True for pattern in _TF_FILES for _ in directory.rglob(pattern)):
        raise InputError(path, "no Terraform files (*.tf, *.tf.json) in this directory")


class TerraformHcl(Source):
    name = "terraform-hcl"
    command = "terraform"
    title = "a Terraform directory"
    summary = "Scan Terraform HCL directories through checkov (modules, variables, tfvars), mapped to our rules."

    def read(self, inputs: Sequence[str], selection: "Selection", *, checkov: str | None = None,
             all_checkov: bool = False, var_files: Sequence[str] = (), timeout: float | None = None,
             **_: Any) -> Reading:
        """checkov on each directory.  Every directory is checked before checkov runs (a missing
        one would otherwise give checkov's empty, clean-looking report); checkov runs once per
        directory (given several ``-d`` it repeats the first directory's results), several at a
        time."""
        # Imported here, not above: registering this source must cost a plan scan nothing.
        from concurrent.futures import ThreadPoolExecutor

        from ..checkov.mapping import map_checks, undecided
        from ..checkov.runner import find_checkov, run_checkov

        dirs = list(inputs)
        for path in dirs:
            _check_directory(path)
        exe = find_checkov(checkov)

        def one_directory(path: str) -> CheckovRun:
            # Every check runs (not only the cited ones): checkov leaves out what it cannot decide,
            # and the other checks are how a resource whose cited checks all went silent is seen.
            return run_checkov(path, "terraform", checkov=exe, var_files=var_files, timeout=timeout, where=path)

        workers = max(1, min(len(dirs), os.cpu_count() or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(one_directory, path) for path in dirs]
            runs = [future.result() for future in futures]  # the first directory that fails, in order
        results: list[Result] = []
        inventories: list[Inventory] = []
        versions: set[str] = set()
        for path, run in zip(dirs, runs):
            if run.version:
                versions.add(run.version)
            base = str(Path(path).resolve())
            mapped = map_checks(run.checks, selection, all_checkov=all_checkov, source=self.name,
                                base=base, display_base=path)
            results.extend(mapped)
            results.extend(undecided(run.checks, selection, mapped, source=self.name, base=base,
                                     display_base=path))
            inventories.append(self._inventory(path, run, exe, selection))
        return Reading(inventories, results=results,
                       extra={"checkov": {"path": exe, "version": ", ".join(sorted(versions)) or None}})

    def _inventory(self, path: str, run: "CheckovRun", exe: str, selection: "Selection") -> Inventory:
        from ..checkov.mapping import display_file

        seen: dict[str, Resource] = {}
        base = str(Path(path).resolve())
        for check in run.checks:
            if check.address not in seen:
                seen[check.address] = Resource(
                    address=check.address, type=check.resource_type, attributes={}, source=self.name,
                    file=display_file(check, base, path), line=check.lines[0] if check.lines else None)
        notes = ["checkov runs with --skip-download: modules from a registry or git are not scanned"]
        types = {r.type for r in seen.values()}
        blind = sorted(r.id for r in selection.rules
                       if not (r.references or {}).get("checkov") and types & set(r.resource_types))
        if blind:
            notes.append("no checkov check maps to these rules, so Terraform HCL cannot show them "
                         f"(scan the plan for them): {', '.join(blind)}")
        return Inventory(source=self.name, origin=path, resources=list(seen.values()), complete=False,
                         notes=notes, evaluate=False,
                         metadata={"checkov_version": run.version, "checkov": exe,
                                   "checkov_resources": run.resource_count})
