"""Read a `:generateContent` answer as the service sends it: the final picture, texts, or why nothing came.

Thinking image models send interim "thought" pictures (drafts, parts marked thought) before the final
one; only the last picture that is not a thought is a result, as Google's notebooks read it. Blocking
arrives inside a 200 answer: promptFeedback.blockReason when the request itself was refused, or a
candidate whose finishReason is IMAGE_SAFETY, NO_IMAGE, ... Each becomes a plain message; words that
come instead of a picture are shown to the user.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, UnidentifiedImageError

from plugin.backends.base import BackendError, BackendResult, SafetyFiltered
from plugin.backends.gemini_requests import GeminiCall, scaled_once
from plugin.compose import blend

WHY = {
    "SAFETY": ("its safety filter blocked the answer", True),
    "IMAGE_SAFETY": ("its safety filter for pictures blocked the result", True),
    "PROHIBITED_CONTENT": (
        "the request touches content Google prohibits (this cannot be changed in the settings)",
        False,
    ),
    "IMAGE_PROHIBITED_CONTENT": (
        "the picture would show content Google prohibits (this cannot be changed in the settings)",
        False,
    ),
    "BLOCKLIST": ("the prompt contains a blocked term", False),
    "SPII": ("the answer would contain sensitive personal information", False),
    "RECITATION": ("the answer resembled existing, possibly copyrighted material too closely", False),
    "IMAGE_RECITATION": ("the picture resembled existing, possibly copyrighted material too closely", False),
    "IMAGE_OTHER": ("it stopped for an unspecified reason while making the picture", False),
    "OTHER": ("it stopped for an unspecified reason", False),
    "NO_IMAGE": ("it answered without a picture", False),
    "JAILBREAK": ("the request looked like an attempt to get round the safety rules", False),
    "MODEL_ARMOR": ("the project's Model Armor policy blocked it", False),
}


def _name(value: object) -> str:
    """An enum (google-genai), its name, or None -> the name."""
    if value is None:
        return ""
    return str(getattr(value, "name", value))


def read_response(call: GeminiCall, response: object) -> BackendResult:
    """One GenerateContentResponse -> a BackendResult with the final picture (or texts); raises when the
    answer holds nothing usable, with a message that names why and what to do."""
    model = call.model
    feedback = getattr(response, "prompt_feedback", None)
    reason = _name(getattr(feedback, "block_reason", None))
    if reason and reason != "BLOCKED_REASON_UNSPECIFIED":
        said = getattr(feedback, "block_reason_message", "") or ""
        raise SafetyFiltered(_message(model, reason, said, [], call.result))
    result = BackendResult(model=model, notes=list(call.notes))
    final, texts, finish, said = None, [], "", ""
    for candidate in getattr(response, "candidates", None) or []:
        finish = _name(candidate.finish_reason) or finish
        said = getattr(candidate, "finish_message", "") or said
        content = candidate.content
        for part in content.parts if content is not None and content.parts else []:
            if part.thought:  # drafts and the model's planning: never results
                continue
            data = part.inline_data
            if data is not None and data.data and str(data.mime_type or "").startswith("image/"):
                final = data.data
            elif part.text and part.text.strip():
                texts.append(part.text.strip())
    usage = getattr(response, "usage_metadata", None)
    if usage is not None and getattr(usage, "total_token_count", None):
        result.details["tokens"] = int(usage.total_token_count)
    if call.result == "texts":
        if not texts:
            raise BackendError(_message(model, finish or "NO_TEXT", said, [], "texts"))
        result.texts = ["\n".join(texts)]
        return result
    if final is None:
        raise SafetyFiltered(_message(model, finish, said, texts, "images"))
    result.images.append(fit(decode(final, model), call))
    if texts:
        result.details["model_said"] = " ".join(texts)[:500]
    if finish and finish not in ("STOP", "FINISH_REASON_UNSPECIFIED"):
        result.notes.append(f"{model} finished with {finish}; check the picture.")
    return result


def _message(model: str, finish: str, said: str, texts: list[str], result: str) -> str:
    what = "text" if result == "texts" else "picture"
    why, fixable = WHY.get(finish, ("", False))
    words = " ".join(texts)[:300]
    if not why and words:
        return (
            f'{model} answered in words instead of a picture: "{words}". Try again, or describe the change '
            "more concretely (what should appear, where)."
        )
    if not why:
        why = f"it sent no {what}" + (f" (finishReason {finish})" if finish and finish != "STOP" else "")
    quoted = f' It said: "{said or words}".' if (said or words) else ""
    code = f" [{finish}]" if finish in WHY else ""
    advice = (
        "Rephrase the prompt or pick another area; if your project allows it, lower safety_setting in the "
        "[gemini] settings."
        if fixable
        else "Rephrase the prompt, try again, or use another picture."
    )
    return f"{model} made no {what}: {why}{code}.{quoted} {advice}"


def decode(data: bytes, model: str) -> np.ndarray:
    try:
        with Image.open(io.BytesIO(data)) as picture:
            return np.asarray(picture.convert("RGBA")).copy()
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise BackendError(f"{model} sent a picture the plug-in could not decode ({exc}); try again.") from exc


def fit(image: np.ndarray, call: GeminiCall) -> np.ndarray:
    """Cut the answer back to the request's frame and size, restore alpha, keep a background's subject
    (the original's pixels, bit for bit, wherever the subject weight is full)."""
    frame = call.frame
    if frame is None:
        return image
    x, y, w, h = frame.box
    scale_x = frame.result[0] / w
    scale_y = frame.result[1] / h
    full = (int(round(frame.padded[0] * scale_x)), int(round(frame.padded[1] * scale_y)))
    image = scaled_once(image, full)
    left, top = int(round(x * scale_x)), int(round(y * scale_y))
    image = np.array(image[top : top + frame.result[1], left : left + frame.result[0]])
    if image.shape[:2] != (frame.result[1], frame.result[0]):  # rounding at the edge: at most a pixel
        image = np.array(scaled_once(image, frame.result))
    if call.keep_alpha is not None:
        image[..., 3] = call.keep_alpha
    if call.subject is not None and call.original is not None:
        original = call.original.copy()
        original[..., 3] = image[..., 3]
        image = blend(image, original, call.subject)
    return image
