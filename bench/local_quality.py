"""Quality benchmark of the local engine's object removal and canvas expansion.

Compares our PatchMatch fill with G'MIC (`inpaint_matchpatch`, `inpaint`), OpenCV Telea and xphoto
FSR and shift-map (each only when installed) on the shipped photos with object-shaped masks of
several sizes, and our canvas expansion with the same tools on crops of the photos expanded back to full size.
Prints a table (time, PSNR and SSIM on the hole, texture ratio) and writes contact sheets and a
per-case CSV to bench/out/.

    .venv/bin/python bench/local_quality.py [--quick] [--only NAME ...]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from plugin.engine.inpaint import fill_hole  # noqa: E402
from plugin.engine.outpaint import extend_canvas  # noqa: E402
from plugin.engine.patch_metrics import gray, laplacian, psnr, ssim, texture_ratio  # noqa: E402
from plugin.engine.patch_pyramid import box_any  # noqa: E402
from plugin.engine.warmup import warm_up  # noqa: E402

DATA = ROOT / "tests" / "data"
OUT = ROOT / "bench" / "out"
PHOTOS = ["cat", "coffee", "astronaut", "rocket"]
Method = Callable[[np.ndarray, np.ndarray], np.ndarray]


def load(name: str) -> np.ndarray:
    return np.asarray(Image.open(DATA / f"{name}.jpg").convert("RGB")).copy()


def blob_mask(shape: tuple[int, int], size: float, rng: np.random.Generator) -> np.ndarray:
    """An object-like blob: a few overlapping rotated ellipses, `size` times the short side across."""
    h, w = shape
    d = size * min(h, w)
    cy = rng.uniform(0.25, 0.75) * h
    cx = rng.uniform(0.25, 0.75) * w
    yy, xx = np.mgrid[:h, :w]
    mask = np.zeros(shape, bool)
    for k in range(3 if size > 0.1 else 1):
        a = d / 2 * rng.uniform(0.6, 1.0)
        b = a * rng.uniform(0.5, 0.9)
        t = rng.uniform(0, np.pi)
        oy, ox = (0.0, 0.0) if k == 0 else rng.normal(0, d / 5, 2)
        y, x = yy - cy - oy, xx - cx - ox
        u = x * np.cos(t) + y * np.sin(t)
        v = -x * np.sin(t) + y * np.cos(t)
        mask |= (u / a) ** 2 + (v / b) ** 2 < 1
    return mask


def removal_cases(quick: bool) -> list[tuple[str, np.ndarray, np.ndarray]]:
    cases = []
    sizes = [("S", 0.08), ("M", 0.18), ("L", 0.32)]
    for i, name in enumerate(PHOTOS):
        rgb = load(name)
        rng = np.random.default_rng(100 + i)
        for label, size in sizes[:2] if quick else sizes:
            cases.append((f"{name}-{label}", rgb, blob_mask(rgb.shape[:2], size, rng)))
    return cases


# --- methods -----------------------------------------------------------------------------------


def ours(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    return fill_hole(rgb, hole, seed=0)


def _gmic(command: str) -> Method:
    def run(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
        with tempfile.TemporaryDirectory() as tmp:
            src, msk, dst = (str(Path(tmp) / n) for n in ("in.png", "mask.png", "out.png"))
            Image.fromarray(rgb).save(src)
            Image.fromarray(hole.astype(np.uint8) * 255).save(msk)
            subprocess.run(
                ["gmic", "-v", "-1", src, msk, f"-{command}[0]", "[1]", "-o[0]", dst], check=True, capture_output=True
            )
            out = np.asarray(Image.open(dst).convert("RGB")).copy()
        res = rgb.copy()
        res[hole] = out[hole]  # G'MIC may blend outside the mask; judge the hole only
        return res

    return run


def _opencv_methods() -> dict[str, Method]:
    try:
        import cv2
    except ImportError:
        return {}
    methods: dict[str, Method] = {}

    def telea(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
        bgr = cv2.inpaint(rgb[..., ::-1].copy(), hole.astype(np.uint8) * 255, 5, cv2.INPAINT_TELEA)
        return bgr[..., ::-1].copy()

    methods["cv-telea"] = telea
    if hasattr(cv2, "xphoto"):

        def fsr(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
            bgr = rgb[..., ::-1].copy()
            out = np.zeros_like(bgr)
            cv2.xphoto.inpaint(bgr, (~hole).astype(np.uint8) * 255, out, cv2.xphoto.INPAINT_FSR_FAST)
            return out[..., ::-1].copy()

        methods["cv-fsr-fast"] = fsr

        def shiftmap(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
            """He & Sun's statistics of patch offsets (shift-map), which wants Lab input."""
            lab = cv2.cvtColor(rgb[..., ::-1].copy(), cv2.COLOR_BGR2Lab)
            lab[hole] = 0
            out = np.zeros_like(lab)
            cv2.xphoto.inpaint(lab, (~hole).astype(np.uint8) * 255, out, cv2.xphoto.INPAINT_SHIFTMAP)
            return cv2.cvtColor(out, cv2.COLOR_Lab2BGR)[..., ::-1].copy()

        methods["cv-shiftmap"] = shiftmap
    return methods


