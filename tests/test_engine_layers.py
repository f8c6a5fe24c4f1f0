"""Local engine: the removal fill's low band and point layer (issue 15).

A graded sky hole filled with patches from elsewhere in the gradient came back blotchy (about 7
levels off on average in its broad light-and-dark); the low band now comes from a membrane there.
The point layer is only ever replaced in a point field: never in noise, a lattice or a texture.
These assert on pixels of synthetic scenes whose truth is known, never on time.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import ndimage

from plugin.engine.inpaint import fill_hole
from plugin.engine.points import field_level, point_layer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import truth_cases  # noqa: E402


def _disc(n: int, r: float) -> np.ndarray:
    yy, xx = np.mgrid[:n, :n]
    return (yy - n / 2) ** 2 + (xx - n / 2) ** 2 < r * r


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_sky_hole_keeps_the_gradient_of_its_surroundings(seed: int) -> None:
    rgb = truth_cases.sky(192, 192, seed)
    hole = _disc(192, 40)
    painted = rgb.copy()
    painted[hole] = (220, 60, 40)
    out = fill_hole(painted, hole, seed=0)
    low = [ndimage.gaussian_filter(x.astype(np.float32), (3, 3, 0)) for x in (out, rgb)]
    assert float(np.abs(low[0] - low[1])[hole].mean()) < 3.0


def test_only_a_point_field_counts_as_one() -> None:
    known = np.ones((192, 192), bool)
    rng = np.random.default_rng(0)
    noise = np.clip(rng.normal(120, 6, (192, 192, 3)), 0, 255).astype(np.uint8)
    grid = {name: truth_cases.scene(name)[:192, :192] for name in ("lattice", "brick", "grass", "sky", "sign")}
    for name, img in [("noise", noise)] + list(grid.items()):
        assert field_level(point_layer(img), known) == 0.0, name
    assert field_level(point_layer(truth_cases.star_field(192, 192, 3)), known) > 0.0
