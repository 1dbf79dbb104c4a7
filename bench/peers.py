"""The peers, at the settings core uses: pyvips (libvips from PyPI) and sharp (libvips for Node, from npm in
bench/sharp/), each on one thread, colour managed (embedded profile -> sRGB), upright, the preview and the
thumbnail from one decode, WebP quality 80 at core's efforts (preview 0, thumbnail 2), no metadata kept.

Each render returns its CPU seconds as measured where the work ran (this process, or the Node process for
sharp: its process.cpuUsage, all of its threads), and the bytes made.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from core.imaging.renditions import PREVIEW_WEBP_METHOD, THUMBNAIL_WEBP_METHOD
from core.settings import Settings

SHARP = Path(__file__).with_name("sharp")


@dataclass(frozen=True)
class Made:
    cpu: float  # seconds
    preview: bytes
    thumbnail_bytes: int


def has_pyvips() -> bool:
    try:
        import pyvips  # noqa: F401
    except (ImportError, OSError):  # OSError: the package is there but libvips is not
        return False
    return True


def pyvips_renditions(data: bytes, settings: Settings) -> Made:
    import pyvips

    pyvips.concurrency_set(1)
    pyvips.cache_set_max(0)  # no reuse of an earlier round's decode
    started = time.process_time()
    preview = pyvips.Image.thumbnail_buffer(data, settings.preview_size, height=settings.preview_size,
                                            size="down", output_profile="srgb").copy_memory()
    encoded = preview.webpsave_buffer(Q=80, effort=PREVIEW_WEBP_METHOD, keep=0)
    thumbnail = preview.thumbnail_image(settings.thumbnail_size, height=settings.thumbnail_size, size="down")
    small = thumbnail.webpsave_buffer(Q=80, effort=THUMBNAIL_WEBP_METHOD, keep=0)
    return Made(time.process_time() - started, encoded, len(small))


class Sharp:
    """One Node process running bench/sharp/render.js, kept for the whole run (its startup is not timed)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.folder = Path(tempfile.mkdtemp(prefix="bench-sharp-"))
        self.process: subprocess.Popen[str] | None = None

    @staticmethod
    def installed() -> bool:
        return shutil.which("node") is not None and (SHARP / "node_modules" / "sharp").is_dir()

    def __enter__(self) -> Sharp:
        self.process = subprocess.Popen(["node", str(SHARP / "render.js")], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True, cwd=SHARP)
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self.process:
            self.process.stdin.close()  # type: ignore[union-attr]
            self.process.wait(timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)

    def renditions(self, data: bytes) -> Made:
        assert self.process and self.process.stdin and self.process.stdout
        source, output = self.folder / "source", self.folder / "preview.webp"
        source.write_bytes(data)
        request = {"input": str(source), "output": str(output), "preview": self.settings.preview_size,
                   "thumbnail": self.settings.thumbnail_size, "previewEffort": PREVIEW_WEBP_METHOD,
                   "thumbnailEffort": THUMBNAIL_WEBP_METHOD}
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        if "error" in answer:
            raise RuntimeError(f"sharp: {answer['error']}")
        return Made(answer["cpu"], output.read_bytes(), answer["thumbnail"])


def install_hint() -> str:
    return "sharp not installed (`npm ci --prefix bench/sharp`)"