def truth(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
    """The untouched photo: its texture ratio is the target, not 1.0 (blurred backdrops score low)."""
    return rgb


def methods(only: list[str] | None) -> dict[str, Method]:
    found: dict[str, Method] = {"truth": truth, "ours": ours}
    if shutil.which("gmic"):
        found["gmic-matchpatch"] = _gmic("inpaint_matchpatch")
        found["gmic-inpaint"] = _gmic("inpaint")
    else:
        print("gmic not found: apt-get install -y gmic", file=sys.stderr)
    found.update(_opencv_methods())
    return {k: v for k, v in found.items() if not only or k in only}


# --- measuring ---------------------------------------------------------------------------------


def seam_ratio(img: np.ndarray, known: np.ndarray) -> float:
    """Mean |Laplacian| on the 2-px band where known meets filled, over the mean inside the known part."""
    lap = np.abs(laplacian(gray(img)))
    p = np.pad(known, 1, mode="edge")
    edge = known & ~(p[2:, 1:-1] & p[:-2, 1:-1] & p[1:-1, 2:] & p[1:-1, :-2])
    inner = known & ~edge
    return float(lap[edge].mean() / max(lap[inner].mean(), 1e-9)) if edge.any() else float("nan")


def _run(
    task: str, case: str, mname: str, fn: Method, rgb: np.ndarray, hole: np.ndarray, cache: bool
) -> tuple[np.ndarray, float]:
    """Run one method; other tools' results are cached in bench/out/cache (they do not change)."""
    key = OUT / "cache" / f"{task}_{mname}_{case}_{hashlib.sha1(hole.tobytes() + rgb.tobytes()).hexdigest()[:10]}"
    png, tfile = key.with_suffix(".png"), key.with_suffix(".t")
    if cache and mname not in ("ours", "truth") and png.exists():
        return np.asarray(Image.open(png)).copy(), float(tfile.read_text())
    t = time.perf_counter()
    out = fn(rgb, hole)
    dt = time.perf_counter() - t
    if mname not in ("ours", "truth"):
        key.parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(out).save(png)
        tfile.write_text(repr(dt))
    return out, dt


def texture_error(out: np.ndarray, ref: np.ndarray, hole: np.ndarray) -> float:
    """|log2| of the fill's RMS Laplacian over the truth's, on the hole eroded by 2 px (0 = as textured)."""
    inner = ~box_any(~hole, 2)
    if not inner.any():
        inner = hole
    a, b = (float(np.sqrt((laplacian(gray(x))[inner] ** 2).mean())) for x in (out, ref))
    return abs(float(np.log2(max(a, 1e-3) / max(b, 1e-3))))


def evaluate(cases, meths: dict[str, Method], task: str, cache: bool = True) -> list[dict]:
    """A case is (name, truth, hole) or (name, truth, hole, painted input): foreign content in the hole."""
    rows = []
    for case, rgb, hole, *painted in cases:
        given = painted[0] if painted else rgb
        for mname, fn in meths.items():
            out, dt = _run(task, case, mname, fn, given, hole, cache)
            if mname == "truth":
                out = rgb
            rows.append(
                dict(
                    case=case,
                    method=mname,
                    time=dt,
                    psnr=psnr(out, rgb, hole),
                    ssim=ssim(out, rgb, hole),
                    texture=texture_ratio(out, hole),
                    texerr=texture_error(out, rgb, hole),
                    seam=seam_ratio(out, ~hole),
                    out=out,
                )
            )
            print(f"  {case:14s} {mname:16s} {dt:6.2f}s  tex {rows[-1]['texture']:.2f}", file=sys.stderr)
    return rows


def table(rows: list[dict], title: str) -> str:
    names = list(dict.fromkeys(r["method"] for r in rows))
    head = (
        f"{'method':16s} {'time s':>8s} {'PSNR dB':>8s} {'SSIM':>6s} {'texture':>8s} {'tex err':>8s} "
        f"{'|log2 t|':>8s} {'seam':>6s}"
    )
    lines = [title, head]
    for n in names:
        rs = [r for r in rows if r["method"] == n]
        m = {k: float(np.mean([r[k] for r in rs])) for k in ("time", "psnr", "ssim", "texture", "seam")}
        # texture error: mean |log2(RMS Laplacian of the fill / that of the true pixels)|, 0 = as textured
        err = float(np.mean([r["texerr"] for r in rs]))
        # distance from 1.0, the "consistent with the ring around it", whatever the truth held
        off = float(np.mean([abs(np.log2(max(r["texture"], 1e-3))) for r in rs]))
        lines.append(
            f"{n:16s} {m['time']:8.2f} {m['psnr']:8.2f} {m['ssim']:6.3f} "
            f"{m['texture']:8.2f} {err:8.2f} {off:8.2f} {m['seam']:6.2f}"
        )
    return "\n".join(lines)


# --- contact sheets ----------------------------------------------------------------------------


def _crop_box(hole: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(hole)
    h, w = hole.shape
    cy, cx = (ys.min() + ys.max()) / 2, (xs.min() + xs.max()) / 2
    half = max(ys.max() - ys.min(), xs.max() - xs.min()) * 0.9 + 16
    y0, x0 = int(max(0, cy - half)), int(max(0, cx - half))
    return y0, x0, int(min(h, cy + half)), int(min(w, cx + half))


def _tile(img: np.ndarray, box, label: str, size: int = 220) -> Image.Image:
    y0, x0, y1, x1 = box
    im = Image.fromarray(img[y0:y1, x0:x1])
    im = im.resize((size, max(1, round(size * (y1 - y0) / (x1 - x0)))), Image.LANCZOS)
    canvas = Image.new("RGB", (size, im.height + 14), "white")
    canvas.paste(im, (0, 14))
    ImageDraw.Draw(canvas).text((2, 1), label, fill="black")
    return canvas


def _save_sheet(strips: list[list[Image.Image]], path: Path) -> None:
    """One row of tiles per case, rows stacked, saved as one PNG."""
    rows = []
    for tiles in strips:
        row = Image.new("RGB", (sum(t.width for t in tiles), max(t.height for t in tiles)), "white")
        x = 0
        for tile in tiles:
            row.paste(tile, (x, 0))
            x += tile.width
        rows.append(row)
    sheet = Image.new("RGB", (max(r.width for r in rows), sum(r.height for r in rows)), "white")
    y = 0
    for row in rows:
        sheet.paste(row, (0, y))
        y += row.height
    sheet.save(path)


def contact_sheet(rows: list[dict], cases, path: Path, mask_of=None) -> None:
    names = list(dict.fromkeys(r["method"] for r in rows))
    strips = []
    for case, rgb, hole, *painted in cases:
        box = _crop_box(hole)
        shown = rgb.copy()
        shown[hole] = (shown[hole] * 0.4 + np.array([255, 0, 255]) * 0.6).astype(np.uint8)
        tiles = [_tile(rgb, box, f"{case} truth"), _tile(painted[0] if painted else shown, box, "given")]
        for n in names:
            r = next(r for r in rows if r["case"] == case and r["method"] == n)
            tiles.append(_tile(r["out"], box, f"{n} tex {r['texture']:.2f}"))
        strips.append(tiles)
    _save_sheet(strips, path)


# --- outpaint ----------------------------------------------------------------------------------


def outpaint_cases(quick: bool) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Crop the middle of each photo; the task is to grow it back to the full frame."""
    cases = []
    for name in PHOTOS:
        rgb = load(name)
        h, w = rgb.shape[:2]
        for label, fx, fy in [("wide", 0.2, 0.0), ("all", 0.12, 0.12)][: 1 if quick else 2]:
            hole = np.ones((h, w), bool)
            my, mx = int(h * fy), int(w * fx)
            hole[my : h - my, mx : w - mx] = False
            cases.append((f"{name}-{label}", rgb, hole))
    return cases


def _margins(hole: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(~hole)
    h, w = hole.shape
    return xs.min(), ys.min(), w - 1 - xs.max(), h - 1 - ys.max()


def outpaint_methods(inpaint_methods: dict[str, Method]) -> dict[str, Method]:
    def ours_out(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
        left, top, right, bottom = _margins(hole)
        crop = rgb[top : rgb.shape[0] - bottom, left : rgb.shape[1] - right]
        return extend_canvas(crop, (left, top, right, bottom), seed=0)

    def mirror(rgb: np.ndarray, hole: np.ndarray) -> np.ndarray:
        left, top, right, bottom = _margins(hole)
        crop = rgb[top : rgb.shape[0] - bottom, left : rgb.shape[1] - right]
        return np.pad(crop, ((top, bottom), (left, right), (0, 0)), mode="symmetric")

    found = {"truth": truth, "ours": ours_out, "mirror": mirror}
    found.update({k: v for k, v in inpaint_methods.items() if k not in ("truth", "ours", "gmic-inpaint")})
    return found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer cases")
    ap.add_argument("--only", nargs="*", help="method names to run")
    ap.add_argument("--skip-outpaint", action="store_true")
    ap.add_argument("--skip-remove", action="store_true")
    ap.add_argument("--fresh", action="store_true", help="rerun other tools, ignoring bench/out/cache")
    ap.add_argument(
        "--suite",
        choices=["photos", "truth"],
        default="photos",
        help="truth: the ground-truth removal suite of bench/truth_cases.py",
    )
    ap.add_argument(
        "--held-out",
        choices=["all", "tune", "check"],
        default="all",
        help="truth suite: every scene, only those tuned on, or only the held-out check",
    )
    ap.add_argument("--readme", action="store_true", help="also write the README's comparison picture")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    meths = methods(args.only)
    warm_up()  # compiled kernels loaded before anything is timed

    reports = []
    if args.suite == "truth":
        import truth_cases

        held = {"all": None, "tune": False, "check": True}[args.held_out]
        cases = truth_cases.cases(held)
        rows = evaluate(cases, meths, "truth", not args.fresh)
        reports.append(table(rows, f"Ground-truth removal: {len(cases)} cases, means"))
        reports.append(truth_cases.verdict(rows))
        for kind in sorted(set(truth_cases.KIND.values())):
            sub = [c for c in cases if truth_cases.KIND[c[0].rsplit("-", 1)[0]] == kind]
            if sub:
                contact_sheet([r for r in rows if r["case"] in {c[0] for c in sub}], sub, OUT / f"truth_{kind}.png")
        _csv(rows, OUT / "truth.csv")
        if args.readme:
            truth_cases.readme_picture(rows, cases, _tile, _save_sheet, ROOT / "docs" / "img" / "remove-compare.jpg")
        args.skip_remove = args.skip_outpaint = True
    if not args.skip_remove:
        cases = removal_cases(args.quick)
        rows = evaluate(cases, meths, "remove", not args.fresh)
        reports.append(table(rows, f"Object removal: {len(cases)} cases (4 photos x blob masks), means"))
        for name in PHOTOS:
            sub = [c for c in cases if c[0].startswith(name + "-")]
            mine = [r for r in rows if r["case"].startswith(name + "-")]
            contact_sheet(mine, sub, OUT / f"remove_{name}.png")
        _csv(rows, OUT / "remove.csv")

    if not args.skip_outpaint:
        ocases = outpaint_cases(args.quick)
        orows = evaluate(ocases, outpaint_methods(meths), "outpaint", not args.fresh)
        reports.append(table(orows, f"Canvas expansion: {len(ocases)} cases (crop, expand back), means"))
        _outpaint_sheet(orows, ocases, OUT / "outpaint.png")
        _csv(orows, OUT / "outpaint.csv")
    print("\n\n".join(reports))
    print(f"\ncontact sheets and CSV in {OUT}")


def _outpaint_sheet(rows: list[dict], cases, path: Path) -> None:
    names = list(dict.fromkeys(r["method"] for r in rows))
    strips = []
    for case, rgb, hole in cases:
        box = (0, 0, rgb.shape[0], rgb.shape[1])
        shown = rgb.copy()
        shown[hole] = (shown[hole] * 0.4 + np.array([255, 0, 255]) * 0.6).astype(np.uint8)
        tiles = [_tile(rgb, box, f"{case} truth", 260), _tile(shown, box, "kept", 260)]
        for n in names:
            r = next(r for r in rows if r["case"] == case and r["method"] == n)
            tiles.append(_tile(r["out"], box, f"{n} tex {r['texture']:.2f} seam {r['seam']:.2f}", 260))
        strips.append(tiles)
    _save_sheet(strips, path)


def _csv(rows: list[dict], path: Path) -> None:
    with open(path, "w", newline="") as f:
        wr = csv.DictWriter(f, fieldnames=["case", "method", "time", "psnr", "ssim", "texture", "texerr", "seam"])
        wr.writeheader()
        for r in rows:
            wr.writerow({k: (round(v, 4) if isinstance(v, float) else v) for k, v in r.items() if k != "out"})


if __name__ == "__main__":
    main()
