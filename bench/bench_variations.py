"""Variations side by side against the loopback emulator with a realistic per-call delay.

Prints the wall time of 1 and of 4 variations of one Inpaint (4 should take well under 2x one call,
since they are requested at once), and the plug-in's own overhead per call: the same call with no
delay (encoding the region and the mask, google-genai's request, decoding the answer, cutting it
back and blending it through the selection), on a 1 MP region of a 6 MP photo.

    .venv/bin/python bench/bench_variations.py [--delay 8] [--repeat 3]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from emulator import quick_engine, start_in_thread  # noqa: E402
from plugin import ops, pipeline  # noqa: E402
from plugin.backends.gemini import GeminiBackend  # noqa: E402
from plugin.backends.transport import Backoff  # noqa: E402
from plugin.config import Settings  # noqa: E402

PHOTO = Path(__file__).resolve().parents[1] / "tests" / "data" / "rocket.jpg"


def workload() -> tuple[np.ndarray, np.ndarray]:
    """A 3000x2000 photo with a 900x900 selection: about 1 MP goes to the model with its context."""
    image = np.asarray(Image.open(PHOTO).convert("RGBA").resize((3000, 2000), Image.Resampling.LANCZOS)).copy()
    selection = np.zeros((2000, 3000), np.uint8)
    selection[500:1400, 1000:1900] = 255
    return image, selection


def timed(url: str, variations: int, image: np.ndarray, selection: np.ndarray) -> float:
    backend = GeminiBackend(Settings(project="bench", endpoint=url), backoff=Backoff(0.01, 0.05))
    op = ops.InpaintInsert(prompt="a red kite", variations=variations, seed=1)
    started = time.perf_counter()
    output = pipeline.run(op, image, selection, backend)
    seconds = time.perf_counter() - started
    assert len(output.layers) == variations, output.notes
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=8.0, help="seconds the emulator takes per call")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (the median is printed)")
    args = parser.parse_args()
    image, selection = workload()
    fast, fast_url = start_in_thread(engine=quick_engine)
    slow, slow_url = start_in_thread(engine=quick_engine, delay=args.delay)
    try:
        timed(fast_url, 1, image, selection)  # warm: imports, the client, the first connection
        overhead = statistics.median(timed(fast_url, 1, image, selection) for _ in range(args.repeat))
        one = statistics.median(timed(slow_url, 1, image, selection) for _ in range(args.repeat))
        four = statistics.median(timed(slow_url, 4, image, selection) for _ in range(args.repeat))
    finally:
        fast.stop()
        slow.stop()
    print(
        f"Inpaint on a 900x900 selection of a 3000x2000 photo, emulator delay {args.delay:.1f} s per call, "
        f"median of {args.repeat}"
    )
    print(f"  plug-in overhead per call (no delay)   {overhead:6.2f} s")
    print(f"  1 variation                            {one:6.2f} s")
    print(f"  4 variations (side by side)            {four:6.2f} s   = {four / one:.2f} x one call")


if __name__ == "__main__":
    main()
