"""Cut-out quality against an exact truth: IoU per composite for the classical and the neural cut-out.

Runs the offline engine's Replace Background cut-out (no selection, as `background --mode transparent
--backend local` does) on each composite of bench/cutout_cases.py, and GrabCut alone (the classical
cut-out, the model's fallback) for comparison; prints IoU per case, the means over the held-out and
the tuning pairs, and the time per megapixel. Writes a contact sheet to bench/out/cutout_sheet.png.
Run: .venv/bin/python bench/cutout_quality.py [--held-out | --tuning]
(choose methods with --tuning only; the held-out pairs are for reporting).

Figures (two cores shared with other jobs), network-seeded cut-out, IoU:
- tuning (22 pairs, 16 of them dark on dark): mean 0.976, lowest 0.881 (figure/grass-dark,
  figure/moon-dark: the tripod's thin legs); before the trimap change 0.962, lowest 0.733. GrabCut
  alone: 0.926, lowest 0.758.
- held out (19 pairs): mean 0.972, lowest 0.877 (horse/launchpad); before 0.940, lowest 0.747
  (astronaut/launchpad). GrabCut alone 0.877, lowest 0.384.
- about 1.7 s per MP and 410 MB peak for a 1 MP picture (best of 3; before: 1.4 s); the bench's own
  total is slower, as it times while other jobs run.
The larger U-2-Net (176 MB) with the same refinement scored 0.974 / lowest 0.881 on the tuning pairs
at three times the network's time (3.2 s against 1.1 s per picture) and 575 MB against 354 MB: not
adopted.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import cutout_cases  # noqa: E402

from plugin.engine.cutout import subject_mask  # noqa: E402
from plugin.engine.cutout_neural import find_subject  # noqa: E402

OUT = ROOT / "bench" / "out"


def neural(rgb: np.ndarray) -> np.ndarray:
    matte, note = find_subject(rgb)
    if note:
        raise SystemExit(note)
    return matte


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    which = ap.add_mutually_exclusive_group()
    which.add_argument("--held-out", action="store_true", help="only the held-out pairs")
    which.add_argument("--tuning", action="store_true", help="only the tuning pairs (choose methods on these)")
    args = ap.parse_args()
    methods = {"grabcut": lambda rgb: subject_mask(rgb), "neural": neural}
    rows, tiles = [], []
    seconds = dict.fromkeys(methods, 0.0)
    pixels = 0
    for name, rgb, truth in cutout_cases.cases(True if args.held_out else False if args.tuning else None):
        held = not cutout_cases.is_tuning(*name.split("/"))
        scores = {}
        pixels += truth.size
        row = [Image.fromarray(rgb)]
        for method, fn in methods.items():
            t0 = time.perf_counter()
            matte = fn(rgb)
            seconds[method] += time.perf_counter() - t0
            scores[method] = cutout_cases.iou(matte, truth)
            row.append(Image.fromarray(matte))
        rows.append((name, held, scores))
        tiles.append(row)
        print(
            f"{name:24} {'held-out' if held else 'tuning':8} " + " ".join(f"{m} {s:.3f}" for m, s in scores.items()),
            flush=True,
        )
    for label, pick in (("held-out", True), ("tuning", False)):
        chosen = [s for _, h, s in rows if h == pick]
        if chosen:
            print(
                f"mean {label:9} ({len(chosen)} cases): "
                + " ".join(
                    f"{m} {np.mean([s[m] for s in chosen]):.3f} (min {min(s[m] for s in chosen):.3f})" for m in methods
                )
            )
    mp = pixels / 1e6
    print("time per MP: " + " ".join(f"{m} {seconds[m] / mp:.2f} s" for m in methods))
    OUT.mkdir(parents=True, exist_ok=True)
    size = 160
    sheet = Image.new("RGB", (size * 3, size * len(tiles)), "white")
    for i, row in enumerate(tiles):
        for j, tile in enumerate(row):
            sheet.paste(tile.convert("RGB").resize((size, size)), (j * size, i * size))
    sheet.save(OUT / "cutout_sheet.png")
    print(f"sheet (composite | grabcut | neural): {OUT / 'cutout_sheet.png'}")


if __name__ == "__main__":
    main()
