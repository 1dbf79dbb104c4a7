"""Each benchmark runs once on tiny inputs, so `make bench` cannot rot between releases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_benchmark_runs_on_tiny_inputs_and_reports(tmp_path: Path) -> None:
    output = tmp_path / "RESULTS.md"
    done = subprocess.run([sys.executable, "-m", "bench", "--smoke", "--output", str(output)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    text = output.read_text()
    sections = ("## Thumbnails", "## Renditions per format", "## Lambda zip", "## Consumer", "## Dashboard",
                "## Slow hosts in a batch")
    for section in sections:
        assert section in text
    assert "decode floor" in text and "calls per refresh" in text
    assert "### Capacity that counts compute" in text and "cost per million stored events" in text
    for fmt in ("JPEG", "HEIC", "AVIF", "JPEG XL", "PNG"):
        assert f"| {fmt} ×0.05 |" in text
