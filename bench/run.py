"""`make bench`: vendorguard side by side with checkov and Prowler, on the same inputs, in one run.

Plan scans: generated plans of 1k / 10k / 50k resources (bench/generate_plan.py), and at 10k the shapes
that once made folding quadratic (`--shape no-config|repeated-names|unresolved`), `vendorguard scan
plan` against `checkov -f … --framework terraform_plan -o json` (the isolated .venv-checkov),
interleaved and repeated, medians, peak RSS of each process; the cost of scanning relative to
`json.load` of the same file; start-up (`--version` and a 1-resource plan).  Live: a moto server
seeded with about 2,000 resources in 3 regions, `vendorguard scan aws` (wall, RSS, API calls per
service; also about 500 resources in 2 regions) and, when Prowler installs in its own environment (.venv-prowler), Prowler's
`--compliance hipaa_aws` against the same endpoint.

Results go to bench/out/results.json and a table on stdout.  Not a test: nothing here asserts.
    .venv/bin/python bench/run.py [--quick] [--no-prowler]

`--shapes` runs only the plan shapes, the realistic plan among them, at 1k, 2k and 10k, each beside
checkov at 1k and 2k (and at 10k with `--checkov-10k`: minutes to a quarter of an hour a file, where
it is otherwise extrapolated), and prints the tables of bench/README.md (bench/out/shapes.json).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from vendorguard.scanner.checkov.runner import OFFLINE_ENV

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
BIN = Path(sys.executable).parent
VENDORGUARD = [str(BIN / "vendorguard")]
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"
PROWLER_VENV = ROOT / ".venv-prowler"
#: checkov offline, as vendorguard runs it (scanner/checkov/runner.py), and without its warnings.
CHECKOV_ENV = {**OFFLINE_ENV, "PYTHONWARNINGS": "ignore"}


def measure(cmd: list[str], env: dict[str, str] | None = None, timeout: float = 900) -> dict[str, Any]:
    """Wall time and peak RSS of one process, taken by bench/child.py (see there for why)."""
    with tempfile.TemporaryDirectory() as tmp:
        result = Path(tmp) / "result.json"
        proc = subprocess.run([sys.executable, str(ROOT / "bench" / "child.py"), str(result), str(timeout), *cmd],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, **(env or {})})
        measured = json.loads(result.read_text())
    return {**measured, "stderr": proc.stderr.decode(errors="replace")[-300:]}


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians of the runs that finished (exit 0, or 1: findings).  A run that stopped on an error or
    was killed at its timeout measured nothing: counted under `failed`, never timed."""
    done = [r for r in runs if r["code"] in (0, 1)]
    out: dict[str, Any] = {"runs": len(done), "failed": len(runs) - len(done), "codes": sorted({r["code"] for r in runs}),
                           "wall": None, "cpu": None, "rss_mb": None}
    if done:
        out.update(wall=statistics.median(r["wall"] for r in done), cpu=statistics.median(r["cpu"] for r in done),
                   rss_mb=max(r["rss_mb"] for r in done))
    return out


def _seconds(measured: dict[str, Any], key: str = "wall") -> str:
    value = measured.get(key)
    return f"{value:.2f}s" if value is not None else f"no run finished (exit {measured['codes']})"


def _ratio(theirs: dict[str, Any], ours: dict[str, Any], key: str) -> float | None:
    return theirs[key] / ours[key] if theirs.get(key) and ours.get(key) else None


