"""Terraform HCL directories, through checkov's own parser and checks, mapped into our rules.

checkov parses HCL (modules, variables, tfvars) and carries hundreds of AWS checks; its verdicts
become results of the rules that cite them (`checkov.mapping`).  HCL results are per resource as
checkov sees them (no folding: a public access block's verdict stays on the block), checkov's own
applicability stands in for a rule's ``applies_if``, and the inventory carries no attributes, so
the engine does not run on it.  Only checks equivalent to a rule (``references.checkov``) give its
verdict; a rule with none is UNKNOWN on every resource checkov saw and is named in the inventory's
"cannot be shown from HCL" note, as are resources declared in the files that checkov reported
nothing on (no check of checkov covers their type): silence never reads as a pass.
"""
from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

from ..errors import InputError
from ..model import Inventory, Resource, Result
from ..source import Reading, Source

if TYPE_CHECKING:
    from ..catalog import Selection
    from ..checkov.runner import CheckovRun

_TF_FILES = ("*.tf", "*.tf.json")
_RESOURCE_BLOCK = re.compile(r'^[ \t]*resource[ \t]+"([A-Za-z0-9_-]+)"[ \t]+"([A-Za-z0-9_-]+)"', re.MULTILINE)


def declared_resources(path: str) -> list[tuple[str, str, str]]:
    """(type, name, file) of every managed resource block in the directory's Terraform files (modules
    in subdirectories included; ``.terraform`` left out): what checkov was given, whether or not
    any of its checks reports on it."""
    out: list[tuple[str, str, str]] = []
    root = Path(path)
    for pattern in _TF_FILES:
        for file in sorted(root.rglob(pattern)):
            if ".terraform" in file.relative_to(root).parts:
                continue
            try:
                text = file.read_text(errors="replace")
            except OSError:
                continue
            if file.name.endswith(".tf.json"):
                try:
                    blocks = json.loads(text).get("resource") or {}
                except (ValueError, AttributeError):
                    continue
                for block in blocks if isinstance(blocks, list) else [blocks]:
                    if isinstance(block, dict):
                        for rtype, named in block.items():
                            if isinstance(named, dict):
                                out.extend((rtype, name, str(file)) for name in named)
            else:
                out.extend((m.group(1), m.group(2), str(file)) for m in _RESOURCE_BLOCK.finditer(text))
    return out


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
        from ..checkov.mapping import display_file, equivalent_checks, related_checks

        seen: dict[str, Resource] = {}
        base = str(Path(path).resolve())
        for check in run.checks:
            if check.address not in seen:
                seen[check.address] = Resource(
                    address=check.address, type=check.resource_type, attributes={}, source=self.name,
                    file=display_file(check, base, path), line=check.lines[0] if check.lines else None)
        notes = ["checkov runs with --skip-download: modules from a registry or git are not scanned"]
        types = {r.type for r in seen.values()}
        # Resources checkov reported nothing on (no check of checkov covers their type): declared in
        # the files, so named here when a selected rule covers their type.
        reported = {(r.type, _bare_name(r.address)) for r in seen.values()}
        unreported: dict[str, list[str]] = {}
        for rtype, name, file in declared_resources(path):
            if (rtype, name) in reported:
                continue
            rules = sorted(r.id for r in selection.rules if rtype in r.resource_types)
            if rules:
                shown = os.path.normpath(os.path.join(path, os.path.relpath(file, base)))
                unreported[f"{rtype}.{name} ({shown})"] = rules
                types.add(rtype)
        # Rules no equivalent check tests, on a type present or judged through a related check on
        # another resource (CKV2_AWS_69 on a DB instance for the parameter-group rules).
        reported_ids = {check.check_id for check in run.checks}
        blind = sorted(r.id for r in selection.rules
                       if not equivalent_checks(r)
                       and (types & set(r.resource_types) or reported_ids & set(related_checks(r))))
        if blind:
            notes.append("no checkov check tests these rules, so Terraform HCL cannot show them "
                         f"(scan the plan for them): {', '.join(blind)}")
        if unreported:
            notes.append("checkov reported nothing on these resources, so Terraform HCL cannot show the "
                         "rules on them (scan the plan for them): "
                         + "; ".join(f"{where}: {', '.join(rules)}" for where, rules in sorted(unreported.items())))
        return Inventory(source=self.name, origin=path, resources=list(seen.values()), complete=False,
                         notes=notes, evaluate=False,
                         metadata={"checkov_version": run.version, "checkov": exe,
                                   "checkov_resources": run.resource_count})


def _bare_name(address: str) -> str:
    """``module.m.aws_s3_bucket.logs["a"]`` → ``logs``."""
    return re.sub(r"\[[^\]]*\]$", "", address).rsplit(".", 1)[-1]
