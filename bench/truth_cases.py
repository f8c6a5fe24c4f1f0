"""The ground-truth removal suite: photos and synthetic scenes of the kinds that break patch fills.

Each case paints foreign content (a piece of another photo) into a hole of a known picture, hands
the painted picture and the hole to a method, and compares the fill with what was really there.
The kinds: sparse bright points on dark (star fields), lattices and thin repeated bars, fine
natural texture (grass, gravel, fur), graded skies, regular man-made patterns (brick) and flat
signage-like panels. Hole shapes: an object-like blob (small and large), a brush stroke, a box.

HELD_OUT scenes are a check against tuning to the measured cases: the engine was tuned on the
others only (`local_quality.py --suite truth --held-out` runs them alone).

The shipped crops live in bench/data/truth/ (SOURCES.txt says where each comes from and its
licence); `make_data()` remakes them from the scikit-image wheel's bundled data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
TRUTH = ROOT / "bench" / "data" / "truth"
FOREIGN = ROOT / "tests" / "data" / "astronaut.jpg"

CROPS = {  # name: (scikit-image file, crop box (left, top, right, bottom), resize to or None)
    "hubble": ("hubble_deep_field.jpg", (0, 0, 1000, 872), (320, 279)),
    "hubble2": ("hubble_deep_field.jpg", (500, 436, 820, 756), None),
    "tower-left": ("rocket.jpg", (0, 0, 220, 330), None),
    "tower-right": ("rocket.jpg", (420, 0, 640, 330), None),
    "grass": ("grass.png", (0, 0, 256, 256), None),
    "gravel": ("gravel.png", (128, 128, 384, 384), None),
    "brick": ("brick.png", (0, 0, 256, 256), None),
    "fur": ("chelsea.png", (0, 0, 256, 256), None),
    "camera-sky": ("camera.png", (256, 0, 512, 200), None),
}
SYNTHETIC = ("stars", "lattice", "sky", "sign")
HELD_OUT = ("hubble2", "tower-right", "gravel", "camera-sky", "sign")
KIND = {
    "hubble": "stars",
    "hubble2": "stars",
    "stars": "stars",
    "tower-left": "lattice",
    "tower-right": "lattice",
    "lattice": "lattice",
    "grass": "texture",
    "gravel": "texture",
    "fur": "texture",
    "brick": "pattern",
    "sky": "sky",
    "camera-sky": "sky",
    "sign": "flat",
}


def make_data() -> None:
    """Write the shipped crops from scikit-image's bundled data (run once; the crops are committed)."""
    import skimage

    src = Path(skimage.__file__).parent / "data"
    TRUTH.mkdir(parents=True, exist_ok=True)
    for name, (file, box, size) in CROPS.items():
        im = Image.open(src / file)
        im = im.convert("L" if im.mode in ("L", "I") else "RGB").crop(box)
        if size:
            im = im.resize(size, Image.LANCZOS)
        im.save(TRUTH / f"{name}.jpg", quality=92)


# --- synthetic scenes ------------------------------------------------------------------------------