def _plan_entry(path: Path, size: int, reps: int, checkov_runs: int, label: str,
                checkov_timeout: float = 900) -> dict[str, Any]:
    """One plan file: ours, json.load and checkov interleaved; medians (wall and CPU)."""
    ours, load, theirs = [], [], []
    for i in range(max(reps, checkov_runs)):  # interleaved: ours, json.load, checkov
        if i < reps:
            ours.append(measure(VENDORGUARD + ["scan", "plan", str(path), "--format", "json", "-o", os.devnull, "-q"]))
            load.append(measure([sys.executable, "-c", f"import json; json.load(open({str(path)!r}))"]))
        if CHECKOV.exists() and i < checkov_runs:
            theirs.append(measure([str(CHECKOV), "-f", str(path), "--framework", "terraform_plan", "-o", "json",
                                   "--skip-download", "--quiet"], env=CHECKOV_ENV, timeout=checkov_timeout))
    entry: dict[str, Any] = {"resources": size, "bytes": path.stat().st_size, "vendorguard": median_of(ours),
                             "json_load": median_of(load)}
    if theirs:
        entry["checkov"] = median_of(theirs)
        entry["speedup"] = _ratio(entry["checkov"], entry["vendorguard"], "wall")
        entry["speedup_cpu"] = _ratio(entry["checkov"], entry["vendorguard"], "cpu")
    entry["scan_over_json_load"] = _ratio(entry["vendorguard"], entry["json_load"], "wall")
    ours_m, load_m = entry["vendorguard"], entry["json_load"]
    line = (f"  {label:>24}: vendorguard {_seconds(ours_m)} (CPU {_seconds(ours_m, 'cpu')}) "
            f"{ours_m['rss_mb'] or 0:.0f} MB")
    if theirs:
        line += (f" | checkov {_seconds(entry['checkov'])} (CPU {_seconds(entry['checkov'], 'cpu')}) "
                 f"{entry['checkov']['rss_mb'] or 0:.0f} MB" + (f" ({entry['speedup']:.0f}x)" if entry["speedup"] else ""))
    print(line + f" | json.load {_seconds(load_m)}", flush=True)
    return entry


def plan_scans(sizes: list[int], reps: int, checkov_reps: dict[int, int]) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "bench"))
    from generate_plan import plan  # noqa: E402

    results: dict[str, Any] = {}
    for size in sizes:
        path = OUT / f"plan-{size}.json"
        if not path.exists():
            path.write_text(json.dumps(plan(size)))
        results[str(size)] = _plan_entry(path, size, reps, checkov_reps.get(size, 0), f"plan {size:>6}")
    return results


def _shapes() -> dict[str, Any]:
    """bench/generate_plan.py's shapes: name → generator."""
    sys.path.insert(0, str(ROOT / "bench"))
    from generate_plan import SHAPES  # noqa: E402

    return SHAPES


def _shape_file(shape: str, size: int) -> Path:
    """The generated plan of `shape` at `size` resources (written once into bench/out)."""
    path = OUT / (f"plan-{size}.json" if shape == "realistic" else f"plan-{size}-{shape}.json")
    if not path.exists():
        path.write_text(json.dumps(_shapes()[shape](size)))
    return path


def shape_scans(size: int, reps: int, checkov_runs: int, realistic: bool = False) -> dict[str, Any]:
    """The shapes that once made folding quadratic (bench/generate_plan.py --shape): no
    configuration, repeated names, unresolved children — and, with `realistic`, the realistic plan
    of the same size (otherwise measured by plan_scans)."""
    return {shape: _plan_entry(_shape_file(shape, size), size, reps, checkov_runs, f"plan {size:>6} {shape}")
            for shape in _shapes() if shape != "realistic" or realistic}


def shape_comparison(size: int, small: tuple[int, ...], checkov_at_size: bool) -> dict[str, Any]:
    """Every shape, the realistic one included, beside checkov: vendorguard at `size` (and each of
    `small`); checkov at each of `small`, and at `size` when asked — where it is not run there
    (minutes to a quarter of an hour a file), its CPU time at `size` is extrapolated (`extrapolate`)."""
    out: dict[str, Any] = {}
    for shape in _shapes():
        entry = {"sizes": {str(n): _plan_entry(_shape_file(shape, n), n, 3, 1 if n != size or checkov_at_size else 0,
                                               f"plan {n:>6} {shape}", checkov_timeout=1800) for n in (*small, size)}}
        out[shape] = {**entry, **extrapolate(entry, size)}
    return out


def extrapolate(entry: dict[str, Any], size: int) -> dict[str, Any]:
    """checkov's CPU seconds at `size` from its two largest smaller measurements, the lower of two
    fits: a power law through both points (start-up counted as work: low for a linear shape), and a
    straight line (start-up apart: low for a super-linear one).  Neither is a bound; the lower one
    keeps the ratio from being flattered."""
    measured = sorted((int(n), e["checkov"]["cpu"]) for n, e in entry["sizes"].items()
                      if int(n) < size and (e.get("checkov") or {}).get("cpu"))
    if len(measured) < 2:
        return {}
    (a, cpu_a), (b, cpu_b) = measured[-2:]
    exponent = math.log(cpu_b / cpu_a) / math.log(b / a)
    power = cpu_b * (size / b) ** exponent
    line = cpu_b + (cpu_b - cpu_a) / (b - a) * (size - b)
    return {"checkov_exponent": exponent, "checkov_power_cpu": power, "checkov_linear_cpu": line,
            "checkov_extrapolated_cpu": min(power, line)}


