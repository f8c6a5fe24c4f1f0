"""The loopback emulator's `:generateContent` side, for Gemini models on Vertex AI.

emulator.Handler routes `...:generateContent` here, so one server (one port, one request log, the
same faults and retired-model list) speaks both APIs. Requests are validated strictly
(gemini_validation); faults are injected the same way (429/500/503/403/404/slow/malformed;
`blocked` answers 200 with promptFeedback.blockReason, `filter` answers candidates whose
finishReason is IMAGE_SAFETY); answers are deterministic pictures derived from the inputs, each
candidate saying in a text part that it is emulator output. Enums are sent as numbers when the
client asks for enum-encoding=int, as the real service does.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np
from PIL import Image

from plugin.backends.emulator import MESSAGES, Handler, Recorded
from plugin.backends.emulator_answers import encode, fingerprint, pattern
from plugin.backends.emulator_validation import Invalid
from plugin.backends.gemini_models import (
    BLOCK_REASONS,
    FINISH_REASONS,
    HARM_CATEGORIES,
    IMAGE,
    KNOWN_GEMINI,
    OUTPUT_SIZES,
    GeminiModel,
    nearest_ratio,
)
from plugin.backends.gemini_validation import GeminiChecked, check

NOTE = "Emulator output: a deterministic picture derived from the inputs, not a generated one (imagen-gimp " \
       "emulator)."
TEXT_NOTE = "Emulator output: a caption computed from pixel statistics (imagen-gimp emulator)."
BLOCK_MESSAGE = "The prompt was blocked due to safety reasons. Support codes: 42876398"
TOKENS_PER_IMAGE = 1290
MALFORMED = b'{"candidates": [{"content": {"parts": [{"inlineData": {"data": "iVB'


def handle(handler: Handler, record: Recorded) -> None:
    """Answer one :generateContent request whose path fields and JSON body are already in `record`."""
    server = handler.server
    fault = server.take_fault(record.model)
    if fault and fault.kind == "slow":
        server.stopping.wait(fault.seconds)
        fault = None
    model = KNOWN_GEMINI.get(record.model)
    name = f"projects/{record.project}/locations/{record.location}/publishers/google/models/{record.model}"
    if record.model in server.retired or model is None or (fault and fault.kind == "404"):
        retired = record.model in server.retired and server.retired_code == 400
        text = (f"Model {record.model} is no longer available: it has been retired. Use a newer model."
                if retired else f"Publisher Model `{name}` not found.")
        return handler._error(record, 400 if retired else 404, text)
    if fault and fault.kind in MESSAGES and fault.kind != "blocked":
        code, text = MESSAGES[fault.kind]
        return handler._error(record, code, text.format(project=record.project, location=record.location,
                                                        model=record.model))
    if fault and fault.kind == "malformed":
        return handler._send(record, 200, MALFORMED)
    try:
        checked = check(model, record.body)
    except Invalid as exc:
        return handler._error(record, exc.code, str(exc), exc.status)
    numbers = "enum-encoding=int" in record.query
    if fault and fault.kind == "blocked":
        reply = _blocked(numbers)
    else:
        filtered = 0
        if fault and fault.kind == "filter":
            filtered = checked.candidates if fault.samples <= 0 else min(fault.samples, checked.candidates)
        reply = answer(model, checked, numbers, filtered)
    handler._send(record, 200, json.dumps(reply).encode("utf-8"), reply)


def _enum(table: dict[str, int], name: str, numbers: bool) -> Any:
    return table[name] if numbers else name


def _blocked_rating(numbers: bool) -> dict:
    return {"category": _enum(HARM_CATEGORIES, "HARM_CATEGORY_SEXUALLY_EXPLICIT", numbers),
            "probability": 4 if numbers else "HIGH", "blocked": True}


def _blocked(numbers: bool) -> dict:
    return {"promptFeedback": {
        "blockReason": _enum(BLOCK_REASONS, "SAFETY", numbers), "blockReasonMessage": BLOCK_MESSAGE,
        "safetyRatings": [_blocked_rating(numbers)]},
        "usageMetadata": {"promptTokenCount": 12, "totalTokenCount": 12}}


def answer(model: GeminiModel, checked: GeminiChecked, numbers: bool, filtered: int = 0) -> dict:
    """The response body for a validated request; the first `filtered` candidates come back blocked."""
    candidates = []
    for index in range(checked.candidates):
        if index < filtered:
            candidates.append({"index": index, "finishReason": _enum(FINISH_REASONS, "IMAGE_SAFETY", numbers),
                               "safetyRatings": [_blocked_rating(numbers)]})
            continue
        if model.kind == IMAGE and "IMAGE" in checked.modalities:
            rgb = picture(model, checked, index)
            parts = [{"text": NOTE}, {"inlineData": _inline(rgb)}]
        else:
            parts = [{"text": caption(checked, index)}, {"text": TEXT_NOTE}]
        candidates.append({"index": index, "content": {"role": "model", "parts": parts},
                           "finishReason": _enum(FINISH_REASONS, "STOP", numbers)})
    images = sum(1 for c in candidates if "content" in c and model.kind == IMAGE)
    return {"candidates": candidates, "modelVersion": model.id,
            "usageMetadata": {"promptTokenCount": 258 * len(checked.images) + 12,
                              "candidatesTokenCount": TOKENS_PER_IMAGE * images,
                              "totalTokenCount": 258 * len(checked.images) + 12 + TOKENS_PER_IMAGE * images}}


def _inline(rgb: np.ndarray) -> dict:
    encoded = encode(rgb, {})
    return {"mimeType": encoded["mimeType"], "data": encoded["bytesBase64Encoded"]}


def _mask_of(checked: GeminiChecked) -> np.ndarray | None:
    """The second picture when it is a black/white mask of the first one's size (how masks are sent)."""
    if len(checked.images) < 2 or checked.images[1].shape != checked.images[0].shape:
        return None
    second = checked.images[1]
    grey = np.array_equal(second[..., 0], second[..., 1]) and np.array_equal(second[..., 1], second[..., 2])
    if not grey:
        return None
    return np.where(second[..., 0] >= 128, 255, 0).astype(np.uint8)


