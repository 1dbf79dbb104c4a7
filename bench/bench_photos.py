"""Renditions of phone photos (bench/corpus.py): core's preview + thumbnail against the decode floor and the
peers at matched settings (bench/peers.py: pyvips, sharp), with CPU time, output bytes and the preview's SSIM
in one run, interleaved rounds. The synthetic noise picture of the older benchmarks is a labelled extra.

Run: `python -m bench.bench_photos [--runs N] [--scale S]`.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import io
import statistics
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from PIL import Image

from bench import corpus, peers, quality
from bench.images import TWELVE_MP, encoded
from bench.stats import machine
from core.imaging import decoding
from core.imaging.renditions import renditions
from core.settings import Settings

SETTINGS = Settings()
CORE, FLOOR, PYVIPS, SHARP = "core", "decode floor", "pyvips", "sharp"


def core(data: bytes) -> peers.Made:
    started = time.process_time()
    made = renditions(data, SETTINGS)
    return peers.Made(time.process_time() - started, made.preview.data, len(made.thumbnail.data))


def floor(data: bytes) -> peers.Made:
    """The decode alone, at the preview's scale where the codec decodes smaller (JPEG's draft)."""
    started = time.process_time()
    with Image.open(io.BytesIO(data)) as image:
        decoding.decoded(image, SETTINGS.preview_size, 1.0).load()
    return peers.Made(time.process_time() - started, b"", 0)


@dataclass(frozen=True)
class Row:
    cpu: list[float]  # seconds, one per round
    wall: list[float]
    last: peers.Made

    @property
    def median(self) -> float:
        return statistics.median(self.cpu)


def interleaved(works: dict[str, Callable[[], peers.Made]], runs: int) -> dict[str, Row]:
    """One call of each in turn per round after a warm-up; CPU time as each reports it (the Node process's
    for sharp), so load from other work on the machine hardly counts."""
    for work in works.values():
        work()
    cpu: dict[str, list[float]] = {name: [] for name in works}
    wall: dict[str, list[float]] = {name: [] for name in works}
    last: dict[str, peers.Made] = {}
    for _ in range(runs):
        for name, work in works.items():
            started = time.perf_counter()
            last[name] = work()
            wall[name].append(time.perf_counter() - started)
            cpu[name].append(last[name].cpu)
    return {name: Row(cpu[name], wall[name], last[name]) for name in works}


def _reads(work: Callable[[], peers.Made]) -> bool:
    try:
        work()
    except Exception:  # a peer's own error for a format it does not read (pyvips.Error, sharp's message)
        return False
    return True


@contextlib.contextmanager
def sharp_or_none() -> Iterator[peers.Sharp | None]:
    if not peers.Sharp.installed():
        yield None
        return
    with peers.Sharp(SETTINGS) as sharp:
        yield sharp


def inputs(scale: float) -> dict[str, bytes]:
    photos = {photo.name: photo.data for photo in corpus.cached(scale)}
    extra = encoded((int(TWELVE_MP[0] * scale), int(TWELVE_MP[1] * scale)), "JPEG")
    return photos | {"12 MP synthetic noise JPEG (extra, not a photo)": extra}


def run(runs: int, scale: float) -> tuple[dict[str, tuple[int, dict[str, Row], dict[str, float]]], list[str]]:
    results = {}
    missing = [] if peers.has_pyvips() else ["pyvips not installed (requirements/bench.in)"]
    with sharp_or_none() as sharp:
        if sharp is None:
            missing.append(peers.install_hint())
        for name, data in inputs(scale).items():
            works: dict[str, Callable[[], peers.Made]] = {
                CORE: functools.partial(core, data), FLOOR: functools.partial(floor, data)}
            if peers.has_pyvips():
                works[PYVIPS] = functools.partial(peers.pyvips_renditions, data, SETTINGS)
            if sharp is not None:
                works[SHARP] = functools.partial(sharp.renditions, data)
            works = {label: work for label, work in works.items() if label in (CORE, FLOOR) or _reads(work)}
            rows = interleaved(works, runs)
            results[name] = (len(data), rows, _scores(data, rows))
    return results, missing


def _scores(data: bytes, rows: dict[str, Row]) -> dict[str, float]:
    """Each preview's SSIM against the careful reference at core's preview size."""
    size = Image.open(io.BytesIO(rows[CORE].last.preview)).size
    expected = quality.reference(data, size)
    return {label: quality.ssim(row.last.preview, expected)
            for label, row in rows.items() if row.last.preview}


def report(results: dict[str, tuple[int, dict[str, Row], dict[str, float]]], missing: list[str]) -> str:
    lines = ["| photo | file | renditions by | CPU ms, median (min–max) | × decode floor | × core | preview "
             "| thumbnail | preview SSIM |", "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    summary = []
    installed = [label for label, there in ((PYVIPS, peers.has_pyvips()), (SHARP, peers.Sharp.installed()))
                 if there]
    for name, (size, rows, scores) in results.items():
        for label, row in rows.items():
            made = row.last
            bytes_cells = (f"{len(made.preview) / 1000:.0f} kB", f"{made.thumbnail_bytes / 1000:.1f} kB",
                           f"{scores[label]:.4f}") if made.preview else ("—", "—", "—")
            cells = [name, f"{size / 1e6:.2f} MB", label,
                     f"{row.median * 1000:.1f} ({min(row.cpu) * 1000:.1f}–{max(row.cpu) * 1000:.1f})",
                     f"{row.median / rows[FLOOR].median:.2f}×", f"{row.median / rows[CORE].median:.2f}×",
                     *bytes_cells]
            lines.append("| " + " | ".join(cells) + " |")
        peer_rows = {label: row for label, row in rows.items() if label in (PYVIPS, SHARP)}
        unread = [label for label in (PYVIPS, SHARP) if label not in rows and label in installed]
        if unread:
            summary.append(f"{name}: {' and '.join(unread)} cannot read it.")
        if peer_rows:
            best = min(peer_rows, key=lambda label: peer_rows[label].median)
            summary.append(f"{name}: core is {rows[CORE].median / peer_rows[best].median:.2f}× the best peer "
                           f"({best}), {rows[CORE].median / rows[FLOOR].median:.2f}× the decode floor.")
    runs = len(next(iter(results.values()))[1][CORE].cpu)
    notes = [f"n={runs} interleaved rounds after a warm-up. CPU time of the process doing the work (sharp: "
             "its Node process, all threads); peers on one thread, colour managed, WebP q80 at core's "
             "efforts. "
             "SSIM of the preview against a full decode converted by LittleCMS, upright, LANCZOS to size."]
    return "\n".join(lines) + "\n\n" + "\n".join(f"- {line}" for line in summary + notes + missing)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0, help="shrink the corpus (smoke tests)")
    args = parser.parse_args()
    print(machine())
    print(report(*run(args.runs, args.scale)))


if __name__ == "__main__":
    main()
