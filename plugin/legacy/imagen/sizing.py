"""The size Imagen works at: a request scaled to what `:predict` takes, and its answer scaled back.

Only Imagen needs this. Gemini and the local engine take the region at full resolution (Gemini's request
builder frames it once, plugin/framing.py), so the pipeline hands every backend the region as it is and
expects the answer at that size; the Imagen backend shrinks what it sends here and restores the size of
what it returns, so the pipeline never knows.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
from PIL import Image

from plugin import compose
from plugin.backends.base import BackendResult, EditRequest
from plugin.geometry import fit_within
from plugin.ops import Background

# 1 MP keeps every input far below 10 MB and an x4 upscale under the 17 MP output limit; the models work
# at about 1024 px, so more pixels would not add detail.
MAX_SIDE = 2048
MAX_PIXELS = 1024 * 1024


def working_size(
    width: int, height: int, max_side: int | None, max_pixels: int | None, min_side: int | None = None
) -> tuple[int, int]:
    """The size a backend works at: scaled down to its limits, or up to its minimum, aspect kept."""
    w, h = fit_within(width, height, max_side, max_pixels)
    if min_side and max(w, h) < min_side:
        scale = min_side / max(w, h)
        w, h = max(1, round(w * scale)), max(1, round(h * scale))
    return w, h


def resize_rgba(rgba: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize RGBA with premultiplied alpha, so transparent pixels do not darken the edges."""
    if (rgba.shape[1], rgba.shape[0]) == size:
        return rgba
    image = Image.fromarray(rgba, "RGBA").convert("RGBa")
    return np.asarray(image.resize(size, Image.Resampling.LANCZOS).convert("RGBA"))


def resize_mask(mask: np.ndarray, size: tuple[int, int], hard: bool = False) -> np.ndarray:
    """Resize a one-channel uint8 mask; `hard` keeps it 0/255 (what the service is sent)."""
    if (mask.shape[1], mask.shape[0]) != size:
        mask = np.asarray(Image.fromarray(mask, "L").resize(size, Image.Resampling.BILINEAR))
    if hard:
        return np.where(mask > 0, 255, 0).astype(np.uint8)
    return mask


def at_working_size(
    request: EditRequest, max_side: int | None = MAX_SIDE, max_pixels: int | None = MAX_PIXELS, min_side=None
) -> EditRequest:
    """The request with its picture and mask at the working size (a hard mask; Replace Background's
    subject selection stays soft). References are sized where they are sent (requests.fit_reference)."""
    if request.image is None:
        return request
    height, width = request.image.shape[:2]
    size = working_size(width, height, max_side, max_pixels, min_side)
    mask = request.mask
    if mask is not None:
        mask = resize_mask(mask, size, hard=not isinstance(request.op, Background))
    return dataclasses.replace(request, image=resize_rgba(request.image, size), mask=mask)


def at_request_size(result: BackendResult, request: EditRequest) -> BackendResult:
    """The answer's pictures at the size of the request's picture (an upscale keeps its own size)."""
    if request.image is None or request.op.action == "upscale":
        return result
    height, width = request.image.shape[:2]
    result.images = [resize_rgba(picture, (width, height)) for picture in result.images]
    return result


def sized(
    call: Callable[[EditRequest], BackendResult],
    request: EditRequest,
    max_side: int | None = MAX_SIDE,
    max_pixels: int | None = MAX_PIXELS,
    min_side: int | None = None,
) -> BackendResult:
    """`call` made at the working size; what it returns comes back at the request's size. A resized answer
    has its colour matched first, at the working size, where the ring around the change is the answer's own
    and not a blur of it (at the request's size the pipeline matches it, as every backend's)."""
    sent = at_working_size(request, max_side, max_pixels, min_side)
    result = call(sent)
    if sent.image is not request.image:
        result.images = [compose.match_answer(image, sent.op.action, sent.image, sent.mask) for image in result.images]
        result.colour_matched = True
    return at_request_size(result, request)
