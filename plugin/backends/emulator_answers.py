"""What the emulator answers to a valid request.

Removal, outpainting, upscaling and automatic masks come from an injectable engine (by default
the plug-in's local engine). Anything that needs a generative model (text-to-image, insertion,
background swap, customization) is a deterministic pattern seeded by a hash of the inputs and
blended into the mask, and every such prediction says it is emulator output (`emulatorNote`).
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from collections.abc import Callable
from typing import Any

import numpy as np
from PIL import Image

from plugin.backends.emulator_validation import Checked
from plugin.backends.imagen_models import CAPABILITY, GENERATE, IMAGETEXT, UPSCALE, ModelInfo, output_size
from plugin.backends.imagen_responses import EMULATOR_FIELD

PATTERN_NOTE = "Emulator output: a deterministic pattern, not a generated picture (imagen-gimp emulator)."
ENGINE_NOTE = "Emulator output: computed by the plug-in's local engine (imagen-gimp emulator)."
FILTER_REASON = ("Your current safety filter threshold filtered out {n} generated images. You will not be "
                 "charged for blocked images. Try rephrasing the prompt. Support codes: 39322892")
ALL_FILTERED_REASON = ("Unable to show generated images. All images were filtered out because they violated "
                       "Vertex AI's usage guidelines. You will not be charged for blocked images. Try "
                       "rephrasing the prompt. Support codes: 39322892, 29310472")

Engine = Callable[[str, np.ndarray, "np.ndarray | None", dict], np.ndarray]
"""engine(task, rgb HxWx3, mask HxW (255 = change) or None, info) -> result.

Tasks: "remove", "outpaint" (same size RGB), "upscale" (info["factor"]; bigger RGB),
"foreground" (HxW uint8 subject mask for automatic masks)."""


def local_engine(task: str, rgb: np.ndarray, mask: np.ndarray | None, info: dict) -> np.ndarray:
    """The plug-in's own classical engine (plugin.engine)."""
    if task in ("remove", "outpaint"):
        from plugin.engine.inpaint import fill_hole

        hole = mask > 0
        if not hole.any():
            return rgb
        return fill_hole(rgb, hole, seed=int(info.get("seed", 0)))
    if task == "upscale":
        factor = int(info["factor"])
        if factor in (2, 4):
            from plugin.engine.upscale import upscale

            rgba = np.dstack([rgb, np.full(rgb.shape[:2], 255, np.uint8)])
            return upscale(rgba, factor)[..., :3]
        size = (rgb.shape[1] * factor, rgb.shape[0] * factor)
        return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS))
    if task == "foreground":
        from plugin.engine.cutout import subject_mask

        return subject_mask(rgb)
    raise ValueError(f"unknown engine task {task!r}")


def quick_engine(task: str, rgb: np.ndarray, mask: np.ndarray | None, info: dict) -> np.ndarray:
    """A fast stand-in (flat fill, plain resize, centre ellipse) for tests that time many calls."""
    if task in ("remove", "outpaint"):
        out = rgb.copy()
        keep = mask == 0
        out[~keep] = rgb[keep].mean(axis=0).astype(np.uint8) if keep.any() else 128
        return out
    if task == "upscale":
        factor = int(info["factor"])
        return np.asarray(Image.fromarray(rgb).resize((rgb.shape[1] * factor, rgb.shape[0] * factor)))
    h, w = rgb.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    inside = ((yy - h / 2) / (h / 3)) ** 2 + ((xx - w / 2) / (w / 3)) ** 2 <= 1
    return np.where(inside, 255, 0).astype(np.uint8)


# --- deterministic pictures and the emulator's "watermark" ----------------------------------------

def fingerprint(*parts: Any) -> int:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.tobytes() if isinstance(part, np.ndarray) else json.dumps(part, sort_keys=True,
                                                                                     default=str).encode())
    return int.from_bytes(digest.digest()[:8], "big")


def pattern(seed: int, width: int, height: int) -> np.ndarray:
    """Smooth colour blobs: cheap, deterministic, obviously not a photo."""
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(6, 6, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize((width, height), Image.Resampling.BICUBIC))


def _mark_bits(shape: tuple[int, int]) -> np.ndarray:
    return np.random.default_rng(20240611).integers(0, 2, size=shape, dtype=np.uint8)


def add_mark(rgb: np.ndarray) -> np.ndarray:
    """Stand-in for SynthID: a fixed bit pattern in the blue channel's lowest bit."""
    out = rgb.copy()
    out[..., 2] = (out[..., 2] & 0xFE) | _mark_bits(rgb.shape[:2])
    return out


def has_mark(rgb: np.ndarray) -> bool:
    return float(np.mean((rgb[..., 2] & 1) == _mark_bits(rgb.shape[:2]))) > 0.95


def encode(rgb: np.ndarray, params: dict) -> dict:
    options = params.get("outputOptions", {})
    mime = options.get("mimeType", "image/png")
    buffer = io.BytesIO()
    if mime == "image/jpeg":
        Image.fromarray(rgb).save(buffer, format="JPEG", quality=int(options.get("compressionQuality", 75)))
    else:
        Image.fromarray(rgb).save(buffer, format="PNG", compress_level=1)
    return {"mimeType": mime, "bytesBase64Encoded": base64.b64encode(buffer.getvalue()).decode("ascii")}


# --- answers -------------------------------------------------------------------------------------

