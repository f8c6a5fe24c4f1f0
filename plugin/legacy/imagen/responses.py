"""Read Imagen `:predict` answers: decode every image, and turn what the service says about them
(safety-filtered samples, rewritten prompts) into notes for the user.

Filtering is not an HTTP error: the service answers 200 with fewer images, plus (with
includeRaiReason) a prediction that carries only `raiFilteredReason`.
"""

from __future__ import annotations

import base64
import binascii
import io
import re

import numpy as np
from PIL import Image

from plugin.backends.base import BackendError, BackendResult, SafetyFiltered
from plugin.legacy.imagen.requests import PredictCall

# Support codes in safety messages -> category (Google's RAI support-code table).
SUPPORT_CODES = {
    "58061214": "child",
    "17301594": "child",
    "29310472": "celebrity",
    "15236754": "celebrity",
    "62263041": "dangerous content",
    "57734940": "hate",
    "22137204": "hate",
    "42876398": "other",
    "29578790": "other",
    "74803281": "other",
    "39322892": "people/face",
    "92201652": "personal information",
    "89371032": "prohibited content",
    "49114662": "prohibited content",
    "72817394": "prohibited content",
    "90789179": "sexual content",
    "63429089": "sexual content",
    "43188360": "sexual content",
    "78610348": "toxic language",
    "61493863": "violence",
    "56562880": "violence",
    "32635315": "vulgarity",
    "64151117": "celebrity or child",
}


def explain_codes(message: str) -> str:
    """'... Support codes: 39322892' -> 'people/face'; '' when no known code is present."""
    codes = re.findall(r"\b\d{8}\b", message)
    names = list(dict.fromkeys(SUPPORT_CODES[c] for c in codes if c in SUPPORT_CODES))
    return ", ".join(names)


def decode_image(data: str) -> np.ndarray:
    """base64 PNG/JPEG -> H x W x 4 uint8."""
    try:
        raw = base64.b64decode(data, validate=True)
        with Image.open(io.BytesIO(raw)) as picture:
            return np.asarray(picture.convert("RGBA")).copy()
    except (binascii.Error, ValueError, OSError) as exc:
        raise BackendError(f"Vertex AI sent an image the plug-in could not read ({exc}); try again.") from exc


def _fit(image: np.ndarray, call: PredictCall) -> np.ndarray:
    """Results must have the request's size (the pipeline blends pixel for pixel)."""
    if call.size and (image.shape[1], image.shape[0]) != call.size:
        image = np.asarray(Image.fromarray(image).resize(call.size, Image.Resampling.LANCZOS))
    if call.keep_alpha is not None:
        image = image.copy()
        image[..., 3] = call.keep_alpha
    return image


def read_predictions(call: PredictCall, predictions: list) -> BackendResult:
    """Turn the `predictions` list into images or texts, plus notes; raise if nothing usable came."""
    result = BackendResult(model=call.model, notes=list(call.notes))
    if call.result == "texts":
        result.texts = [p.strip() for p in predictions if isinstance(p, str) and p.strip()]
        if not result.texts:
            raise BackendError(f"{call.model} returned no text for this picture; try again or ask differently.")
        return result
    if call.result == "verdict":
        return _verdict(call, predictions, result)
    reasons: list[str] = []
    for item in predictions:
        if not isinstance(item, dict):
            continue
        if item.get("raiFilteredReason"):
            reasons.append(str(item["raiFilteredReason"]))
        if item.get("bytesBase64Encoded"):
            result.images.append(_fit(decode_image(item["bytesBase64Encoded"]), call))
        elif item.get("gcsUri"):
            result.notes.append(f"An image was written to {item['gcsUri']} instead of being returned.")
        enhanced = item.get("prompt")
        if enhanced and f"Enhanced prompt: {enhanced}" not in result.notes:
            result.notes.append(f"Enhanced prompt: {enhanced}")
    missing = call.samples - len(result.images)
    why = _reason_text(reasons)
    if not result.images:
        raise SafetyFiltered(
            f"All {call.samples} sample(s) were removed by Vertex AI's safety filter{why}. You are not "
            "charged for blocked images. Rephrase the prompt, pick another area, or lower safety_setting in "
            "the [imagen] settings if your project allows it."
        )
    if missing > 0:
        result.notes.append(f"{missing} of {call.samples} samples removed by the safety filter{why}.")
    seed = call.parameters.get("seed")  # one seed covers the whole batch of samples
    result.seeds = [seed] * len(result.images)
    return result


def _reason_text(reasons: list[str]) -> str:
    if not reasons:
        return ""
    text = " ".join(dict.fromkeys(reasons))
    category = explain_codes(text)
    return f" ({category}): {text}" if category else f": {text}"


def _verdict(call: PredictCall, predictions: list, result: BackendResult) -> BackendResult:
    decision = next((p.get("decision") for p in predictions if isinstance(p, dict) and p.get("decision")), "")
    if decision == "ACCEPT":
        result.texts = ["SynthID watermark detected: this picture (or part of it) was made by Google AI."]
    elif decision == "REJECT":
        result.texts = [
            "No SynthID watermark detected. (Absence is not proof: edits can weaken it, "
            "and pictures from other generators carry none.)"
        ]
    else:
        raise BackendError(f"{call.model} gave no verdict ({predictions!r:.120}); try again later.")
    return result
