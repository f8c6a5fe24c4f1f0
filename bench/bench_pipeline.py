"""Times of the local engine through the whole pipeline on a 1 MP region, and the worker's cold start.

Run: .venv/bin/python bench/bench_pipeline.py
Prints one line per measurement. The photo is a shipped sample scaled up so the selected region,
with its context, is about one megapixel.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plugin import ops  # noqa: E402
from plugin.backends.local import LocalBackend  # noqa: E402
from plugin.link import jobfiles  # noqa: E402
from plugin.pipeline import load_rgba, run  # noqa: E402


def big_photo(width: int, height: int) -> np.ndarray:
    picture = Image.fromarray(load_rgba(str(ROOT / "tests" / "data" / "rocket.jpg")))
    return np.asarray(picture.resize((width, height), Image.Resampling.LANCZOS))


def timed(label: str, action) -> float:
    started = time.perf_counter()
    action()
    seconds = time.perf_counter() - started
    print(f"{label:<58} {seconds:7.2f} s")
    return seconds


def cold_start() -> None:
    """From process start to the first progress line, and to the end, for a tiny removal job."""
    image = big_photo(64, 48)
    selection = np.zeros((48, 64), np.uint8)
    selection[20:28, 30:38] = 255
    with tempfile.TemporaryDirectory() as folder:
        jobfiles.write_job(
            folder,
            {"action": "remove", "backend": "local", "seed": 1},
            64,
            48,
            (0, 0),
            image.tobytes(),
            selection.tobytes(),
        )
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        started = time.perf_counter()
        worker = subprocess.Popen(
            [sys.executable, "-m", "plugin.link.worker", folder], stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT
        )
        first = worker.stdout.readline()
        first_at = time.perf_counter() - started
        worker.communicate()
        total = time.perf_counter() - started
    assert first and worker.returncode == 0
    print(f"{'worker cold start: first progress line':<58} {first_at:7.2f} s")
    print(f"{'worker cold start: tiny removal job, end to end':<58} {total:7.2f} s")


def main() -> None:
    backend = LocalBackend()
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")
    image = big_photo(2400, 1600)
    height, width = image.shape[:2]
    selection = np.zeros((height, width), np.uint8)
    # a tower-shaped selection whose region of interest (bounds + 64 px context) is ~1 MP
    selection[300:1300, 700:900] = 255
    remove = ops.InpaintRemove(seed=1, grow=4, feather=8, context=200)
    roi_pixels = (200 + 2 * 212) * (1000 + 2 * 212)
    timed(
        f"remove, 200x1000 selection, region {roi_pixels / 1e6:.2f} MP", lambda: run(remove, image, selection, backend)
    )
    small = big_photo(1000, 1000)
    timed(
        "outpaint 1000x1000 -> 1000x1000 + 250 px left and right",
        lambda: run(ops.Outpaint(left=250, right=250, seed=1), small, None, backend),
    )
    timed("upscale x2 of 1000x1000 (1 MP in, 4 MP out)", lambda: run(ops.Upscale(factor=2), small, None, backend))
    cold_start()


if __name__ == "__main__":
    main()
