"""A lock file as `make lock` writes it (uv pip compile, with hashes and `# via` notes), read and narrowed:
the same lock for one target platform, or without some packages and without what only they need."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import Marker

_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9_.\-]*)==([^\s;\\]+)(?:\s*;\s*([^\\]*?))?\s*\\?$")


@dataclass(frozen=True)
class Entry:
    name: str  # normalised
    version: str
    marker: str  # where it is installed ("": everywhere), as the universal locks say
    text: str  # the pin, its hashes and its notes, as the lock has them
    needed_by: frozenset[str]  # normalised names of the locked packages that require it
    asked_for: bool  # named by a requirements/*.in file itself


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def entries(lock: str) -> list[Entry]:
    """The lock's packages, in its order."""
    blocks: list[list[str]] = []
    for line in lock.splitlines():
        if _PIN.match(line):
            blocks.append([line])
        elif blocks and line.startswith("    "):
            blocks[-1].append(line)
    return [_entry(block) for block in blocks]


def _entry(block: list[str]) -> Entry:
    match = _PIN.match(block[0])
    assert match is not None
    notes = [line.strip().removeprefix("#").strip() for line in block[1:] if line.strip().startswith("#")]
    # "-c dev.txt" is a constraint, not a reason to install; "-r lambda.in" is the reason itself.
    parents = [note for note in notes if note and note != "via" and not note.startswith("-c ")]
    return Entry(normalised(match[1]), match[2], match[3] or "", "\n".join(block),
                 frozenset(normalised(p) for p in parents if not p.startswith("-r ")),
                 any(p.startswith("-r ") for p in parents))


def pins(lock: Path, environment: dict[str, str] | None = None) -> dict[str, str]:
    """The lock's versions by normalised name (on the target `environment`: those whose marker holds)."""
    return {entry.name: entry.version for entry in entries(lock.read_text())
            if environment is None or _holds(entry, environment)}


def on_target(lock: str, environment: dict[str, str]) -> str:
    """The lock as the target installs it: the entries whose marker holds there, without their markers.
    pip judges markers by the Python it runs on, whatever its --python-version says."""
    kept = [entry.text.replace(f" ; {entry.marker}", "", 1) for entry in entries(lock)
            if _holds(entry, environment)]
    return "\n".join(kept) + "\n"


def _holds(entry: Entry, environment: dict[str, str]) -> bool:
    return not entry.marker or Marker(entry.marker).evaluate(environment)


def without(lock: str, names: Collection[str]) -> tuple[str, list[str]]:
    """The lock less `names` and every package that nothing else kept requires; and the names left out.

    A package whose requirer is not in the lock (botocore, which Lambda's runtime provides) is kept."""
    found = entries(lock)
    locked = {entry.name for entry in found}
    dropped = {normalised(name) for name in names}
    changed = True
    while changed:
        orphans = {entry.name for entry in found if entry.name not in dropped and not entry.asked_for
                   and entry.needed_by and entry.needed_by & locked <= dropped
                   and not entry.needed_by - locked}
        changed = bool(orphans)
        dropped |= orphans
    kept = [entry.text for entry in found if entry.name not in dropped]
    return "\n".join(kept) + "\n", sorted(dropped & locked)
