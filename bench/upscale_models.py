"""Upscale with the waifu2x model against the truth: PSNR over Pillow's Lanczos, time per MP, and the peak
memory of a 24 MP upscale.

Each photo is halved with a box filter (Pillow's reduce), upscaled x2 by Lanczos, by the classical engine
(Lanczos + back-projection, upscale.py) and by waifu2x (upscale_neural.py), and compared with the
original. Held out: the choices made by looking (UP2X over the DENOISE variants, the 4:1 blend with the
classical upscale) were made on tests/data's four photos (the blend after a first held-out run showed a
brick wall below Lanczos); the held-out set is every other photo: bench/data/cutout's subjects and
backgrounds (less the two that are tests/data photos) and bench/data/truth's crops.
Run: .venv/bin/python bench/upscale_models.py [--factor 4] [--big] (--big: the 24 MP x2 run, in a child
process, about 6 minutes on two busy cores)
--realesrgan: x4 on the held-out photos' centres (CROP x CROP, so a run takes minutes, not hours), Real-ESRGAN
x4plus against Lanczos and waifu2x (PSNR against the truth), its seconds per input MP and the process's peak
memory (the figures plugin/upscale_cost.py quotes).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plugin.engine.upscale import upscale as classical  # noqa: E402
from plugin.engine.upscale_neural import upscale as neural  # noqa: E402

TUNED = sorted((ROOT / "tests" / "data").glob("*.jpg"))
HELD_OUT = [
    path
    for path in sorted((ROOT / "bench" / "data" / "cutout").glob("*.jpg"))
    + sorted((ROOT / "bench" / "data" / "truth").glob("*.jpg"))
    if path.stem not in {p.stem for p in TUNED}
]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255.0**2 / np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)))


def row(path: Path, factor: int) -> tuple[float, float, float, float]:
    """(Lanczos PSNR, classical gain, waifu2x gain, waifu2x seconds per input MP) for one photo."""
    photo = Image.open(path).convert("RGB")
    photo = photo.crop((0, 0, photo.width // factor * factor, photo.height // factor * factor))
    truth, small = np.asarray(photo), photo.reduce(factor)
    lanczos = np.asarray(small.resize(photo.size, Image.Resampling.LANCZOS))
    rgba = np.asarray(small.convert("RGBA"))
    base = psnr(lanczos, truth)
    ours = psnr(classical(rgba, factor)[..., :3], truth) - base
    t0 = time.perf_counter()
    out, note = neural(rgba, factor)
    seconds = time.perf_counter() - t0
    if note:
        raise SystemExit(note)
    return base, ours, psnr(out[..., :3], truth) - base, seconds / (small.width * small.height / 1e6)


CROP = 256  # --realesrgan: the centre of each held-out photo, 64 x 64 input at x4


def realesrgan() -> None:
    """Real-ESRGAN x4 against Lanczos and waifu2x on the held-out photos' centres; time and memory."""
    from plugin.engine.upscale_esrgan import upscale as esrgan

    print(f"{'photo (x4, centre)':22} {'lanczos':>8} {'waifu2x':>8} {'esrgan':>8} {'s/MP':>7}")
    rows, pixels, seconds = [], 0, 0.0
    for path in HELD_OUT:
        photo = Image.open(path).convert("RGB")
        left, top = (photo.width - CROP) // 2, (photo.height - CROP) // 2
        photo = photo.crop((left, top, left + CROP, top + CROP))
        truth, small = np.asarray(photo), photo.reduce(4)
        rgba = np.asarray(small.convert("RGBA"))
        base = psnr(np.asarray(small.resize(photo.size, Image.Resampling.LANCZOS)), truth)
        waifu = psnr(neural(rgba, 4)[0][..., :3], truth) - base
        t0 = time.perf_counter()
        out, note = esrgan(rgba, 4)
        took = time.perf_counter() - t0
        if note:
            raise SystemExit(note)
        pixels, seconds = pixels + small.width * small.height, seconds + took
        gain = psnr(out[..., :3], truth) - base
        rows.append((waifu, gain))
        print(
            f"{path.stem:22} {base:8.2f} {waifu:+8.2f} {gain:+8.2f} {took / (small.width * small.height / 1e6):7.0f}",
            flush=True,
        )
    g = np.array(rows)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"mean ({len(rows)} held-out) {'':8} {g[:, 0].mean():+8.2f} {g[:, 1].mean():+8.2f} "
        f"{seconds / (pixels / 1e6):7.0f}   (esrgan min {g[:, 1].min():+.2f}); peak memory {peak:.0f} MB"
    )


def big() -> None:
    """Child process: upscale a 24 MP picture x2 with waifu2x; print seconds and peak memory."""
    tile = np.asarray(Image.open(ROOT / "tests" / "data" / "astronaut.jpg").convert("RGBA"))
    rgba = np.tile(tile, (8, 12, 1))[:4000, :6000]  # 6000 x 4000
    t0 = time.perf_counter()
    out, note = neural(np.ascontiguousarray(rgba), 2)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"24 MP x2 ({out.shape[1]}x{out.shape[0]}): {seconds:.0f} s, {seconds / 24:.2f} s per input MP, "
        f"peak memory {peak:.0f} MB (input 96 MB and result 384 MB of it){' ' + note if note else ''}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--big", action="store_true", help="also the 24 MP run (peak memory)")
    ap.add_argument("--factor", type=int, choices=(2, 4), default=2, help="x2 (default) or x4 (two passes)")
    ap.add_argument("--realesrgan", action="store_true", help="Real-ESRGAN x4 on the held-out centres")
    ap.add_argument("--child-big", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child_big:
        return big()
    if args.realesrgan:
        return realesrgan()
    print(f"{'photo':22} {'set':8} {'lanczos':>8} {'classic':>8} {'waifu2x':>8} {'s/MP':>6}")
    for label, paths in (("tuned", TUNED), ("held-out", HELD_OUT)):
        gains = []
        for path in paths:
            base, ours, gain, per_mp = row(path, args.factor)
            gains.append((ours, gain, per_mp))
            print(f"{path.stem:22} {label:8} {base:8.2f} {ours:+8.2f} {gain:+8.2f} {per_mp:6.1f}", flush=True)
        g = np.array(gains)
        print(
            f"mean {label:17} {'':8} {g[:, 0].mean():+8.2f} {g[:, 1].mean():+8.2f} {g[:, 2].mean():6.1f}"
            f"   (waifu2x min {g[:, 1].min():+.2f})"
        )
    if args.big:
        subprocess.run([sys.executable, __file__, "--child-big"], check=True)


if __name__ == "__main__":
    main()
