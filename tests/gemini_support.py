"""Helpers shared by the cloud tests: a Gemini backend on the emulator, and readers of the
:generateContent bodies the emulator recorded."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from plugin import masks
from plugin.backends.gemini import GeminiBackend
from plugin.backends.transport import Backoff
from plugin.config import Settings

MAGENTA = np.array([255, 0, 255])


def gemini_backend(url: str, chosen_by_auto: bool = False, **settings_kw) -> GeminiBackend:
    settings = Settings(project="test-project", endpoint=url, **settings_kw)
    return GeminiBackend(settings, backoff=Backoff(0.01, 0.05), chosen_by_auto=chosen_by_auto)


def gemini_records(server) -> list:
    return [r for r in server.requests if r.path.endswith(":generateContent")]


def parts(body: dict) -> list[dict]:
    (content,) = body["contents"]
    assert content["role"] == "user"
    return content["parts"]


def picture(part: dict) -> np.ndarray:
    """An inlineData part -> RGB (or L for a mask) pixels."""
    data = part["inlineData"]["data"]  # google-genai sends URL-safe base64
    raw = base64.b64decode(data.replace("-", "+").replace("_", "/") + "=" * (-len(data) % 4))
    with Image.open(io.BytesIO(raw)) as image:
        return np.asarray(image).copy()


def mime(part: dict) -> str:
    data = part["inlineData"]
    return data.get("mimeType") or data.get("mime_type")


def draft_share(pixels: np.ndarray) -> float:
    """The share of pixels that are the emulator's flat magenta draft colour (a pasted thought image)."""
    rgb = pixels[..., :3].reshape(-1, 3).astype(int)
    return float((np.abs(rgb - MAGENTA).max(axis=1) <= 2).mean()) if rgb.size else 0.0


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
        canvas[layer.y : layer.y + shown.shape[0], layer.x : layer.x + shown.shape[1]] = shown
        out.append(canvas)
    return out


def outside_feather(selection: np.ndarray, op) -> np.ndarray:
    """Pixels the feathered, grown selection does not reach: they must stay identical."""
    return masks.weight_to_u8(masks.blend_weight(selection, op.grow, op.feather)) == 0
