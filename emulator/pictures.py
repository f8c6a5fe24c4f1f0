"""Pixels in and out: inline images decoded as strictly as Vertex takes them, deterministic pictures,
PNG/JPEG encoding, and the small tell-tale touches tests look for (magenta drafts, a colour shift).

Every output picture is a pure function of the request, so a test can assert on it and a rerun gives
the same bytes; nothing here pretends to be a generative model.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
from typing import Any

import numpy as np
from PIL import Image

from emulator.catalogue import INPUT_MIME, MAX_INLINE_BYTES
from emulator.errors import BAD_REQUEST, ApiError, invalid, snake

FORMAT_OF = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
DRAFT_COLOUR = (255, 0, 255)  # interim thought pictures: flat magenta, unmistakable when pasted
KEPT_SHIFT = (6, 0, 0)  # the global drift real models put on the kept area (+6 red), so clients must blend
MIME_HELP = "https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/gemini"


def decode_inline(data: Any, mime: str, path: str) -> np.ndarray:
    """inlineData -> RGB pixels; raises the 400 Vertex gives for bad base64, size, type or content."""
    if mime not in INPUT_MIME:
        raise invalid(
            f"{path}.mimeType",
            f"unsupported MIME type {mime}",
            message=(
                f"Unable to submit request because it has a mimeType parameter with value {mime}, which is not "
                f"supported. Update the mimeType and try again. Learn more: {MIME_HELP}"
            ),
        )
    raw = b64decode(data, f"{path}.data")
    if len(raw) > MAX_INLINE_BYTES:
        raise invalid(
            path,
            f"inline data is {len(raw)} bytes; the limit for inline data is "
            f"{MAX_INLINE_BYTES} bytes (7 MB). Upload larger files to Cloud Storage.",
        )
    if mime not in FORMAT_OF:
        raise invalid(f"{path}.mimeType", f"the emulator cannot decode {mime}; send PNG, JPEG or WebP")
    try:
        with Image.open(io.BytesIO(raw)) as picture:
            if picture.format != FORMAT_OF[mime]:
                raise ValueError(f"{mime} holds {picture.format}")
            return np.asarray(picture.convert("RGB")).copy()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise ApiError(
            400,
            "Provided image is not valid.",
            field=snake(path),
            details=[{"@type": BAD_REQUEST, "fieldViolations": [{"field": snake(path), "description": str(exc)}]}],
        ) from exc


def b64decode(data: Any, path: str) -> bytes:
    """Standard or URL-safe base64 (google-genai sends URL-safe), padded or not, as Google's parser takes."""
    if not isinstance(data, str):
        raise invalid(path, "bytes must be a base64 string")
    text = data.strip().replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        shown = data if len(data) <= 40 else data[:37] + "..."
        raise ApiError(
            400,
            f"Invalid value at '{snake(path)}' (TYPE_BYTES), Base64 decoding failed for \"{shown}\"",
            field=snake(path),
        ) from exc


def fingerprint(*parts: Any) -> int:
    """A stable 64-bit hash of pictures and JSON-able values (seeds the patterns)."""
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            digest.update(str(part.shape).encode() + part.tobytes())
        else:
            digest.update(json.dumps(part, sort_keys=True, default=str).encode())
    return int.from_bytes(digest.digest()[:8], "big")


def pattern(seed: int, width: int, height: int) -> np.ndarray:
    """Smooth colour blobs: cheap at any size, deterministic, obviously not a photo."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(6, 6, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize((width, height), Image.Resampling.BICUBIC))


def draft(width: int, height: int) -> np.ndarray:
    return np.broadcast_to(np.array(DRAFT_COLOUR, np.uint8), (height, width, 3))


def resize(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if (rgb.shape[1], rgb.shape[0]) == size:
        return rgb
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BICUBIC))


def resize_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A 0/255 mask at another size, kept binary (bilinear, then thresholded at half)."""
    if (mask.shape[1], mask.shape[0]) == size:
        return mask
    scaled = np.asarray(Image.fromarray(mask).resize(size, Image.Resampling.BILINEAR))
    return np.where(scaled >= 128, 255, 0).astype(np.uint8)


def as_mask(second: np.ndarray, first: np.ndarray) -> np.ndarray | None:
    """The second picture as a 0/255 mask when it is a black-and-white picture of the first one's shape
    (how a client sends a selection to a model without a mask field); else None."""
    if second.shape != first.shape:
        return None
    red, green, blue = second[..., 0], second[..., 1], second[..., 2]
    if not (np.array_equal(red, green) and np.array_equal(green, blue)):
        return None
    grey = second[..., 0]
    if np.mean((grey <= 16) | (grey >= 239)) < 0.95:
        return None
    return np.where(grey >= 128, 255, 0).astype(np.uint8)


def shift(rgb: np.ndarray, offset: tuple[int, int, int] = KEPT_SHIFT) -> np.ndarray:
    return np.clip(rgb.astype(np.int16) + np.array(offset, np.int16), 0, 255).astype(np.uint8)


def encode(rgb: np.ndarray, mime: str = "image/png", quality: int = 75) -> str:
    """Standard base64 of a PNG (fast compression) or JPEG, as Vertex returns inline data."""
    buffer = io.BytesIO()
    picture = Image.fromarray(np.ascontiguousarray(rgb))
    if mime == "image/jpeg":
        picture.save(buffer, format="JPEG", quality=max(1, min(quality, 95)))
    else:
        picture.save(buffer, format="PNG", compress_level=1)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def caption(image: np.ndarray | None, question: str) -> str:
    """A Describe answer from pixel statistics that echoes the question (so tests can match it)."""
    asked = question.strip()[:120]
    if image is None:
        return f"Emulator answer to '{asked}': there is no picture to describe."
    mean = image.reshape(-1, 3).mean(axis=0)
    tone = "bright" if mean.mean() > 150 else "dark" if mean.mean() < 90 else "mid-toned"
    hue = ("reddish", "greenish", "bluish")[int(np.argmax(mean))]
    return (
        f"Emulator answer to '{asked}': a {tone}, {hue} {image.shape[1]}x{image.shape[0]} picture "
        f"(mean colour {int(mean[0])}, {int(mean[1])}, {int(mean[2])})."
    )
