"""What a served model answers to a valid `:generateContent` (and `:countTokens`) request.

Image models answer one candidate shaped like Gemini 3's (ref §4): a thought text part, interim
draft pictures marked "thought" (flat magenta, so a client that pastes a draft is caught), the final
picture with a thoughtSignature, then a short text. The final picture has the tier's pixel size
(never the input's), and an edit drifts slightly in colour outside the change, as real models do, so
a client must composite through its own mask. The odd answers faults ask for (blocked prompts,
image-less finish reasons, text only) live here too, so they share the usage and id fields.
"""

from __future__ import annotations

import base64
import functools
from typing import Any

import numpy as np

from emulator import composition
from emulator.catalogue import IMAGE, nearest_ratio, output_size
from emulator.checks import Checked, tokens
from emulator.conversation import mark_turn, sign
from emulator.engines import Engine
from emulator.pictures import (
    as_mask,
    caption,
    draft,
    encode,
    fingerprint,
    pattern,
    resize,
    resize_mask,
    shift,
)

EDITED_TEXT = "Here is the edited picture."
MADE_TEXT = "Here is the picture you asked for."
TEXT_ONLY = (
    "I can't draw that, but here is a description of what it would show: {prompt}. "
    "(imagen-gimp emulator: a text-only answer)"
)
THOUGHT_TOKENS = {"MINIMAL": 32, "LOW": 96, "MEDIUM": 160, "HIGH": 240}
# Google's finishMessage wording is not known for these (ref §4 UNVERIFIED); these say what happened.
FINISH_MESSAGES = {
    "IMAGE_SAFETY": "Unable to show the generated image. The image was filtered out because it violated "
    "Google's Generative AI Prohibited Use policy. You will not be charged for blocked "
    "images. Try rephrasing the prompt.",
    "IMAGE_PROHIBITED_CONTENT": "Unable to show the generated image: it was filtered out as prohibited "
    "content. You will not be charged for blocked images.",
    "IMAGE_RECITATION": "Unable to show the generated image: it was too close to existing content.",
    "IMAGE_OTHER": "Unable to show the generated image for an unspecified reason. Try again.",
    "NO_IMAGE": "The model was expected to generate an image, but none was generated.",
    "RECITATION": "The response was stopped because it recited existing content.",
}
BLOCK_MESSAGE = (
    "The prompt was blocked because it may violate Google's Generative AI Prohibited Use "
    "policy. Try rephrasing the prompt."
)


def answer(checked: Checked, engine: Engine, drafts: int, meta: dict[str, str]) -> dict[str, Any]:
    """The 200 body for a valid request; `meta` carries responseId and createTime."""
    model, config = checked.model, checked.config
    if model.kind == IMAGE and "IMAGE" in config.modalities:
        return _image_answer(checked, engine, drafts, meta)
    candidates, text_out = [], 0
    image = checked.images[0] if checked.images else None
    for index in range(config.candidates):
        text = caption(image, checked.prompt)
        if config.candidates > 1:
            text = f"({index + 1}) {text}"
        parts: list[dict[str, Any]] = []
        if config.include_thoughts:
            parts.append(
                {"text": "**Looking at the picture**\n\nI'll describe its tones and colours.", "thought": True}
            )
        parts.append({"text": text, "thoughtSignature": sign(text.encode("utf-8"))})
        text_out += tokens(text)
        candidates.append({"content": {"role": "model", "parts": parts}, "finishReason": "STOP", "index": index})
    thoughts = THOUGHT_TOKENS.get(config.thinking_level, 160) if model.thinking_levels else 0
    return _reply(checked, candidates, meta, text_out=text_out, thoughts=thoughts)