def star_field(h: int, w: int, seed: int, density: float = 1 / 120) -> np.ndarray:
    """Points of random brightness and colour, 1-2 px across, on a dark noisy gradient."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:h, :w].astype(np.float32)
    base = 6 + 10 * yy / h + rng.normal(0, 1.5, (h, w))
    img = np.repeat(base[..., None], 3, 2) * np.array([0.9, 0.95, 1.2])
    n = int(h * w * density)
    ys, xs = rng.uniform(0, h, n), rng.uniform(0, w, n)
    amp = 40 + 215 * rng.uniform(0, 1, n) ** 3
    sig = rng.uniform(0.5, 1.1, n)
    tint = rng.uniform(0.75, 1.0, (n, 3))
    for y, x, a, s, t in zip(ys, xs, amp, sig, tint, strict=True):
        y0, y1, x0, x1 = max(0, int(y) - 4), min(h, int(y) + 5), max(0, int(x) - 4), min(w, int(x) + 5)
        g = np.exp(-((yy[y0:y1, x0:x1] - y) ** 2 + (xx[y0:y1, x0:x1] - x) ** 2) / (2 * s * s))
        img[y0:y1, x0:x1] += a * g[..., None] * t
    return np.clip(img, 0, 255).astype(np.uint8)


def _sky(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """A graded evening sky with soft low-frequency variation and a little sensor noise."""
    from scipy import ndimage

    t = np.linspace(0, 1, h)[:, None, None]
    top, bottom = np.array([40, 70, 140]), np.array([170, 190, 215])
    img = top + (bottom - top) * t**1.3 + np.zeros((h, w, 3))
    clouds = ndimage.gaussian_filter(rng.normal(0, 1, (h, w)), 18)
    img += 6 * clouds[..., None] / max(clouds.std(), 1e-6) + rng.normal(0, 1.2, (h, w, 1))
    return img


def lattice(h: int, w: int, seed: int) -> np.ndarray:
    """A steel lattice tower (legs, cross bracing, rungs, 2-3 px bars) against a graded sky."""
    rng = np.random.default_rng(seed)
    im = Image.fromarray(np.clip(_sky(h, w, rng), 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(im)
    col = (28, 30, 38)
    left, right = int(w * 0.22), int(w * 0.78)
    d.line([(left, 0), (left, h)], fill=col, width=3)
    d.line([(right, 0), (right, h)], fill=col, width=3)
    step = (right - left) // 2
    for y in range(-step, h + step, step):
        d.line([(left, y), (right, y)], fill=col, width=2)
        d.line([(left, y), (right, y + step)], fill=col, width=2)
        d.line([(right, y), (left, y + step)], fill=col, width=2)
    return np.asarray(im).copy()


def sky(h: int, w: int, seed: int) -> np.ndarray:
    return np.clip(_sky(h, w, np.random.default_rng(seed)), 0, 255).astype(np.uint8)


def sign(h: int, w: int, seed: int) -> np.ndarray:
    """A flat road-sign-like panel: a green field, a white border stripe, a grey post, a wall behind."""
    rng = np.random.default_rng(seed)
    im = Image.new("RGB", (w, h), (196, 190, 178))
    d = ImageDraw.Draw(im)
    d.rectangle([int(w * 0.45), int(h * 0.6), int(w * 0.55), h], fill=(120, 122, 126))
    d.rounded_rectangle([int(w * 0.08), int(h * 0.1), int(w * 0.92), int(h * 0.66)], 10, fill=(240, 240, 236))
    d.rounded_rectangle([int(w * 0.11), int(h * 0.14), int(w * 0.89), int(h * 0.62)], 8, fill=(20, 110, 60))
    a = np.asarray(im).astype(np.float32) + rng.normal(0, 1.5, (h, w, 1))
    return np.clip(a, 0, 255).astype(np.uint8)


def scene(name: str) -> np.ndarray:
    if name in SYNTHETIC:
        fn = {"stars": star_field, "lattice": lattice, "sky": sky, "sign": sign}[name]
        return fn(256, 256, 7)
    return np.asarray(Image.open(TRUTH / f"{name}.jpg").convert("RGB")).copy()


# --- holes and what is painted in them -------------------------------------------------------------


def blob(shape: tuple[int, int], size: float, rng: np.random.Generator) -> np.ndarray:
    """An object-like blob: overlapping rotated ellipses, `size` times the short side across."""
    h, w = shape
    d = size * min(h, w)
    cy, cx = rng.uniform(0.3, 0.7) * h, rng.uniform(0.3, 0.7) * w
    yy, xx = np.mgrid[:h, :w]
    mask = np.zeros(shape, bool)
    for k in range(3):
        a = d / 2 * rng.uniform(0.6, 1.0)
        b = a * rng.uniform(0.5, 0.9)
        t = rng.uniform(0, np.pi)
        oy, ox = (0.0, 0.0) if k == 0 else rng.normal(0, d / 6, 2)
        y, x = yy - cy - oy, xx - cx - ox
        u, v = x * np.cos(t) + y * np.sin(t), -x * np.sin(t) + y * np.cos(t)
        mask |= (u / a) ** 2 + (v / b) ** 2 < 1
    return mask


def stroke(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """A brush stroke across the middle (a cable, a power line, a scratch), 5 % of the short side wide."""
    h, w = shape
    im = Image.new("L", (w, h), 0)
    pts = [
        (w * 0.12, rng.uniform(0.3, 0.7) * h),
        (w * 0.4, rng.uniform(0.25, 0.75) * h),
        (w * 0.65, rng.uniform(0.25, 0.75) * h),
        (w * 0.88, rng.uniform(0.3, 0.7) * h),
    ]
    ImageDraw.Draw(im).line(pts, fill=255, width=max(5, int(0.05 * min(h, w))), joint="curve")
    return np.asarray(im) > 0


def box(shape: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """An axis-aligned box, about a fifth of each side (a label, a logo, a parked car)."""
    h, w = shape
    bh, bw = int(h * rng.uniform(0.18, 0.26)), int(w * rng.uniform(0.18, 0.26))
    y0, x0 = int(rng.uniform(0.3, 0.7) * h - bh / 2), int(rng.uniform(0.3, 0.7) * w - bw / 2)
    m = np.zeros(shape, bool)
    m[y0 : y0 + bh, x0 : x0 + bw] = True
    return m


def paint_foreign(rgb: np.ndarray, hole: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The picture with a piece of another photo in the hole: a method that reads the hole's pixels
    (for its first guess or its matching) is judged with the object still there, as a user's is."""
    other = np.asarray(Image.open(FOREIGN).convert("RGB"))
    h, w = hole.shape
    oy, ox = int(rng.integers(0, other.shape[0] - h)), int(rng.integers(0, other.shape[1] - w))
    out = rgb.copy()
    out[hole] = other[oy : oy + h, ox : ox + w][hole]
    return out


