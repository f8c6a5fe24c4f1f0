"""The legacy Imagen `:predict` side, served only when the server keeps an Imagen endpoint (imagen=True).

Google shut the Imagen family down in 2026 (ref §1.2), so by default every Imagen id answers the
same 404 as any retired model; some projects still have an endpoint, and the plug-in's legacy backend
is tested against this side. Ported from the plug-in's first emulator: strict checks
(imagen_checks, imagen_edit), answers from the injectable engine for removal/outpainting/upscaling/
automatic masks and deterministic patterns for everything generative, each prediction saying it is
emulator output (`emulatorNote`), and the Imagen-specific faults (filter, 403-person, blocked).
"""

from __future__ import annotations

import json
from typing import Any, Protocol

import numpy as np
from PIL import Image

from emulator import errors
from emulator.engines import Engine
from emulator.errors import ApiError
from emulator.faults import PREDICT, Fault
from emulator.imagen_checks import Checked, check
from emulator.imagen_edit import capability
from emulator.imagen_tables import CAPABILITY, GENERATE, IMAGETEXT, KNOWN_MODELS, UPSCALE, ModelInfo
from emulator.imagen_tables import output_size as imagen_size
from emulator.pictures import encode, fingerprint, pattern

NOTE_FIELD = "emulatorNote"  # the extra prediction field the plug-in's legacy backend reads
PATTERN_NOTE = "Emulator output: a deterministic pattern, not a generated picture (imagen-gimp emulator)."
ENGINE_NOTE = "Emulator output: computed by the plug-in's local engine (imagen-gimp emulator)."
FILTERED = (
    "Your current safety filter threshold filtered out {n} generated images. You will not be charged "
    "for blocked images. Try rephrasing the prompt. Support codes: 39322892"
)
ALL_FILTERED = (
    "Unable to show generated images. All images were filtered out because they violated "
    "Vertex AI's usage guidelines. You will not be charged for blocked images. Try rephrasing "
    "the prompt. Support codes: 39322892, 29310472"
)
BLOCKED = (
    "Image generation failed with the following error: The prompt could not be submitted. This "
    "prompt contains sensitive words that violate Google's Responsible AI practices. Try rephrasing "
    "the prompt. Support codes: 42876398"
)
PERSON_DENIED = (
    "Person Generation with allow_all is not available for this project: your project must be "
    "allowlisted (approval needed) for people and child generation."
)
MALFORMED = b'{"predictions": [{"bytesBase64Encoded": "iVBOR'
MARK_SEED = 20240611


def serves(model: str) -> bool:
    """Ids the Imagen side knows (the legacy client's own table), when it is switched on."""
    return model in KNOWN_MODELS


class Server(Protocol):
    """What :predict needs of the EmulatorServer (named here, not imported: server.py imports this)."""

    engine: Engine

    def take_fault(self, route: str, model: str, setup: bool = False) -> Fault | None: ...

    def pause(self, seconds: float) -> None: ...


class Call(Protocol):
    """What :predict needs of a recorded call (server.Recorded)."""

    model: str
    body: Any


def predict(server: Server, record: Call) -> tuple[int, bytes, Any]:
    info = KNOWN_MODELS[record.model]
    checked = check(info, record.body, capability)
    fault = server.take_fault(PREDICT, record.model)
    kind = fault.kind if fault else ""
    if kind in ("429", "500", "503"):
        raise {"429": errors.exhausted, "500": errors.internal, "503": errors.overloaded}[kind]()
    if kind == "blocked":
        raise ApiError(400, BLOCKED)
    if kind == "403-person":
        raise ApiError(403, PERSON_DENIED)
    if kind == "slow":
        server.pause(fault.seconds)
    if kind == "malformed":
        return 200, MALFORMED, MALFORMED.decode()
    filtered = 0
    if kind == "filter":
        wanted = int(checked.params.get("sampleCount", 4))
        filtered = wanted if fault.samples <= 0 else min(fault.samples, wanted)
    reply = answer(info, checked, server.engine, filtered)
    return 200, json.dumps(reply).encode("utf-8"), reply


def answer(info: ModelInfo, checked: Checked, engine: Engine, filtered: int = 0) -> dict:
    """The body for a validated request; `filtered` samples are dropped as if unsafe."""
    if checked.family == IMAGETEXT:
        return {"predictions": _texts(checked)}
    if checked.family not in (GENERATE, CAPABILITY, UPSCALE):  # watermark verification
        decision = "ACCEPT" if has_mark(checked.image) else "REJECT"
        verdict = "Emulator verdict: looks for the emulator's own mark, not SynthID."
        return {"predictions": [{"decision": decision, NOTE_FIELD: verdict}]}
    params = checked.params
    count = int(params.get("sampleCount", 1 if checked.family == UPSCALE else 4))
    watermark = params.get("addWatermark", info.watermark_default)
    pictures, note = _pictures(info, checked, engine, count)
    options = params.get("outputOptions", {})
    mime = options.get("mimeType", "image/png")
    keep = max(0, count - filtered)
    predictions: list[dict] = []
    for rgb in pictures[:keep]:
        item = {
            "mimeType": mime,
            "bytesBase64Encoded": encode(
                add_mark(rgb) if watermark else rgb, mime, int(options.get("compressionQuality", 75))
            ),
        }
        if params.get("enhancePrompt", info.enhance_prompt and checked.family == GENERATE):
            item["prompt"] = f"{checked.prompt}, detailed, balanced light (emulator-enhanced prompt)"
        item[NOTE_FIELD] = note
        predictions.append(item)
    if filtered and params.get("includeRaiReason"):
        predictions.append({"raiFilteredReason": ALL_FILTERED if keep == 0 else FILTERED.format(n=filtered)})
    return {"predictions": predictions} if predictions else {}


