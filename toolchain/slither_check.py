"""Run Slither on the production contracts and fail on any untriaged High or Medium finding.

    python toolchain/slither_check.py [--slither PATH] [--triage slither.triage.json]

The standard-JSON input comes from ``slither_input.py`` (every source inlined) and is compiled
through crytic-compile's ``solc-json`` platform with the pinned solc (native or the solcjs
shim), so Slither runs offline. Findings in OpenZeppelin (``.deps/``) are filtered out, and
the test doubles are not in the input. Each High or Medium finding must match an entry of the
triage file, by detector, by where it is (``Contract.function[.variable]``) and by how many
times it occurs there, and every entry must carry a reason; an entry that matches nothing any
more fails too, so the file never outlives the code it excuses. Exit 0 clean, 1 on an
untriaged or stale finding, 2 when Slither itself fails.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from slither_input import ROOT, SlitherInputError, build, compiler_version

GATED = ("High", "Medium")
WORK = ROOT / ".slither"


def solc_path() -> Path:
    """The pinned compiler where py-solc-x (and so ape) finds it."""
    folder = Path(os.environ.get("SOLCX_BINARY_PATH") or Path.home() / ".solcx")
    return folder / f"solc-v{compiler_version()}"


def where(element: dict[str, Any]) -> str:
    """`Contract.function.variable` of a finding's first element, outermost first."""
    names = []
    node: dict[str, Any] | None = element
    while node is not None:
        if node.get("type") != "node":
            names.append(str(node["name"]))
        node = node.get("type_specific_fields", {}).get("parent")
    return ".".join(reversed(names))


def gated_findings(report: dict[str, Any]) -> collections.Counter[tuple[str, str, str]]:
    """(impact, detector, where) -> occurrences, for the High and Medium findings."""
    found: collections.Counter[tuple[str, str, str]] = collections.Counter()
    for finding in report.get("results", {}).get("detectors", []):
        if finding["impact"] in GATED:
            found[(finding["impact"], finding["check"], where(finding["elements"][0]))] += 1
    return found


def check(report: dict[str, Any], triage: dict[str, Any]) -> list[str]:
    """What is wrong: untriaged findings, stale or reasonless entries. Empty means clean."""
    problems = []
    found = gated_findings(report)
    excused: dict[tuple[str, str], tuple[int, str]] = {}
    for entry in triage.get("exclusions", []):
        key = (str(entry["check"]), str(entry["where"]))
        if not str(entry.get("reason", "")).strip():
            problems.append(f"triage entry {key[0]} at {key[1]} gives no reason")
        excused[key] = (int(entry.get("count", 1)), str(entry.get("reason", "")))
    seen: collections.Counter[tuple[str, str]] = collections.Counter()
    for (impact, detector, place), count in sorted(found.items()):
        seen[(detector, place)] += count
        if (detector, place) not in excused:
            problems.append(f"untriaged {impact} finding: {detector} at {place} (x{count})")
    for key, (count, _) in sorted(excused.items()):
        if seen[key] != count:
            problems.append(
                f"triage entry {key[0]} at {key[1]} expects {count} finding(s), found {seen[key]}"
            )
    return problems


def run_slither(slither: str, solc: Path) -> tuple[dict[str, Any], float]:
    """Slither's JSON report of the production contracts, and the seconds it took."""
    WORK.mkdir(exist_ok=True)
    source = WORK / "input.json"
    source.write_text(json.dumps(build(), indent=1))
    output = WORK / "report.json"
    output.unlink(missing_ok=True)
    started = time.monotonic()
    completed = subprocess.run(
        [
            slither, str(source.relative_to(ROOT)),
            "--compile-force-framework", "solc-json",
            "--solc", str(solc),
            "--filter-paths", r"\.deps/",
            "--exclude-informational", "--exclude-optimization",
            "--json", str(output.relative_to(ROOT)),
        ],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    if not output.is_file():
        raise SlitherInputError(f"slither wrote no report:\n{completed.stderr[-2000:]}")
    report: dict[str, Any] = json.loads(output.read_text())
    if not report.get("success"):
        raise SlitherInputError(f"slither failed: {report.get('error')}")
    return report, elapsed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slither", default=str(ROOT / ".venv-slither" / "bin" / "slither"))
    parser.add_argument("--triage", default=str(ROOT / "slither.triage.json"))
    args = parser.parse_args(argv)
    try:
        report, elapsed = run_slither(args.slither, solc_path())
    except (SlitherInputError, OSError) as error:
        print(f"slither: {error}", file=sys.stderr)
        return 2
    impacts = collections.Counter(f["impact"] for f in report["results"].get("detectors", []))
    summary = ", ".join(f"{impacts[i]} {i}" for i in ("High", "Medium", "Low"))
    print(f"slither: {summary} in {elapsed:.0f} s (report: .slither/report.json)")
    problems = check(report, json.loads(Path(args.triage).read_text()))
    for problem in problems:
        print(f"slither: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"slither: every High and Medium finding is triaged in {Path(args.triage).name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