def answer(info: ModelInfo, checked: Checked, engine: Engine, filtered: int = 0) -> dict:
    """The response body for a validated request; `filtered` samples are dropped as if unsafe."""
    if checked.family == IMAGETEXT:
        return {"predictions": _texts(checked)}
    if checked.family not in (GENERATE, CAPABILITY, UPSCALE):  # watermark verification
        decision = "ACCEPT" if has_mark(checked.image) else "REJECT"
        return {"predictions": [{"decision": decision, EMULATOR_FIELD: "Emulator verdict: looks for the "
                                 "emulator's own mark, not SynthID."}]}
    params = checked.params
    count = int(params.get("sampleCount", 1 if checked.family == UPSCALE else 4))
    watermark = params.get("addWatermark", info.watermark_default)
    pictures, note = _pictures(info, checked, engine, count)
    predictions: list[dict] = []
    keep = max(0, count - filtered)
    for rgb in pictures[:keep]:
        item = encode(add_mark(rgb) if watermark else rgb, params)
        if params.get("enhancePrompt", info.enhance_prompt and checked.family == GENERATE):
            item["prompt"] = f"{checked.prompt}, detailed, balanced light (emulator-enhanced prompt)"
        item[EMULATOR_FIELD] = note
        predictions.append(item)
    if filtered and params.get("includeRaiReason"):
        reason = ALL_FILTERED_REASON if keep == 0 else FILTER_REASON.format(n=min(filtered, count))
        predictions.append({"raiFilteredReason": reason})
    return {"predictions": predictions} if predictions else {}


def _pictures(info: ModelInfo, checked: Checked, engine: Engine, count: int) -> tuple[list[np.ndarray], str]:
    params = checked.params
    seed = int(params.get("seed", 0))
    if checked.family == GENERATE:
        size_name = str(params.get("sampleImageSize", "1K"))
        width, height = output_size(params.get("aspectRatio", "1:1"), size_name)
        base = fingerprint(info.id, checked.prompt, params.get("negativePrompt", ""), seed)
        return [pattern(base + i, width, height) for i in range(count)], PATTERN_NOTE
    if checked.family == UPSCALE:
        factor = int(params["upscaleConfig"]["upscaleFactor"][1:])
        return [engine("upscale", checked.image, None, {"factor": factor})], ENGINE_NOTE
    mode = params.get("editMode", "EDIT_MODE_DEFAULT")
    if checked.image is None:  # customization: a new picture guided by the references
        width, height = output_size(params.get("aspectRatio", "1:1"))
        refs = [r["pixels"] for r in checked.references]
        base = fingerprint(checked.prompt, seed, *refs)
        out = []
        for i in range(count):
            picture = pattern(base + i, width, height)
            guide = np.asarray(Image.fromarray(refs[0]).resize((width, height)))
            out.append(((picture.astype(np.uint16) + guide) // 2).astype(np.uint8))
        return out, PATTERN_NOTE
    image = checked.image
    mask = _effective_mask(checked, engine)
    if mode in ("EDIT_MODE_INPAINT_REMOVAL", "EDIT_MODE_OUTPAINT"):
        task = "remove" if mode == "EDIT_MODE_INPAINT_REMOVAL" else "outpaint"
        filled = engine(task, image, mask, {"seed": seed})
        return [filled] * count, ENGINE_NOTE
    base = fingerprint(checked.prompt, seed, image, mask if mask is not None else 0)
    if mask is not None:
        weight = (mask.astype(np.float32) / 255.0)[..., None]
    else:  # mask-free edit: the whole picture changes
        weight = np.full(image.shape[:2] + (1,), 0.5, np.float32)
    out = []
    for i in range(count):
        picture = pattern(base + i, image.shape[1], image.shape[0]).astype(np.float32)
        out.append(np.clip(image * (1 - weight) + picture * weight, 0, 255).astype(np.uint8))
    return out, PATTERN_NOTE


def _effective_mask(checked: Checked, engine: Engine) -> np.ndarray | None:
    """The user's mask, or an automatic one, grown by `dilation` (share of the image width)."""
    config = checked.mask_config
    if not config:
        return None
    mode = config.get("maskMode", "MASK_MODE_USER_PROVIDED")
    if checked.mask is not None:
        mask = np.where(checked.mask >= 128, 255, 0).astype(np.uint8)
    else:
        subject = engine("foreground", checked.image, None, {}) >= 128
        mask = np.where(subject if mode != "MASK_MODE_BACKGROUND" else ~subject, 255, 0).astype(np.uint8)
    radius = int(round(float(config.get("dilation", 0.0)) * checked.image.shape[1]))
    if radius > 0:
        from scipy.ndimage import distance_transform_edt

        if mask.any():
            mask = np.where(distance_transform_edt(mask == 0) <= radius, 255, 0).astype(np.uint8)
    return mask


def _texts(checked: Checked) -> list[str]:
    image = checked.image
    count = int(checked.params.get("sampleCount", 1))
    mean = image.reshape(-1, 3).mean(axis=0)
    tone = "bright" if mean.mean() > 150 else "dark" if mean.mean() < 90 else "mid-toned"
    channel = ("reddish", "greenish", "bluish")[int(np.argmax(mean))]
    h, w = image.shape[:2]
    if checked.prompt:
        return [f"emulator answer {i + 1} to '{checked.prompt}': a {tone}, {channel} picture"
                for i in range(count)]
    return [f"emulator caption {i + 1}: a {tone}, {channel} {w}x{h} picture" for i in range(count)]