def _image_answer(checked: Checked, engine: Engine, drafts: int, meta: dict[str, str]) -> dict[str, Any]:
    model, config = checked.model, checked.config
    image_tokens = model.image_tokens[config.tier]
    thoughts = THOUGHT_TOKENS.get(config.thinking_level or "HIGH", 240) if model.thinks else 0
    show_thoughts = model.thinks and config.include_thoughts is not False
    parts: list[dict[str, Any]] = []
    if show_thoughts:
        parts.append({"text": _plan(checked), "thought": True})
    if config.max_output_tokens is not None and config.max_output_tokens < image_tokens:
        candidate = {
            "finishReason": "MAX_TOKENS",
            "finishMessage": f"The picture needs {image_tokens} "
            f"output tokens; maxOutputTokens is {config.max_output_tokens}.",
        }
        if parts:
            candidate["content"] = {"role": "model", "parts": parts}
        return _reply(checked, [candidate], meta, thoughts=thoughts)
    picture, edited = final_picture(checked, engine)
    height, width = picture.shape[:2]
    if show_thoughts:
        sketch = {"mimeType": "image/png", "data": _draft_png(width, height)}
        parts += [{"inlineData": dict(sketch), "thought": True} for _ in range(drafts)]
    final: dict[str, Any] = {
        "inlineData": {"mimeType": config.mime, "data": encode(picture, config.mime, config.quality)}
    }
    if model.thinks:
        final["thoughtSignature"] = sign(base64.b64decode(final["inlineData"]["data"]))
    parts.append(final)
    text_out = 0
    if "TEXT" in config.modalities:
        text = EDITED_TEXT if edited else MADE_TEXT
        parts.append({"text": text})
        text_out = tokens(text)
    candidate = {"content": {"role": "model", "parts": parts}, "finishReason": "STOP"}
    return _reply(checked, [candidate], meta, image_out=image_tokens, text_out=text_out, thoughts=thoughts)


def final_picture(checked: Checked, engine: Engine) -> tuple[np.ndarray, bool]:
    """(RGB at the tier's size, whether it is an edit): a pattern for text-to-image; for an edit the first
    picture resized, new content where the mask (the second picture) is white, or a light pattern over
    everything without a mask, and the kept area shifted +6 in red; several pictures without a mask are a
    composition (emulator/composition.py), answered in the last picture's shape."""
    model, config = checked.model, checked.config
    seed = config.seed or 0
    prompt = checked.prompt
    if not checked.images:
        size = output_size(model, config.aspect_ratio or "1:1", config.tier)
        return pattern(fingerprint(model.id, prompt, seed), *size), False
    base = checked.images[0]
    mask = as_mask(checked.images[1], base) if len(checked.images) > 1 else None
    if len(checked.images) > 1 and mask is None:  # a composition: the answer takes the LAST picture's shape
        base = checked.images[-1]
    ratio = config.aspect_ratio or nearest_ratio(base.shape[1], base.shape[0], model.aspect_ratios)
    size = output_size(model, ratio, config.tier)
    turn = checked.turn
    new = pattern(fingerprint(model.id, prompt, seed, base, *([turn] if turn > 1 else [])), *size)

    def with_pattern(kept: np.ndarray) -> np.ndarray:
        blended = kept.astype(np.float32) * 0.75 + new.astype(np.float32) * 0.25
        return np.clip(blended + 0.5, 0, 255).astype(np.uint8)

    if len(checked.images) > 1 and mask is None:
        return composition.compose(checked.images, prompt, size, with_pattern), True
    kept = shift(resize(base, size))
    if mask is None and len(checked.images) == 1 and checked.conversation_mask is not None:
        mask = resize_mask(checked.conversation_mask, (base.shape[1], base.shape[0]))  # the same area again
    if mask is None or not mask.any():
        out = with_pattern(kept)
        return (mark_turn(out, np.ones(out.shape[:2], bool), turn) if turn > 1 else out), True
    if "remove" in prompt.lower():
        try:
            new = resize(engine("remove", base, mask, {"seed": seed}), size)
        except ValueError:  # the mask covers everything: nothing to fill from, keep the pattern
            pass
    inside = resize_mask(mask, size) > 0
    out = kept.copy()
    out[inside] = new[inside]
    return (mark_turn(out, inside, turn) if turn > 1 else out), True


