"""`make bench`: every benchmark in one run, written to bench/RESULTS.md.

`python -m bench [--smoke] [--only TITLE]… [--output PATH]`; --smoke runs each once on tiny inputs (the test
suite does, so the benchmarks cannot rot) and writes nowhere unless --output is given; --only runs the named
sections and replaces just those in the results, keeping the others from their own run.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from bench.stats import machine

# title -> (module, full-size arguments, smoke arguments)
BENCHMARKS: dict[str, tuple[str, list[str], list[str]]] = {
    "Thumbnails": ("bench.bench_thumbnails", [], ["--runs", "1", "--scale", "0.05"]),
    "Renditions per format": ("bench.bench_renditions", [], ["--runs", "1", "--scale", "0.05"]),
    "Renditions of phone photos": ("bench.bench_photos", [], ["--runs", "1", "--scale", "0.05"]),
    "Rendition options on phone photos": ("bench.bench_speed", [], ["--runs", "1", "--scale", "0.05"]),
    "Lambda zip": ("bench.bench_zip", [], ["--existing"]),
    "Consumer": ("bench.bench_consumer", [], ["--records", "4", "--repeats", "1"]),
    "Dashboard": ("bench.bench_dashboard", [], ["--sizes", "10", "20", "--runs", "1"]),
    "Capacity": ("bench.capacity", ["--records", "2000"],
                 ["--records", "20", "--cpu-records", "2", "--cpu-rounds", "1"]),
    "Slow hosts in a batch": ("bench.bench_fetch", [],
                              ["--records", "10", "--runs", "1", "--deadline", "0.5"]),
}
RESULTS = Path(__file__).with_name("RESULTS.md")


def run(module: str, args: list[str]) -> str:
    """The benchmark's own report (its stdout); its first line, the machine, is said once at the top."""
    done = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{module} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout.split("\n", 1)[1].strip() if "\n" in done.stdout else done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny inputs, one run each")
    parser.add_argument("--only", action="append", choices=list(BENCHMARKS), metavar="TITLE",
                        help="run only this section (again for more); the others are kept as they were")
    parser.add_argument("--output", type=Path, default=None, help=f"default: {RESULTS} (not with --smoke)")
    args = parser.parse_args()
    now = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    sections = [f"# Benchmark results\n\n{now}, `make bench`. {machine()}.\n"
                "Figures are medians after a warm-up, with min–max; ratios come from the same run."]
    for title, (module, full, smoke) in BENCHMARKS.items():
        if args.only and title not in args.only:
            continue
        started = time.perf_counter()
        print(f"{title}…", flush=True)
        report = run(module, smoke if args.smoke else full)
        alone = f"; run alone at {now} (`python -m bench --only '{title}'`), {machine()}" if args.only else ""
        sections.append(f"## {title}\n\n{report}\n\n_{time.perf_counter() - started:.0f} s{alone}_")
    output = args.output or (None if args.smoke else RESULTS)
    if args.only and output and output.exists():
        text = spliced(output.read_text(), sections[1:])
    else:
        text = "\n\n".join(sections) + "\n"
    if output:
        output.write_text(text)
        print(f"Wrote {output}")
    else:
        print(text)


def spliced(text: str, sections: list[str]) -> str:
    """`text` with each of `sections` in place of its namesake (added at the end when it has none)."""
    for section in sections:
        title = section.split("\n", 1)[0]
        found = re.search(rf"^{re.escape(title)}\n.*?(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
        if found:
            text = text[:found.start()] + section + "\n\n" + text[found.end():]
        else:
            text = text.rstrip("\n") + "\n\n" + section + "\n"
    return text.rstrip("\n") + "\n"


if __name__ == "__main__":
    main()
