"""Record the golden digests of the current engine version; keep every older version's.

Usage: python -m tests.golden.refresh [--replace]

Within one engine version, the digests of an example spec are rewritten only when the spec
file changed (or the spec or a learner is new). Values that changed for an unchanged spec
mean the engine changed: bump ``ENGINE_VERSION`` first. ``--replace`` overwrites them
anyway, for a version that was never released.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from datagen_lti.synth import ENGINE_VERSION
from tests.golden.digests import (
    DIGESTS_FILE,
    changed_values,
    current_entries,
    read_digests,
    write_digests,
)


class RefreshRefused(Exception):
    """Values changed under an engine version that already has digests."""


def merge(
    recorded: dict[str, Any],
    version: str,
    current: dict[str, dict[str, Any]],
    *,
    replace: bool = False,
) -> tuple[dict[str, Any], list[str]]:
    """``recorded`` with ``version``'s entry set to ``current``; other versions untouched.

    Returns the new digests and what changed. Raises ``RefreshRefused`` when a spec file
    is unchanged but its values are not, unless ``replace``.
    """
    merged = dict(recorded)
    previous = recorded.get(version)
    if previous is None:
        merged[version] = current
        return merged, [f"recorded engine {version}: {', '.join(sorted(current))}"]
    notes: list[str] = []
    conflicts: list[str] = []
    for spec, entry in sorted(current.items()):
        old = previous.get(spec)
        if old is None:
            notes.append(f"{spec}: new example spec")
            continue
        if old.get("spec_file_sha256") != entry["spec_file_sha256"]:
            notes.append(f"{spec}: spec file changed")
            continue
        for learner, values in entry["learners"].items():
            old_values = old.get("learners", {}).get(learner)
            if old_values is None:
                notes.append(f"{spec}: new learner {learner}")
            elif old_values != values:
                changes = "; ".join(changed_values(old_values, values))
                conflicts.append(f"{spec} learner {learner} ({changes})")
    notes += [f"{spec}: example spec removed" for spec in sorted(set(previous) - set(current))]
    if conflicts and not replace:
        raise RefreshRefused(
            f"generated values changed under engine {version} for unchanged spec files: "
            + "; ".join(conflicts)
            + ". Bump ENGINE_VERSION in datagen_lti/synth/version.py and refresh again, or "
            "pass --replace if engine " + version + " was never released."
        )
    notes += [f"replaced {conflict}" for conflict in conflicts]
    merged[version] = current
    return merged, notes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--replace",
        action="store_true",
        help="overwrite changed values of the current engine version (never released)",
    )
    parser.add_argument("--file", type=Path, default=DIGESTS_FILE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    recorded = read_digests(args.file)
    current = current_entries()
    try:
        merged, notes = merge(recorded, ENGINE_VERSION, current, replace=args.replace)
    except RefreshRefused as exc:
        print(exc, file=sys.stderr)
        return 1
    if merged == recorded:
        print(f"{args.file.name}: engine {ENGINE_VERSION} is up to date")
        return 0
    write_digests(merged, args.file)
    print(f"{args.file.name}: " + "; ".join(notes or ["rewritten"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
