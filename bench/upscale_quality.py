"""Upscale quality: PSNR of bicubic, Lanczos and the local engine on the shipped photos, plus time.

Each photo is reduced by the factor with Pillow's antialiased resampling (Lanczos and, as a second
degradation model, box `reduce`), upscaled back, and compared with the original. Writes a crop
comparison to bench/out/upscale_crops.png. Run: .venv/bin/python bench/upscale_quality.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plugin.engine.upscale import upscale  # noqa: E402

PHOTOS = ("cat", "coffee", "astronaut", "rocket")
OUT = ROOT / "bench" / "out"


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float(10 * np.log10(255.0**2 / mse))


def degrade(original: Image.Image, factor: int, how: str) -> Image.Image:
    if how == "box":
        return original.reduce(factor)
    return original.resize((original.width // factor, original.height // factor), Image.Resampling.LANCZOS)


def crop_row(images: list[np.ndarray], box: tuple[int, int, int, int], zoom: int) -> Image.Image:
    """Side-by-side crops (truth, bicubic, Lanczos, ours), enlarged with nearest to show pixels."""
    x, y, w, h = box
    tiles = [
        Image.fromarray(im[y : y + h, x : x + w]).resize((w * zoom, h * zoom), Image.Resampling.NEAREST)
        for im in images
    ]
    row = Image.new("RGB", (sum(t.width for t in tiles) + 4 * (len(tiles) - 1), tiles[0].height), "white")
    for i, t in enumerate(tiles):
        row.paste(t, (i * (t.width + 4), 0))
    return row


def main() -> None:
    print(f"{'photo':10} {'x':>2} {'degrade':8} {'bicubic':>8} {'lanczos':>8} {'ours':>8} {'gain':>6} {'time s':>7}")
    rows = []
    for name in PHOTOS:
        photo = Image.open(ROOT / "tests" / "data" / f"{name}.jpg").convert("RGB")
        for factor in (2, 4):
            w, h = photo.width // factor * factor, photo.height // factor * factor
            original = photo.crop((0, 0, w, h))
            truth = np.asarray(original)
            for how in ("lanczos", "box"):
                small = degrade(original, factor, how)
                bicubic = np.asarray(small.resize((w, h), Image.Resampling.BICUBIC))
                lanczos = np.asarray(small.resize((w, h), Image.Resampling.LANCZOS))
                t0 = time.perf_counter()
                ours = upscale(np.asarray(small.convert("RGBA")), factor)[..., :3]
                dt = time.perf_counter() - t0
                p_bic, p_lan, p_ours = psnr(bicubic, truth), psnr(lanczos, truth), psnr(ours, truth)
                print(
                    f"{name:10} {factor:>2} {how:8} {p_bic:8.2f} {p_lan:8.2f} {p_ours:8.2f} "
                    f"{p_ours - p_bic:+6.2f} {dt:7.2f}"
                )
                if how == "lanczos" and factor == 4:
                    cw, ch = 96, 72
                    box = ((w - cw) // 2, (h - ch) // 2, cw, ch)
                    rows.append(crop_row([truth, bicubic, lanczos, ours], box, 3))

    big = Image.open(ROOT / "tests" / "data" / "astronaut.jpg").convert("RGBA").resize((1200, 850))
    big = np.asarray(big)
    for factor in (2, 4):
        t0 = time.perf_counter()
        upscale(big, factor)
        print(f"timing: 1200x850 (1.0 MP) x{factor}: {time.perf_counter() - t0:.2f} s")

    OUT.mkdir(parents=True, exist_ok=True)
    sheet = Image.new("RGB", (rows[0].width, sum(r.height + 24 for r in rows)), "white")
    draw = ImageDraw.Draw(sheet)
    y = 0
    for name, row in zip(PHOTOS, rows, strict=True):
        draw.text((4, y + 6), f"{name} x4: original | bicubic | lanczos | ours", fill="black")
        sheet.paste(row, (0, y + 24))
        y += row.height + 24
    sheet.save(OUT / "upscale_crops.png")
    print(f"crops: {OUT / 'upscale_crops.png'}")


if __name__ == "__main__":
    main()