def _plan(checked: Checked) -> str:
    task = "edit the picture" if checked.images else "compose a new picture"
    asked = checked.prompt[:200] or "(no instruction)"
    return f'**Planning the image**\n\nI\'ll {task} as asked: "{asked}". First drafts test the composition.'


@functools.lru_cache(maxsize=16)
def _draft_png(width: int, height: int) -> str:
    return encode(draft(width, height))


def _reply(
    checked: Checked,
    candidates: list[dict],
    meta: dict[str, str],
    image_out: int = 0,
    text_out: int = 0,
    thoughts: int = 0,
) -> dict[str, Any]:
    usage: dict[str, Any] = {
        "promptTokenCount": checked.prompt_tokens,
        "candidatesTokenCount": image_out + text_out,
        "totalTokenCount": checked.prompt_tokens + image_out + text_out + thoughts,
        "trafficType": "ON_DEMAND",
        "promptTokensDetails": prompt_details(checked),
    }
    if thoughts:
        usage["thoughtsTokenCount"] = thoughts
    details = [{"modality": m, "tokenCount": n} for m, n in (("IMAGE", image_out), ("TEXT", text_out)) if n]
    if details:
        usage["candidatesTokensDetails"] = details
    reply: dict[str, Any] = {"candidates": candidates} if candidates else {}
    reply.update({"usageMetadata": usage, "modelVersion": checked.model.id, **meta})
    return reply


def prompt_details(checked: Checked) -> list[dict[str, Any]]:
    return [
        {"modality": m, "tokenCount": n}
        for m, n in (("TEXT", checked.text_tokens), ("IMAGE", checked.image_tokens))
        if n
    ]


def count_reply(checked: Checked) -> dict[str, Any]:
    return {"totalTokens": checked.prompt_tokens, "promptTokensDetails": prompt_details(checked)}


def blocked(checked: Checked, meta: dict[str, str]) -> dict[str, Any]:
    """The prompt itself refused: promptFeedback and no candidates (ref §4; shape per the SDK types)."""
    reply = _reply(checked, [], meta)
    rating = {"category": "HARM_CATEGORY_SEXUALLY_EXPLICIT", "probability": "HIGH", "blocked": True}
    reply["promptFeedback"] = {"blockReason": "SAFETY", "blockReasonMessage": BLOCK_MESSAGE, "safetyRatings": [rating]}
    return reply


def finished_without_image(checked: Checked, reason: str, meta: dict[str, str]) -> dict[str, Any]:
    """A candidate that ends with `reason` and carries no picture (NO_IMAGE: a text part only)."""
    candidate: dict[str, Any] = {"finishReason": reason, "finishMessage": FINISH_MESSAGES[reason]}
    text_out = 0
    if reason == "NO_IMAGE":
        text = f"I could not make a picture for: {checked.prompt[:120]}"
        candidate["content"] = {"role": "model", "parts": [{"text": text}]}
        text_out = tokens(text)
    if reason == "IMAGE_SAFETY":
        candidate["safetyRatings"] = [
            {"category": "HARM_CATEGORY_IMAGE_SEXUALLY_EXPLICIT", "probability": "HIGH", "blocked": True}
        ]
    return _reply(checked, [candidate], meta, text_out=text_out)


def text_only(checked: Checked, meta: dict[str, str]) -> dict[str, Any]:
    """STOP with a text part and no picture: what an ambiguous prompt can get (ref §4, [17])."""
    text = TEXT_ONLY.format(prompt=checked.prompt[:200] or "your picture")
    candidate = {"content": {"role": "model", "parts": [{"text": text}]}, "finishReason": "STOP"}
    return _reply(checked, [candidate], meta, text_out=tokens(text))
