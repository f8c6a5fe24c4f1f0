"""install.sh compiles the offline engine ahead: afterwards a real removal compiles nothing more."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from plugin.engine import patch_blend, patch_kernels
from plugin.engine.inpaint import fill_hole
from plugin.engine.outpaint import extend_canvas
from plugin.engine.warmup import warm_up

DATA = Path(__file__).parent / "data"
KERNELS = [
    patch_kernels.vote,
    patch_kernels.compute_dist,
    patch_kernels.patchmatch_pass,
    patch_kernels.random_init,
    patch_blend._relax,
]


def _signatures() -> list[set[str]]:
    return [set(map(str, kernel.signatures)) for kernel in KERNELS]


def test_after_warm_up_real_fills_need_no_more_compiling() -> None:
    """A new signature would mean the user's first Remove waits for Numba again (about 5 s each)."""
    warm_up()
    before = _signatures()
    rgb = np.asarray(Image.open(DATA / "astronaut.jpg").convert("RGB")).copy()
    h, w = rgb.shape[:2]
    middle = np.zeros((h, w), bool)
    middle[h // 3 : h // 2, w // 3 : w // 2] = True
    corner = np.zeros((h, w), bool)
    corner[: h // 4, : w // 5] = True
    fill_hole(rgb, middle, seed=1)  # the hole's work region is a view of the full mask
    fill_hole(rgb, corner, seed=2)
    extend_canvas(rgb[: h // 2], (30, 20, 30, 10), seed=3)
    assert _signatures() == before