def shape_table(shapes: dict[str, Any], size: int) -> str:
    """The shapes beside checkov at `size`, as the Markdown table bench/README.md keeps (targets:
    vendorguard < 2 s, checkov ≥ 50× slower).  CPU seconds as well as wall: on a shared machine, wall
    time also counts the waits for a core."""
    rows = ["| shape | resources | vendorguard wall / CPU | checkov wall / CPU | checkov ÷ vendorguard (CPU) |",
            "|---|---:|---:|---:|---:|"]
    for shape, entry in shapes.items():
        at = entry["sizes"][str(size)] if "sizes" in entry else entry
        ours, theirs = at["vendorguard"], at.get("checkov")
        cells = [shape, f"{at['resources']:,}", f"{_seconds(ours)} / {_seconds(ours, 'cpu')}"]
        if theirs and theirs.get("cpu"):
            cells += [f"{_seconds(theirs)} / {_seconds(theirs, 'cpu')}", f"{at['speedup_cpu']:.0f}×"]
        elif entry.get("checkov_extrapolated_cpu") and ours.get("cpu"):
            cells += [f"≈ {entry['checkov_extrapolated_cpu']:.0f}s CPU (extrapolated)",
                      f"≈ {entry['checkov_extrapolated_cpu'] / ours['cpu']:.0f}×"]
        else:
            cells += ["not run" if not theirs else _seconds(theirs), ""]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def startup(reps: int) -> dict[str, Any]:
    sys.path.insert(0, str(ROOT / "tests"))
    from planbuilder import build_plan  # noqa: E402

    tiny = OUT / "plan-1.json"
    tiny.write_text(json.dumps(build_plan([{"type": "aws_ebs_volume", "name": "v", "values": {"encrypted": True}}])))
    version = median_of([measure(VENDORGUARD + ["--version"]) for _ in range(reps)])
    one = median_of([measure(VENDORGUARD + ["scan", "plan", str(tiny), "--format", "json", "-o", os.devnull, "-q"])
                     for _ in range(reps)])
    python = median_of([measure([sys.executable, "-c", "pass"]) for _ in range(reps)])
    out = {"version": version, "one_resource_plan": one, "bare_python": python}
    if CHECKOV.exists():
        out["checkov_version"] = median_of([measure([str(CHECKOV), "--version"], env=CHECKOV_ENV) for _ in range(3)])
    print(f"  start-up: --version {version['wall']:.3f}s, 1-resource plan {one['wall']:.3f}s, bare python "
          f"{python['wall']:.3f}s" + (f", checkov --version {out['checkov_version']['wall']:.2f}s" if CHECKOV.exists() else ""))
    return out


def prowler_bin() -> Path | None:
    """Prowler in its own environment, installed on first use (when possible)."""
    binary = PROWLER_VENV / "bin" / "prowler"
    if binary.exists():
        return binary
    print("  installing Prowler into .venv-prowler (once)…", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(PROWLER_VENV)], check=True)
    done = subprocess.run([str(PROWLER_VENV / "bin" / "pip"), "install", "--quiet", "prowler"], capture_output=True,
                          text=True, timeout=900)
    if done.returncode != 0 or not binary.exists():
        print(f"  Prowler did not install: {done.stderr.strip()[-200:]}")
        return None
    return binary


