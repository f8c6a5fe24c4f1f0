"""Answers to composition requests: several pictures, none of them a mask (Google's composition template).

As the service documents it, the answer takes the shape of the LAST picture. When the instruction asks
for an object's light and shadow to be matched to a scene (the Harmonize template: the object alone on
grey, then the scene with the object placed), the emulator does what a model does in the large: it finds
the object (where the two pictures agree and the first is not the grey backdrop), pulls its colour halfway
towards the scene's, and darkens a soft patch of the surface just under it (the contact shadow). It
re-renders everything, so the rest drifts (+6 in red) as every emulated edit does: a client must keep only
what it means to take.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

from emulator.pictures import resize, shift

SHADOW_WORDS = ("shadow",)
LIGHT_WORDS = ("light", "colour temperature", "color temperature", "exposure")
AGREE = 24  # summed |RGB| difference under which the object-alone picture and the scene agree
BACKDROP = 10  # per channel, how close to 128 grey counts as the backdrop
SHADOW_DARKENING = 0.45  # the shadow's darkest point keeps 55 % of the surface's light
PULL = 0.5  # how far the object's mean colour moves towards the scene's


def is_harmonize(prompt: str) -> bool:
    words = prompt.lower()
    return any(w in words for w in SHADOW_WORDS) and any(w in words for w in LIGHT_WORDS)


def compose(pictures: list[np.ndarray], prompt: str, size: tuple[int, int], blend_new) -> np.ndarray:
    """The answer (RGB, `size`) to a composition of `pictures`; blend_new(kept) mixes the emulator's light
    pattern over a picture for a plain composition."""
    last = pictures[-1]
    if not is_harmonize(prompt) or pictures[0].shape != last.shape:
        return blend_new(shift(resize(last, size)))
    return shift(resize(harmonized(pictures[0], last), size))


def harmonized(alone: np.ndarray, scene: np.ndarray) -> np.ndarray:
    """The scene with the object's colour matched and a contact shadow under it (RGB, the scene's size)."""
    difference = np.abs(alone.astype(np.int16) - scene.astype(np.int16)).sum(axis=2)
    backdrop = (np.abs(alone.astype(np.int16) - 128) <= BACKDROP).all(axis=2)
    obj = (difference <= AGREE) & ~backdrop
    out = scene.astype(np.float32)
    if obj.sum() < 16 or obj.all():
        return scene.copy()
    rows = np.flatnonzero(obj.any(axis=1))
    height = int(rows[-1] - rows[0] + 1)
    # the shadow: the object's footprint moved down a little, blurred, darkening the surface outside it
    drop = max(2, int(height * 0.08))
    patch = np.zeros(obj.shape, np.uint8)
    patch[drop:] = np.where(obj[:-drop], 255, 0)
    radius = float(max(2.0, height * 0.06))
    soft = np.asarray(Image.fromarray(patch).filter(ImageFilter.GaussianBlur(radius)), np.float32) / 255.0
    soft[obj] = 0.0
    out *= (1.0 - SHADOW_DARKENING * soft)[..., None]
    # the object's colour pulled towards the scene's
    scene_mean = scene[~obj].reshape(-1, 3).astype(np.float32).mean(axis=0)
    object_mean = scene[obj].reshape(-1, 3).astype(np.float32).mean(axis=0)
    out[obj] += PULL * (scene_mean - object_mean)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