def picture(model: GeminiModel, checked: GeminiChecked, index: int) -> np.ndarray:
    """A deterministic picture: a pattern for text-to-image; for edits, the first picture with a pattern
    blended into the mask's white area (or half over everything), at Gemini's own output size."""
    seed = (checked.seed or 0) + index
    prompt = " ".join(checked.texts)
    if not checked.images:
        width, height = OUTPUT_SIZES[checked.aspect_ratio or "1:1"]
        return pattern(fingerprint(model.id, prompt, seed), width, height)
    base = checked.images[0]
    mask = _mask_of(checked)
    height, width = base.shape[:2]
    new = pattern(fingerprint(prompt, seed, base, mask if mask is not None else 0), width, height)
    if mask is not None:
        weight = (mask.astype(np.float32) / 255.0)[..., None]
    else:
        weight = np.full((height, width, 1), 0.5, np.float32)
    out = np.clip(base * (1 - weight) + new * weight, 0, 255).astype(np.uint8)
    ratio = checked.aspect_ratio or nearest_ratio(width, height, model.aspect_ratios)
    size = OUTPUT_SIZES.get(ratio, (width, height))
    return np.asarray(Image.fromarray(out).resize(size, Image.Resampling.BICUBIC))


def caption(checked: GeminiChecked, index: int) -> str:
    """A caption from pixel statistics, or an answer echoing the question."""
    if not checked.images:
        return f"emulator answer {index + 1}: there is no picture to describe"
    image = checked.images[0]
    mean = image.reshape(-1, 3).mean(axis=0)
    tone = "bright" if mean.mean() > 150 else "dark" if mean.mean() < 90 else "mid-toned"
    hue = ("reddish", "greenish", "bluish")[int(np.argmax(mean))]
    question = " ".join(checked.texts).strip()
    return f"emulator answer {index + 1} to '{question[:80]}': a {tone}, {hue} " \
           f"{image.shape[1]}x{image.shape[0]} picture"