def _pictures(info: ModelInfo, checked: Checked, engine: Engine, count: int) -> tuple[list[np.ndarray], str]:
    params = checked.params
    seed = int(params.get("seed", 0))
    if checked.family == GENERATE:
        width, height = imagen_size(params.get("aspectRatio", "1:1"), str(params.get("sampleImageSize", "1K")))
        base = fingerprint(info.id, checked.prompt, params.get("negativePrompt", ""), seed)
        return [pattern(base + i, width, height) for i in range(count)], PATTERN_NOTE
    if checked.family == UPSCALE:
        factor = int(params["upscaleConfig"]["upscaleFactor"][1:])
        return [engine("upscale", checked.image, None, {"factor": factor})], ENGINE_NOTE
    if checked.image is None:  # customization: a new picture guided by the references
        width, height = imagen_size(params.get("aspectRatio", "1:1"))
        refs = [r["pixels"] for r in checked.references]
        base = fingerprint(checked.prompt, seed, *refs)
        guide = np.asarray(Image.fromarray(refs[0]).resize((width, height))).astype(np.uint16)
        return [((pattern(base + i, width, height) + guide) // 2).astype(np.uint8) for i in range(count)], PATTERN_NOTE
    image = checked.image
    mask = _effective_mask(checked, engine)
    mode = params.get("editMode", "EDIT_MODE_DEFAULT")
    if mode in ("EDIT_MODE_INPAINT_REMOVAL", "EDIT_MODE_OUTPAINT"):
        task = "remove" if mode == "EDIT_MODE_INPAINT_REMOVAL" else "outpaint"
        return [engine(task, image, mask, {"seed": seed})] * count, ENGINE_NOTE
    base = fingerprint(checked.prompt, seed, image, mask if mask is not None else 0)
    weight = (
        (mask.astype(np.float32) / 255.0)[..., None]
        if mask is not None
        else np.full(image.shape[:2] + (1,), 0.5, np.float32)
    )  # no mask: the whole picture changes
    out = []
    for i in range(count):
        new = pattern(base + i, image.shape[1], image.shape[0]).astype(np.float32)
        out.append(np.clip(image * (1 - weight) + new * weight, 0, 255).astype(np.uint8))
    return out, PATTERN_NOTE


def _effective_mask(checked: Checked, engine: Engine) -> np.ndarray | None:
    """The user's mask, or an automatic one from the engine, grown by `dilation` (share of the width)."""
    config = checked.mask_config
    if not config:
        return None
    if checked.mask is not None:
        mask = np.where(checked.mask >= 128, 255, 0).astype(np.uint8)
    else:
        subject = engine("foreground", checked.image, None, {}) >= 128
        wanted = ~subject if config.get("maskMode") == "MASK_MODE_BACKGROUND" else subject
        mask = np.where(wanted, 255, 0).astype(np.uint8)
    radius = int(round(float(config.get("dilation", 0.0)) * checked.image.shape[1]))
    if radius > 0 and mask.any():
        from scipy.ndimage import distance_transform_edt

        mask = np.where(distance_transform_edt(mask == 0) <= radius, 255, 0).astype(np.uint8)
    return mask


def _mark_bits(shape: tuple[int, int]) -> np.ndarray:
    return np.random.default_rng(MARK_SEED).integers(0, 2, size=shape, dtype=np.uint8)


def add_mark(rgb: np.ndarray) -> np.ndarray:
    """Stand-in for SynthID: a fixed bit pattern in the blue channel's lowest bit."""
    out = rgb.copy()
    out[..., 2] = (out[..., 2] & 0xFE) | _mark_bits(rgb.shape[:2])
    return out


def has_mark(rgb: np.ndarray) -> bool:
    return float(np.mean((rgb[..., 2] & 1) == _mark_bits(rgb.shape[:2]))) > 0.95


def _texts(checked: Checked) -> list[str]:
    image = checked.image
    count = int(checked.params.get("sampleCount", 1))
    mean = image.reshape(-1, 3).mean(axis=0)
    tone = "bright" if mean.mean() > 150 else "dark" if mean.mean() < 90 else "mid-toned"
    hue = ("reddish", "greenish", "bluish")[int(np.argmax(mean))]
    height, width = image.shape[:2]
    if checked.prompt:
        return [f"emulator answer {i + 1} to '{checked.prompt}': a {tone}, {hue} picture" for i in range(count)]
    return [f"emulator caption {i + 1}: a {tone}, {hue} {width}x{height} picture" for i in range(count)]