def live(seed_size: int, regions: list[str], with_prowler: bool) -> dict[str, Any]:
    """One seeded moto account, scanned by vendorguard (and by Prowler when asked and installed)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from seed_live import seed  # noqa: E402
    from vendorguard.scanner.demo import local_aws  # noqa: E402

    out: dict[str, Any] = {}
    with local_aws() as endpoint:
        t = time.perf_counter()
        made = seed(endpoint, seed_size, regions)
        out["seeded"] = {"resources": made, "seconds": time.perf_counter() - t, "regions": regions}
        report = OUT / f"live-{seed_size}.json"
        env = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
        runs = [measure(VENDORGUARD + ["scan", "aws", "--endpoint-url", endpoint, "--regions", ",".join(regions),
                                       "--format", "json", "-o", str(report), "-q"], env=env) for _ in range(3)]
        out["vendorguard"] = median_of(runs)
        document = json.loads(report.read_text())
        out["vendorguard"]["api_calls"] = document["scan"].get("api_calls", {})
        out["vendorguard"]["results"] = document["summary"]["by_status"]
        calls = out["vendorguard"]["api_calls"]
        print(f"  live ({made} resources, {len(regions)} regions): vendorguard {out['vendorguard']['wall']:.1f}s "
              f"{out['vendorguard']['rss_mb']:.0f} MB, {sum(calls.values())} API calls "
              f"({', '.join(f'{k} {v}' for k, v in sorted(calls.items(), key=lambda kv: -kv[1]))})", flush=True)
        binary = prowler_bin() if with_prowler else None
        if binary:
            with tempfile.TemporaryDirectory() as tmp:
                run = measure([str(binary), "aws", "--compliance", "hipaa_aws", "-f", *regions, "-o", tmp,
                               "--no-banner", "-M", "json-ocsf"],
                              env={**env, "AWS_ENDPOINT_URL": endpoint, "AWS_DEFAULT_REGION": regions[0]}, timeout=1800)
            out["prowler"] = run
            out["speedup"] = run["wall"] / out["vendorguard"]["wall"]
            print(f"  live: Prowler {run['wall']:.1f}s {run['rss_mb']:.0f} MB (exit {run['code']}) — "
                  f"vendorguard {out['speedup']:.0f}x faster, {run['rss_mb'] / out['vendorguard']['rss_mb']:.1f}x "
                  "less memory", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1k and 10k plans, fewer repetitions, no 50k")
    parser.add_argument("--no-prowler", action="store_true", help="do not install or run Prowler")
    parser.add_argument("--no-live", action="store_true")
    parser.add_argument("--shapes", action="store_true",
                        help="only the plan shapes (the realistic one too) at 1k, 2k and 10k, beside checkov "
                             "at 1k and 2k, its 10k time extrapolated")
    parser.add_argument("--checkov-10k", action="store_true", help="with --shapes: run checkov at 10k as well")
    parser.add_argument("--shapes-table", action="store_true", help="print the tables of bench/out/shapes.json again")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    # Byte-compiled as `pip install` leaves a package (an editable install under
    # PYTHONDONTWRITEBYTECODE would compile every module on every start).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "scanner"), str(ROOT / "cli")],
                   check=True, stdout=subprocess.DEVNULL)
    started = time.perf_counter()
    if args.shapes or args.shapes_table:
        if args.shapes:
            shapes = shape_comparison(10000, (1000, 2000), checkov_at_size=args.checkov_10k)
            (OUT / "shapes.json").write_text(json.dumps(shapes, indent=2))
        else:
            shapes = json.loads((OUT / "shapes.json").read_text())
            shapes = {shape: {**entry, **extrapolate(entry, 10000)} for shape, entry in shapes.items()}
        for n in (1000, 2000, 10000):
            print(shape_table(shapes, n))
        print(f"done in {time.perf_counter() - started:.0f}s; bench/out/shapes.json")
        return
    sizes = [1000, 10000] if args.quick else [1000, 10000, 50000]
    machine = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "platform": sys.platform,
               "checkov": CHECKOV.exists()}
    print(f"vendorguard bench — {machine}")
    results: dict[str, Any] = {"machine": machine}
    results["startup"] = startup(reps=5 if args.quick else 10)
    results["plans"] = plan_scans(sizes, reps=3 if args.quick else 5, checkov_reps={1000: 3, 10000: 1})
    # The bad shapes at 10k (target < 2 s each); checkov beside them only in the full run.
    results["plan_shapes"] = shape_scans(10000, reps=3 if args.quick else 5, checkov_runs=0 if args.quick else 1)
    print(shape_table({"realistic": results["plans"]["10000"], **results["plan_shapes"]}, 10000))
    if not args.no_live:
        from seed_live import REGIONS  # noqa: E402

        # The small two-region account of the live-scanning issue, then the large one beside Prowler.
        results["live_small"] = live(500, REGIONS[:2], with_prowler=False)
        results["live"] = live(2000, REGIONS, with_prowler=not args.no_prowler)
    results["seconds"] = time.perf_counter() - started
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    print(f"done in {results['seconds']:.0f}s; bench/out/results.json")


if __name__ == "__main__":
    if shutil.which("vendorguard", path=str(BIN)) is None:
        sys.exit("run from the project venv: .venv/bin/python bench/run.py")
    main()
