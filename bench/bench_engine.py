"""Speed and memory of the local engine: removal and canvas expansion on a 1 MP region, peak memory
of a removal on a 4 MP region and of a 16 MP expansion (each in a fresh subprocess, ru_maxrss).

    .venv/bin/python bench/bench_engine.py [--gmic] [--only outpaint]

CPU s is the process's CPU time over all threads: on a shared machine it moves less than the wall time.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def scene(side: int) -> np.ndarray:
    im = Image.open(ROOT / "tests" / "data" / "astronaut.jpg").convert("RGB")
    im = im.resize((side, side), Image.LANCZOS)
    return np.asarray(im).copy()


def ellipse(side: int, frac: float) -> np.ndarray:
    """An object-sized ellipse covering `frac` of the region."""
    yy, xx = np.mgrid[:side, :side]
    a = side * np.sqrt(frac / np.pi) * 1.2
    b = a / 1.44
    return ((yy - side * 0.5) / a) ** 2 + ((xx - side * 0.5) / b) ** 2 < 1


def child(task: str, side: int, frac: float) -> None:
    """Runs in a subprocess so ru_maxrss is this task's own peak."""
    from plugin.engine.inpaint import fill_hole
    from plugin.engine.outpaint import extend_canvas
    from plugin.engine.warmup import warm_up

    rgb = scene(side)
    warm_up()  # load the compiled kernels before timing
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t, c = time.perf_counter(), time.process_time()
    if task == "remove":
        hole = ellipse(side, frac)
        fill_hole(rgb, hole, seed=0)
        px = int(hole.sum())
    else:
        m = int(side * frac / 2)
        extend_canvas(rgb[:, m : side - m], (m, 0, m, 0), seed=0)
        px = 2 * m * side
    dt, dc = time.perf_counter() - t, time.process_time() - c
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(dict(time=dt, cpu=dc, peak_mb=peak / 1024, base_mb=base / 1024, px=px)))


def run_child(task: str, side: int, frac: float) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", task, str(side), str(frac)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def gmic_time(side: int, frac: float) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        src, msk, dst = (str(Path(tmp) / n) for n in ("in.png", "mask.png", "out.png"))
        Image.fromarray(scene(side)).save(src)
        Image.fromarray(ellipse(side, frac).astype(np.uint8) * 255).save(msk)
        t = time.perf_counter()
        subprocess.run(
            ["gmic", "-v", "-1", src, msk, "-inpaint_matchpatch[0]", "[1]", "-o[0]", dst],
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", nargs=3)
    ap.add_argument("--gmic", action="store_true", help="also time G'MIC inpaint_matchpatch on the 1 MP case")
    ap.add_argument("--only", choices=["remove", "outpaint"], help="run only these cases")
    args = ap.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), float(args.child[2]))
        return
    cases = [
        ("remove 1 MP region, 10% hole", "remove", 1024, 0.10),
        ("remove 1 MP region, 25% hole", "remove", 1024, 0.25),
        ("outpaint 1 MP canvas, +30% width", "outpaint", 1024, 0.30),
        ("remove 4 MP region, 25% hole", "remove", 2048, 0.25),
        ("outpaint 16 MP canvas, +30% width", "outpaint", 4000, 0.30),  # over MAX_PIXELS: made smaller
    ]
    rows = [
        (name, run_child(task, side, frac)) for name, task, side, frac in cases if not args.only or task == args.only
    ]
    print(f"{'case':36s} {'hole px':>9s} {'time s':>8s} {'CPU s':>8s} {'peak RSS MB':>12s} {'(before MB)':>12s}")
    for name, r in rows:
        print(f"{name:36s} {r['px']:9d} {r['time']:8.2f} {r['cpu']:8.2f} {r['peak_mb']:12.0f} {r['base_mb']:12.0f}")
    if args.gmic and shutil.which("gmic"):
        for frac in (0.10, 0.25):
            print(f"G'MIC inpaint_matchpatch, 1 MP, {frac:.0%} hole: {gmic_time(1024, frac):.2f} s")


if __name__ == "__main__":
    main()
