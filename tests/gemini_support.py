"""Helpers shared by the Gemini tests: the emulator (both APIs), a backend on it, and readers of the
:generateContent bodies it recorded."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from plugin import masks
from plugin.backends.gemini import GeminiBackend
from plugin.backends.vertex import Backoff
from plugin.config import Settings


def gemini_backend(url: str, **settings_kw) -> GeminiBackend:
    settings = Settings(project="test-project", location="us-central1", endpoint=url, **settings_kw)
    return GeminiBackend(settings, backoff=Backoff(0.01, 0.05))


def gemini_records(server) -> list:
    return [r for r in server.requests if r.path.endswith(":generateContent")]


def parts(body: dict) -> list[dict]:
    (content,) = body["contents"]
    assert content["role"] == "user"
    return content["parts"]


def picture(part: dict) -> np.ndarray:
    """An inlineData part -> RGB (or L for a mask) pixels."""
    raw = base64.b64decode(part["inlineData"]["data"])
    with Image.open(io.BytesIO(raw)) as image:
        return np.asarray(image).copy()


def gradient(width: int = 400, height: int = 300) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    rgba = np.zeros((height, width, 4), np.uint8)
    rgba[..., 0] = (xx * 255 // width).astype(np.uint8)
    rgba[..., 1] = (yy * 255 // height).astype(np.uint8)
    rgba[..., 2] = 90
    rgba[..., 3] = 255
    return rgba


def box(width: int, height: int, x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    mask = np.zeros((height, width), np.uint8)
    mask[y0:y1, x0:x1] = 255
    return mask


def shown_over(original: np.ndarray, layers: list) -> list[np.ndarray]:
    """Each layer as GIMP shows it over the original, as a full picture."""
    out = []
    for layer in layers:
        canvas = original.copy()
        shown = layer.shown()
        canvas[layer.y:layer.y + shown.shape[0], layer.x:layer.x + shown.shape[1]] = shown
        out.append(canvas)
    return out


def outside_feather(selection: np.ndarray, op) -> np.ndarray:
    """Pixels the feathered, grown selection does not reach: they must stay identical."""
    return masks.weight_to_u8(masks.blend_weight(selection, op.grow, op.feather)) == 0
