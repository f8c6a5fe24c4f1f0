"""Is a classical colour match an honest offline Harmonize? Measured, not assumed.

For each photo in tests/data an object sits in its own scene under the scene's light (the truth). It is
"pasted from another photo" by relighting it: a warm or cool colour temperature, brighter or darker
exposure, more or less contrast. Then the classical fallbacks try to undo that from the surroundings
alone, and the error against the truth is measured (mean absolute RGB error inside the object, 0-255):
  - reinhard: the object's per-channel mean and spread set to those of a ring of scene around it
    (Reinhard et al. 2001, the textbook colour transfer);
  - mean shift: only the per-channel mean moved to the ring's (what plugin/compose.match_colour does
    for fills, where the fill and its ring show the same material);
  - grey-world gain: per-channel gains that give the object the ring's colour balance, keeping its
    brightness (a colour temperature correction only).
A fallback is useful only if it brings the pasted object closer to the truth in most cases. Run:
    .venv/bin/python bench/harmonize_colour_match.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy import ndimage

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from plugin.images import read_picture  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
# (photo, the object's ellipse: centre x, centre y, radius x, radius y) - what stands out in each photo
OBJECTS = {
    "coffee": (280, 220, 200, 165),  # the red cup on its saucer (the ring: the wooden table)
    "astronaut": (175, 300, 150, 215),  # the astronaut in her orange suit (the flag and the backdrop)
    "astronaut-model": (410, 137, 43, 137),  # the white shuttle model (the grey backdrop)
    "rocket": (320, 277, 17, 128),  # the white rocket (the night sky)
    "cat": (230, 130, 60, 45),  # the cat's eyes and nose (the rest of its face: the same material)
}
RELIGHT = {
    "warm": (1.15, 1.0, 0.8, 1.0, 0),
    "cool": (0.85, 1.0, 1.2, 1.0, 0),
    "darker": (0.7, 0.7, 0.7, 1.0, 0),
    "brighter": (1.3, 1.3, 1.3, 1.0, 0),
    "flat": (1.0, 1.0, 1.0, 0.6, 0),
    "warm+dark+contrast": (1.05, 0.85, 0.65, 1.3, 0),
}
RING = 24


def ellipse(shape, cx, cy, rx, ry) -> np.ndarray:
    yy, xx = np.mgrid[0 : shape[0], 0 : shape[1]]
    return ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1.0


def relight(rgb: np.ndarray, inside: np.ndarray, gains) -> np.ndarray:
    r, g, b, contrast, _ = gains
    out = rgb.astype(np.float32).copy()
    part = out[inside] * np.array([r, g, b], np.float32)
    mean = part.mean(axis=0)
    part = (part - mean) * contrast + mean
    out[inside] = part
    return np.clip(out, 0, 255)


def reinhard(rgb, inside, ring):
    out = rgb.copy()
    part = out[inside]
    ref = rgb[ring]
    out[inside] = (part - part.mean(0)) / (part.std(0) + 1e-6) * ref.std(0) + ref.mean(0)
    return np.clip(out, 0, 255)


def mean_shift(rgb, inside, ring):
    out = rgb.copy()
    out[inside] += rgb[ring].mean(0) - out[inside].mean(0)
    return np.clip(out, 0, 255)


def grey_world(rgb, inside, ring):
    out = rgb.copy()
    ref, part = rgb[ring].mean(0), out[inside].mean(0)
    gains = (ref / ref.mean()) / (part / part.mean() + 1e-6)
    out[inside] *= gains
    return np.clip(out, 0, 255)


METHODS = {"reinhard": reinhard, "mean shift": mean_shift, "grey-world gain": grey_world}


def main() -> None:
    wins = {name: 0 for name in METHODS}
    cases = 0
    print(f"{'object':16} {'relit':20} {'pasted':>7} " + " ".join(f"{m:>16}" for m in METHODS))
    for photo, (cx, cy, rx, ry) in OBJECTS.items():
        rgb = read_picture(DATA / f"{photo.split('-')[0]}.jpg")[..., :3].astype(np.float32)
        inside = ellipse(rgb.shape, cx, cy, rx, ry)
        ring = ndimage.binary_dilation(inside, iterations=RING) & ~inside
        for label, gains in RELIGHT.items():
            pasted = relight(rgb, inside, gains)
            before = np.abs(pasted[inside] - rgb[inside]).mean()
            errors = {
                name: np.abs(method(pasted, inside, ring)[inside] - rgb[inside]).mean()
                for name, method in METHODS.items()
            }
            cases += 1
            for name, error in errors.items():
                wins[name] += error < before
            print(f"{photo:16} {label:20} {before:7.1f} " + " ".join(f"{errors[m]:16.1f}" for m in METHODS))
    print()
    for name, count in wins.items():
        print(f"{name}: closer to the truth than the pasted object in {count} of {cases} cases")


if __name__ == "__main__":
    main()