def cases(held_out: bool | None = None) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(case name, truth, hole, painted input) for every scene x hole shape.

    held_out: None for all scenes, True for the held-out ones only, False for the tuning ones.
    """
    out = []
    names = list(CROPS) + list(SYNTHETIC)
    for i, name in enumerate(sorted(names)):
        if held_out is not None and (name in HELD_OUT) != held_out:
            continue
        rgb = scene(name)
        rng = np.random.default_rng(500 + i)
        shapes = [
            ("blobS", blob(rgb.shape[:2], 0.14, rng)),
            ("blobL", blob(rgb.shape[:2], 0.3, rng)),
            ("stroke", stroke(rgb.shape[:2], rng)),
            ("box", box(rgb.shape[:2], rng)),
        ]
        for label, hole in shapes:
            out.append((f"{name}-{label}", rgb, hole, paint_foreign(rgb, hole, rng)))
    return out


# --- report --------------------------------------------------------------------------------------

TEX_SLACK, PSNR_SLACK = 0.1, 0.5
"""Ours matches G'MIC on a case when its texture error is no worse by more than TEX_SLACK and its
PSNR in the hole no lower by more than PSNR_SLACK dB (the issue's criterion)."""


def verdict(rows: list[dict], ref: str = "gmic-matchpatch") -> str:
    """Per case ours against `ref`, and how many cases meet the criterion (held-out ones marked *)."""
    by = {(r["case"], r["method"]): r for r in rows}
    names = list(dict.fromkeys(r["case"] for r in rows))
    if not any((c, ref) in by for c in names):
        return f"({ref} not run: no verdict)"
    lines = [
        f"Ours against {ref} per case (* held out): PSNR dB, SSIM, texture error, seam, time s",
        f"{'case':22s} {'PSNR':>13s} {'SSIM':>13s} {'tex err':>11s} {'seam':>11s} {'time':>11s}  ok",
    ]
    ok = {True: 0, False: 0}
    for c in names:
        a, b = by.get((c, "ours")), by.get((c, ref))
        if a is None or b is None:
            continue
        good = a["texerr"] <= b["texerr"] + TEX_SLACK and a["psnr"] >= b["psnr"] - PSNR_SLACK
        ok[good] += 1
        mark = "*" if c.rsplit("-", 1)[0] in HELD_OUT else " "
        lines.append(
            f"{c + mark:22s} {a['psnr']:6.2f} {b['psnr']:6.2f} {a['ssim']:6.3f} {b['ssim']:6.3f} "
            f"{a['texerr']:5.2f} {b['texerr']:5.2f} {a['seam']:5.2f} {b['seam']:5.2f} "
            f"{a['time']:5.2f} {b['time']:5.2f}  {'yes' if good else 'NO'}"
        )
    n = ok[True] + ok[False]
    held = [c for c in names if c.rsplit("-", 1)[0] in HELD_OUT and (c, "ours") in by and (c, ref) in by]
    held_ok = sum(
        1
        for c in held
        if by[(c, "ours")]["texerr"] <= by[(c, ref)]["texerr"] + TEX_SLACK
        and by[(c, "ours")]["psnr"] >= by[(c, ref)]["psnr"] - PSNR_SLACK
    )
    lines.append(
        f"ours matches or beats {ref} in {ok[True]} of {n} cases ({100 * ok[True] / max(n, 1):.0f} %); "
        f"held out: {held_ok} of {len(held)}"
    )
    return "\n".join(lines)


README_CASES = ("hubble-blobL", "lattice-stroke", "grass-blobL", "brick-box")
README_METHODS = (
    ("ours", "imagen-gimp (offline)"),
    ("gmic-matchpatch", "G'MIC inpaint_matchpatch"),
    ("cv-telea", "OpenCV Telea"),
)


def readme_picture(rows: list[dict], cases, tile, save_sheet, path: Path) -> None:
    """A few removals from the suite side by side with the other tools, small enough for the README."""
    strips = []
    for case, rgb, hole, painted in cases:
        if case not in README_CASES:
            continue
        tiles = [tile(painted, (0, 0) + hole.shape, "selection (object painted in)", 180)]
        for name, label in README_METHODS:
            found = [r for r in rows if r["case"] == case and r["method"] == name]
            if found:
                tiles.append(tile(found[0]["out"], (0, 0) + hole.shape, label, 180))
        tiles.append(tile(rgb, (0, 0) + hole.shape, "what was there", 180))
        strips.append(tiles)
    if strips:
        tmp = path.with_suffix(".png")
        save_sheet(strips, tmp)
        Image.open(tmp).convert("RGB").save(path, quality=85)
        tmp.unlink()
        print(f"wrote {path}")
