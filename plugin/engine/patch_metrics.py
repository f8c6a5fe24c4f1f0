"""Fill-quality measures shared by the tests and the benchmarks (NumPy only)."""

from __future__ import annotations

import numpy as np

from plugin.engine.patch_pyramid import box_any


def gray(rgb: np.ndarray) -> np.ndarray:
    return rgb[..., :3].astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def laplacian(g: np.ndarray) -> np.ndarray:
    p = np.pad(g, 1, mode="edge")
    return 4 * p[1:-1, 1:-1] - p[:-2, 1:-1] - p[2:, 1:-1] - p[1:-1, :-2] - p[1:-1, 2:]


def texture_ratio(rgb: np.ndarray, hole: np.ndarray, ring: int | None = None) -> float:
    """RMS Laplacian inside the fill over RMS Laplacian in a ring around it.

    About 1.0 means the fill carries texture like its surroundings; well below 1 means a smear.
    The hole is eroded by 2 px so the seam itself does not count as texture.
    """
    hole = hole.astype(bool)
    inner = ~box_any(~hole, 2)
    if not inner.any():
        inner = hole
    if ring is None:
        ring = max(8, int(np.sqrt(hole.sum()) / 4))
    band = box_any(hole, ring + 3) & ~box_any(hole, 3)
    if not band.any():
        return float("nan")
    lap = laplacian(gray(rgb)) ** 2
    return float(np.sqrt(lap[inner].mean() / max(lap[band].mean(), 1e-9)))


def psnr(a: np.ndarray, b: np.ndarray, region: np.ndarray) -> float:
    d = a[region].astype(np.float64) - b[region].astype(np.float64)
    mse = float((d**2).mean())
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def _gauss(g: np.ndarray, sigma: float = 1.5) -> np.ndarray:
    r = int(3 * sigma + 0.5)
    k = np.exp(-0.5 * (np.arange(-r, r + 1) / sigma) ** 2)
    k /= k.sum()
    p = np.pad(g, r, mode="reflect")
    p = np.apply_along_axis(lambda v: np.convolve(v, k, mode="valid"), 0, p)
    return np.apply_along_axis(lambda v: np.convolve(v, k, mode="valid"), 1, p)


def ssim(a: np.ndarray, b: np.ndarray, region: np.ndarray) -> float:
    """Mean SSIM (Wang et al. 2004, Gaussian window 1.5) on luma, averaged over `region`."""
    x, y = gray(a), gray(b)
    c1, c2 = (0.01 * 255) ** 2, (0.03 * 255) ** 2
    mx, my = _gauss(x), _gauss(y)
    sxx = _gauss(x * x) - mx * mx
    syy = _gauss(y * y) - my * my
    sxy = _gauss(x * y) - mx * my
    m = ((2 * mx * my + c1) * (2 * sxy + c2)) / ((mx * mx + my * my + c1) * (sxx + syy + c2))
    return float(m[region].mean())
