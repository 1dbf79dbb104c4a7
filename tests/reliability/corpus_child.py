"""Runs core.imaging's renditions on every file of a folder, one after another, in a process of its own.

`python -m tests.reliability.corpus_child FOLDER OUTPUT`: prints a JSON line before each file (so a crash
or a hang names it) and one after, with the outcome (stored, failed with the reason, or bug with the
exception), the seconds taken and the growth of the peak RSS in MB; stored thumbnails go to OUTPUT.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from core.errors import ImageError
from core.imaging.renditions import renditions
from core.settings import Settings


def memory_mb(field: str) -> float:
    line = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith(field))
    return int(line.split()[1]) / 1024


def outcome(data: bytes, settings: Settings, thumbnail: Path) -> dict[str, object]:
    try:
        made = renditions(data, settings)
    except ImageError as exc:
        return {"outcome": "failed", "reason": str(exc)}
    except Exception as exc:  # the contract: anything else is our bug, reported here, not raised
        return {"outcome": "bug", "reason": f"{type(exc).__name__}: {exc}"}
    thumbnail.write_bytes(made.thumbnail.data)
    return {"outcome": "stored", "size": [made.info.width, made.info.height]}


def main(folder: Path, output: Path) -> None:
    settings = Settings()
    for path in sorted(folder.iterdir()):
        print(json.dumps({"file": path.name, "started": True}), flush=True)
        data = path.read_bytes()
        Path("/proc/self/clear_refs").write_text("5")  # the peak RSS starts again from the current RSS
        before, started = memory_mb("VmRSS"), time.perf_counter()
        result = outcome(data, settings, output / f"{path.name}.webp")
        result |= {"file": path.name, "seconds": time.perf_counter() - started,
                   "peak_mb": memory_mb("VmHWM") - before}
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
