"""Read `:generateContent` answers: pictures cut back to the request's frame, texts, and why nothing came.

Gemini reports blocking inside a 200 answer, not as an HTTP error: `promptFeedback.blockReason`
when the prompt itself was refused, or a candidate whose `finishReason` is SAFETY, IMAGE_SAFETY,
PROHIBITED_CONTENT ... and which carries no picture. Each becomes a message that names the reason
and says what to do. Enums arrive as numbers (the client asks for enum-encoding=int) or names.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from plugin.backends.base import BackendError, BackendResult
from plugin.backends.gemini_models import BLOCK_REASONS, FINISH_REASONS, HARM_CATEGORIES, enum_name
from plugin.backends.gemini_requests import GeminiCall
from plugin.backends.imagen_responses import SafetyFiltered, decode_image
from plugin.compose import blend

EMULATOR_MARK = "Emulator output"  # the loopback emulator says so in a text part

REASONS = {
    "SAFETY": "Gemini's safety filter",
    "IMAGE_SAFETY": "Gemini's safety filter for generated pictures",
    "PROHIBITED_CONTENT": "Google's prohibited-content policy (this cannot be lowered in the settings)",
    "IMAGE_PROHIBITED_CONTENT": "Google's prohibited-content policy for pictures (this cannot be lowered)",
    "BLOCKLIST": "a blocked term in the prompt",
    "SPII": "sensitive personal information",
    "RECITATION": "its likeness to existing, possibly copyrighted material",
    "IMAGE_RECITATION": "the picture's likeness to existing, possibly copyrighted material",
    "JAILBREAK": "a suspected attempt to bypass the safety rules",
    "MODEL_ARMOR": "the project's Model Armor policy",
    "OTHER": "an unspecified policy reason",
    "IMAGE_OTHER": "an unspecified reason while making the picture",
}
FIXABLE = {"SAFETY", "IMAGE_SAFETY"}  # a lower threshold in the settings may help
NOT_BLOCKING = {"STOP", "MAX_TOKENS", "FINISH_REASON_UNSPECIFIED", "", "NO_IMAGE", "UNEXPECTED_TOOL_CALL",
                "MALFORMED_FUNCTION_CALL"}


class PromptBlocked(SafetyFiltered):
    """Gemini refused the prompt itself (promptFeedback.blockReason); nothing was generated."""


def read_response(call: GeminiCall, response: dict) -> BackendResult:
    """Turn one GenerateContentResponse (as a dict) into images or texts; raise when nothing usable came."""
    if not isinstance(response, dict):
        raise BackendError(f"{call.model} sent an answer the plug-in could not read; try again.")
    _check_prompt_feedback(call, response.get("promptFeedback") or {})
    result = BackendResult(model=call.model, notes=list(call.notes))
    texts: list[str] = []
    blocked: list[str] = []
    for candidate in response.get("candidates") or []:
        finish = enum_name(FINISH_REASONS, candidate.get("finishReason", ""))
        got_image = False
        for part in (candidate.get("content") or {}).get("parts") or []:
            data = part.get("inlineData") or {}
            if str(data.get("mimeType", "")).startswith("image/") and data.get("data"):
                if call.result == "images":
                    result.images.append(_fit(decode_image(data["data"]), call))
                got_image = True
            elif part.get("text") and not part.get("thought"):
                texts.append(part["text"].strip())
        if not got_image and finish not in NOT_BLOCKING:
            blocked.append(_reason(finish, candidate))
        elif finish == "NO_IMAGE" and call.result == "images":
            blocked.append("NO_IMAGE")
    if call.result == "texts":
        result.texts = [t for t in texts if t and not t.startswith(EMULATOR_MARK)]
        result.notes += [t for t in texts if t.startswith(EMULATOR_MARK)]
        if not result.texts:
            _raise_empty(call, blocked, texts)
        return result
    result.notes += [t if t.startswith(EMULATOR_MARK) else f"{call.model} said: {t}" for t in texts if t]
    if not result.images:
        _raise_empty(call, blocked, texts)
    if blocked:
        result.notes.append(f"{len(blocked)} candidate(s) came back without a picture: {'; '.join(blocked)}.")
    result.seeds = [None] * len(result.images)
    return result


def _check_prompt_feedback(call: GeminiCall, feedback: dict) -> None:
    reason = enum_name(BLOCK_REASONS, feedback.get("blockReason", ""))
    if not reason or reason == "BLOCKED_REASON_UNSPECIFIED":
        return
    said = feedback.get("blockReasonMessage", "")
    categories = _blocked_categories(feedback.get("safetyRatings") or [])
    why = REASONS.get(reason, reason)
    detail = f" ({categories})" if categories else ""
    quoted = f" Gemini said: {said}" if said else ""
    advice = _advice(reason)
    raise PromptBlocked(f"{call.model} refused the request because of {why}{detail} [blockReason "
                        f"{reason}].{quoted} {advice}")


def _reason(finish: str, candidate: dict) -> str:
    categories = _blocked_categories(candidate.get("safetyRatings") or [])
    text = f"{REASONS.get(finish, finish)} [finishReason {finish}]"
    if categories:
        text += f" ({categories})"
    if candidate.get("finishMessage"):
        text += f": {candidate['finishMessage']}"
    return text


def _blocked_categories(ratings: list) -> str:
    names = []
    for rating in ratings:
        if isinstance(rating, dict) and rating.get("blocked"):
            name = enum_name(HARM_CATEGORIES, rating.get("category", ""))
            names.append(name.replace("HARM_CATEGORY_", "").replace("_", " ").lower())
    return ", ".join(dict.fromkeys(names))


def _advice(reason: str) -> str:
    if reason in FIXABLE:
        return ("Rephrase the prompt or pick another area; if your project allows it, lower safety_setting "
                "in the [imagen] settings. You are not charged for blocked output.")
    return "Rephrase the prompt or use another picture; you are not charged for blocked output."


def _raise_empty(call: GeminiCall, blocked: list[str], texts: list[str]) -> None:
    real = [b for b in blocked if b != "NO_IMAGE"]
    if real:
        first = next((k for k in FINISH_REASONS if f"[finishReason {k}]" in real[0]), "")
        raise SafetyFiltered(f"{call.model} returned no {'text' if call.result == 'texts' else 'picture'}: "
                             f"blocked by {'; '.join(real)}. {_advice(first)}")
    said = " ".join(t for t in texts if not t.startswith(EMULATOR_MARK))[:300]
    if call.result == "texts":
        raise BackendError(f"{call.model} returned no text for this picture; try again or ask differently.")
    answer = f" It answered only in words: \"{said}\"." if said else ""
    raise BackendError(f"{call.model} returned no picture.{answer} Try again, or describe the change more "
                       "concretely (what should appear, where).")


def _fit(image: np.ndarray, call: GeminiCall) -> np.ndarray:
    """Cut the answer back to the request's frame and size, restore alpha, keep a background's subject."""
    frame = call.frame
    if frame is None:
        return image
    if (image.shape[1], image.shape[0]) != frame.sent:
        image = np.asarray(Image.fromarray(image).resize(frame.sent, Image.Resampling.LANCZOS))
    x, y, w, h = frame.box
    image = image[y:y + h, x:x + w]
    if (w, h) != frame.size:
        image = np.asarray(Image.fromarray(np.ascontiguousarray(image)).resize(frame.size,
                                                                                Image.Resampling.LANCZOS))
    image = image.copy()
    if call.keep_alpha is not None:
        image[..., 3] = call.keep_alpha
    if call.subject is not None and call.original is not None:
        original = call.original.copy()
        original[..., 3] = image[..., 3]
        image = blend(image, original, call.subject)
    return image
