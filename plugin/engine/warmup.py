"""Compile the offline fill's Numba kernels ahead of time, so a user's first Remove is not slow.

Numba compiles on first call and caches the machine code next to the modules (cache=True); a tiny
removal and a tiny expansion call every kernel once. install.sh runs this after installing.

    .venv/bin/python -m plugin.engine.warmup
"""

from __future__ import annotations

import time

import numpy as np


def warm_up() -> float:
    """Run a tiny removal and expansion; returns the seconds it took (about 30 s the first time)."""
    from plugin.engine.inpaint import fill_hole
    from plugin.engine.outpaint import extend_canvas

    started = time.perf_counter()
    rng = np.random.default_rng(0)
    # big enough for three pyramid levels: the coarse-to-fine steps call the kernels with other types
    rgb = rng.integers(0, 256, (160, 200, 3), dtype=np.uint8)
    hole = np.zeros((160, 200), bool)
    hole[50:110, 60:140] = True
    fill_hole(rgb, hole, seed=0)
    extend_canvas(rgb, (40, 30, 40, 0), seed=0)
    return time.perf_counter() - started


def main() -> None:
    print(f"offline engine ready ({warm_up():.1f} s)")


if __name__ == "__main__":
    main()
