"""What every Imagen `:predict` request is made of: the call and how to read its answer, pictures on the
wire (PNG, JPEG over 10 MB, the hard mask, sizes the model works at) and the fields every image call sends
alike (samples, safety, people, watermark and seed, output format, language, negative prompt, guidance).

Pure functions, no network; requests.py and edit_requests.py build each operation's body from these.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from plugin.backends.base import BackendError
from plugin.config import ImagenOptions
from plugin.legacy.imagen.models import MAX_IMAGE_BYTES, ModelInfo
from plugin.ops import Operation

REFERENCE_SIDE = 1024  # customization references: the model works at about 1024 px
EDIT_MIN_SIDE = 1024  # smaller edit regions are sent scaled up; results come back at request size


@dataclass
class PredictCall:
    """One :predict call and how to read its answer."""

    role: str  # settings [models] role the model came from
    model: str
    instance: dict
    parameters: dict
    result: str = "images"  # "images", "texts" or "verdict"
    samples: int = 1  # images asked for, to count what the safety filter removed
    size: tuple[int, int] | None = None  # (width, height) results must have; None = as returned
    keep_alpha: np.ndarray | None = None  # alpha to put back on the results (H x W at `size`)
    notes: list[str] = field(default_factory=list)


# --- images on the wire --------------------------------------------------------------------------


def encode_png(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()


def wire_image(rgba: np.ndarray, what: str = "image") -> dict:
    """RGB PNG (JPEG when PNG would pass the 10 MB limit) as the API's Image object."""
    rgb = np.ascontiguousarray(rgba[..., :3]) if rgba.ndim == 3 else rgba
    data, mime = encode_png(rgb), "image/png"
    if len(data) > MAX_IMAGE_BYTES and rgb.ndim == 3:
        buffer = io.BytesIO()
        Image.fromarray(rgb).save(buffer, format="JPEG", quality=95)
        data, mime = buffer.getvalue(), "image/jpeg"
    if len(data) > MAX_IMAGE_BYTES:
        raise BackendError(
            f"The {what} is {len(data) / 2**20:.1f} MB encoded; Vertex AI takes at most 10 MB "
            "per image. Select a smaller area or scale the image down."
        )
    return {"bytesBase64Encoded": base64.b64encode(data).decode("ascii"), "mimeType": mime}


def wire_mask(mask: np.ndarray) -> dict:
    """A hard black/white PNG mask (white = change), as the API documents."""
    hard = np.where(mask >= 128, 255, 0).astype(np.uint8)
    return {"bytesBase64Encoded": base64.b64encode(encode_png(hard)).decode("ascii"), "mimeType": "image/png"}


def fit_reference(rgba: np.ndarray, side: int = REFERENCE_SIDE) -> np.ndarray:
    """Scale a reference layer so its longer side is at most `side` (the model's working size)."""
    height, width = rgba.shape[:2]
    scale = side / max(height, width)
    if scale >= 1:
        return rgba
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return np.asarray(Image.fromarray(rgba).resize(size, Image.Resampling.LANCZOS))


def at_model_size(image: np.ndarray, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray | None]:
    """Scale a small region up to the model's ~1024 px working size (mask kept hard)."""
    height, width = image.shape[:2]
    if max(height, width) >= EDIT_MIN_SIDE:
        return image, mask
    scale = EDIT_MIN_SIDE / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    image = np.asarray(Image.fromarray(image).resize(size, Image.Resampling.LANCZOS))
    if mask is not None:
        mask = np.asarray(Image.fromarray(mask).resize(size, Image.Resampling.NEAREST))
    return image, mask


# --- shared parameters ---------------------------------------------------------------------------


def _samples(op: Operation, info: ModelInfo, notes: list[str]) -> int:
    count = min(op.variations, info.max_samples)
    if count < op.variations:
        notes.append(f"{info.id} returns at most {info.max_samples} image(s) per request; asked for {count}.")
    return count


def _common(params: dict, op: Operation, info: ModelInfo, options: ImagenOptions, notes: list[str]) -> None:
    """Safety, people, watermark/seed, output format and language: the same on every image call."""
    params["safetySetting"] = options.safety_setting
    if info.person_generation:
        params["personGeneration"] = options.person_generation
    watermark = options.add_watermark
    if op.seed is not None:
        if watermark:
            notes.append(
                f"Seed {op.seed} was sent, so the SynthID watermark is off for this request "
                "(Vertex AI accepts a seed only without the watermark)."
            )
        watermark = False
        params["seed"] = op.seed
    params["addWatermark"] = watermark
    params["includeRaiReason"] = options.include_rai_reason
    output = {"mimeType": options.output_mime_type}
    if options.output_mime_type == "image/jpeg":
        output["compressionQuality"] = options.compression_quality
    params["outputOptions"] = output
    params["language"] = options.language


def _negative(params: dict, text: str, info: ModelInfo, notes: list[str]) -> None:
    if not text.strip():
        return
    if info.negative_prompt:
        params["negativePrompt"] = text
    else:
        notes.append(
            f"The negative prompt was not sent: {info.id} does not accept one (describe what you want instead)."
        )


def _guidance(params: dict, options: ImagenOptions) -> None:
    if options.guidance_scale > 0:
        params["guidanceScale"] = options.guidance_scale
