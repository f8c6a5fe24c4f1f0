"""Build the `:generateContent` body (text and image parts) for each action a Gemini model can serve.

Pure functions, no network. Gemini edits whole pictures from an instruction; it takes no mask
field, so masked actions send the region, the mask as a second picture and a plain-words
instruction, and the pipeline's blend through the user's feathered selection enforces the mask.
Gemini answers at its own aspect ratios (about one megapixel), so a region is padded (mirrored) to
the nearest ratio the model offers and the answer is cropped back: no stretching.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from plugin.backends.base import BackendError, EditRequest, UnsupportedOperation
from plugin.backends.gemini_models import (
    IMAGE,
    MAX_INLINE_BYTES,
    SAFETY_CATEGORIES,
    TEXT,
    THRESHOLD_FOR_SETTING,
    GeminiModel,
    gemini_model,
    is_gemini,
    nearest_ratio,
    ratio_value,
)
from plugin.backends.imagen_requests import at_model_size, wire_image, wire_mask
from plugin.config import Settings
from plugin.ops import Background, Describe, Edit, Generate, InpaintInsert, InpaintRemove, Operation, Outpaint

DEFAULT_IMAGE_MODEL = "gemini-2.5-flash-image"
DEFAULT_TEXT_MODEL = "gemini-2.5-flash"
ROLE_OF_ACTION = {"generate": "gemini_generate", "describe": "gemini_describe"}  # others: gemini_edit
PAD_TOLERANCE = 0.01  # ratios closer than 1 % are resized, not padded

KEEP = ("Keep everything outside the white area of the mask exactly as it is: same framing, size, "
        "perspective, light and colours. Answer with the whole edited picture.")


@dataclass(frozen=True)
class Frame:
    """Where the request's picture sits in what was sent, so the answer can be cut back to it."""

    sent: tuple[int, int]  # (width, height) of the padded picture sent
    box: tuple[int, int, int, int]  # (x, y, w, h) of the request's picture inside it
    size: tuple[int, int]  # (width, height) every result must have (the request's)


@dataclass
class GeminiCall:
    """One :generateContent call and how to read its answer."""

    role: str  # settings [models] role the model came from (for messages)
    model: str
    body: dict  # GenerateContentRequest as JSON (camelCase, enum names); the model is in the URL
    result: str = "images"  # "images" or "texts"
    frame: Frame | None = None  # None: keep the answer's own size (generate)
    keep_alpha: np.ndarray | None = None  # alpha for the results, H x W at frame.size
    subject: np.ndarray | None = None  # background: 8-bit weight of the subject to keep from `original`
    original: np.ndarray | None = None  # background: the request's picture, RGBA
    notes: list[str] = field(default_factory=list)


# --- models ---------------------------------------------------------------------------------------

def model_for(op: Operation, settings: Settings) -> tuple[str, str, GeminiModel]:
    """(role, model ID, table entry): the op's own Gemini model, else [models] gemini_<role>, else gemini.

    describe wants a text model: gemini_describe defaults to gemini-2.5-flash; the image actions use
    [models] gemini (gemini-2.5-flash-image) unless gemini_generate / gemini_edit name another.
    """
    role = ROLE_OF_ACTION.get(op.action, "gemini_edit")
    kind = TEXT if op.action == "describe" else IMAGE
    if op.model and is_gemini(op.model):
        return "model", op.model, gemini_model(op.model, kind)
    chosen = settings.models.get(role, "")
    if not chosen:
        if kind == TEXT:
            chosen = DEFAULT_TEXT_MODEL
        else:
            role, chosen = "gemini", settings.models.get("gemini", "") or DEFAULT_IMAGE_MODEL
    info = gemini_model(chosen, kind)
    if kind == IMAGE and info.kind != IMAGE:
        raise UnsupportedOperation(
            f"{chosen} (settings [models] {role}) answers with text only and cannot make pictures; set "
            f"{role} = \"{DEFAULT_IMAGE_MODEL}\" in the settings file.")
    return role, chosen, info


# --- parts ----------------------------------------------------------------------------------------

def inline(wire: dict, what: str) -> dict:
    """An Imagen-style wire image -> a Gemini inlineData part, within the inline-data limit."""
    if len(wire["bytesBase64Encoded"]) * 3 // 4 > MAX_INLINE_BYTES:
        raise BackendError(f"The {what} is over 7 MB encoded, Gemini's limit for an inline picture. "
                           "Select a smaller area or scale the image down.")
    return {"inlineData": {"mimeType": wire["mimeType"], "data": wire["bytesBase64Encoded"]}}


def image_part(rgba: np.ndarray, what: str = "picture") -> dict:
    return inline(wire_image(rgba, what), what)


def mask_part(mask: np.ndarray) -> dict:
    return inline(wire_mask(mask), "mask")


def text_part(text: str) -> dict:
    return {"text": text}


def pad_to_ratio(image: np.ndarray, mask: np.ndarray | None, offered: tuple[str, ...]
                 ) -> tuple[np.ndarray, np.ndarray | None, str, tuple[int, int, int, int]]:
    """Mirror-pad to the nearest offered aspect ratio; returns (image, mask, ratio, box of the original)."""
    height, width = image.shape[:2]
    ratio = nearest_ratio(width, height, offered)
    target = ratio_value(ratio)
    if abs(target / (width / height) - 1) <= PAD_TOLERANCE:
        return image, mask, ratio, (0, 0, width, height)
    if width / height < target:
        extra = round(height * target) - width
        pads = ((0, 0), (extra // 2, extra - extra // 2))
    else:
        extra = round(width / target) - height
        pads = ((extra // 2, extra - extra // 2), (0, 0))
    padded = np.pad(image, pads + ((0, 0),), mode="symmetric")
    padded_mask = None if mask is None else np.pad(mask, pads, mode="constant")
    return padded, padded_mask, ratio, (pads[1][0], pads[0][0], width, height)


# --- the body --------------------------------------------------------------------------------------

def safety_settings(settings: Settings) -> list[dict]:
    threshold = THRESHOLD_FOR_SETTING.get(settings.imagen.safety_setting, "BLOCK_MEDIUM_AND_ABOVE")
    return [{"category": category, "threshold": threshold} for category in SAFETY_CATEGORIES]


def body(parts: list[dict], op: Operation, info: GeminiModel, settings: Settings,
         ratio: str = "") -> dict:
    config: dict = {"responseModalities": ["TEXT"] if info.kind == TEXT else ["TEXT", "IMAGE"],
                    "candidateCount": max(1, min(op.variations, info.max_candidates))}
    if op.seed is not None:
        config["seed"] = op.seed
    if ratio and info.kind == IMAGE:
        config["imageConfig"] = {"aspectRatio": ratio}
    return {"contents": [{"role": "user", "parts": parts}], "generationConfig": config,
            "safetySettings": safety_settings(settings)}


def build_call(request: EditRequest, settings: Settings) -> GeminiCall:
    """The :generateContent call for one request; raises UnsupportedOperation with advice."""
    op = request.op
    builders = {Generate: _generate, Edit: _edit, InpaintInsert: _masked, InpaintRemove: _masked,
                Outpaint: _masked, Background: _background, Describe: _describe}
    builder = builders.get(type(op))
    if builder is None:
        raise UnsupportedOperation(f"The gemini backend cannot do '{op.title}'.")
    return builder(request, settings)


def _avoid(op: Operation) -> str:
    negative = getattr(op, "negative_prompt", "").strip()
    return f" Avoid: {negative}." if negative else ""


def _generate(request: EditRequest, settings: Settings) -> GeminiCall:
    op: Generate = request.op  # type: ignore[assignment]
    role, model, info = model_for(op, settings)
    if op.aspect_ratio not in info.aspect_ratios:
        raise UnsupportedOperation(f"{model} cannot make {op.aspect_ratio} pictures; choose "
                                   f"{', '.join(info.aspect_ratios)}.")
    text = f"Create a picture: {op.prompt.strip()}.{_avoid(op)}"
    return GeminiCall(role, model, body([text_part(text)], op, info, settings, op.aspect_ratio))


def _framed(image: np.ndarray, mask: np.ndarray | None, info: GeminiModel
            ) -> tuple[np.ndarray, np.ndarray | None, str, Frame]:
    """Scale a small region up to the model's working size, then pad it to an offered ratio."""
    size = (image.shape[1], image.shape[0])
    scaled, scaled_mask = at_model_size(image, mask)
    padded, padded_mask, ratio, box = pad_to_ratio(scaled, scaled_mask, info.aspect_ratios)
    return padded, padded_mask, ratio, Frame((padded.shape[1], padded.shape[0]), box, size)


def _edit(request: EditRequest, settings: Settings) -> GeminiCall:
    op: Edit = request.op  # type: ignore[assignment]
    image = request.require_image()
    role, model, info = model_for(op, settings)
    sent, _, ratio, frame = _framed(image, None, info)
    text = (f"Edit this picture: {op.prompt.strip()}.{_avoid(op)} Keep its framing, size and "
            "perspective; answer with the whole edited picture.")
    return GeminiCall(role, model, body([image_part(sent), text_part(text)], op, info, settings, ratio),
                      frame=frame, keep_alpha=_opaque_where(image, None))


INSTRUCTIONS = {
    "insert": ("The first picture is a photo, the second a mask of the same size. In the white area of the "
               "mask, paint: {prompt}. Match the photo's light, perspective, sharpness and grain.{avoid} "),
    "remove": ("The first picture is a photo, the second a mask of the same size. Remove what lies in the "
               "white area of the mask and fill it with a natural continuation of the surroundings, as if "
               "it had never been there.{hint} "),
    "outpaint": ("The first picture is a photo placed on a larger canvas, the second a mask of the same "
                 "size. The white area of the mask is empty canvas (black in the photo). Extend the photo "
                 "into it seamlessly, continuing its scene, light and perspective.{hint} "),
}


def _masked(request: EditRequest, settings: Settings) -> GeminiCall:
    """Inpaint insert / remove and outpaint: the region, its mask as a second picture, an instruction."""
    op = request.op
    image = request.require_image()
    if request.mask is None:
        raise UnsupportedOperation(f"{op.title} needs a selection (the area to change)")
    role, model, info = model_for(op, settings)
    if info.max_images < 2:
        raise UnsupportedOperation(f"{model} takes one input picture; the mask needs a second. Choose "
                                   f"{DEFAULT_IMAGE_MODEL} in settings [models].")
    sent, sent_mask, ratio, frame = _framed(image, request.mask, info)
    prompt = getattr(op, "prompt", "").strip()
    hint = f" Fill it with: {prompt}." if prompt else ""
    text = INSTRUCTIONS[op.action].format(prompt=prompt, avoid=_avoid(op), hint=hint) + KEEP
    parts = [image_part(sent), mask_part(sent_mask), text_part(text)]
    return GeminiCall(role, model, body(parts, op, info, settings, ratio), frame=frame,
                      keep_alpha=_opaque_where(image, request.mask))


def _background(request: EditRequest, settings: Settings) -> GeminiCall:
    """Background from a prompt; the subject (selection, else found locally) is pasted back unchanged."""
    op: Background = request.op  # type: ignore[assignment]
    image = request.require_image()
    if op.mode != "prompt":
        raise UnsupportedOperation("Only 'prompt' backgrounds need Gemini; the others run locally.")
    role, model, info = model_for(op, settings)
    subject = request.mask
    notes: list[str] = []
    if subject is None:
        from plugin.engine.cutout import subject_mask

        subject = subject_mask(image[..., :3])
        notes.append("No selection: the subject was found by the local engine and kept unchanged.")
    sent, sent_mask, ratio, frame = _framed(image, subject, info)
    parts = [image_part(sent)]
    if info.max_images >= 2:
        parts.append(mask_part(sent_mask))
        where = "The second picture is a mask: white marks the subject. "
    else:
        where = ""
    text = (f"{where}Replace the background behind the main subject of the first picture with: "
            f"{op.prompt.strip()}. Keep the subject exactly as it is, in the same place and size, and match "
            "the new background's light to it. Answer with the whole picture.")
    parts.append(text_part(text))
    return GeminiCall(role, model, body(parts, op, info, settings, ratio), frame=frame,
                      keep_alpha=np.full(image.shape[:2], 255, np.uint8), subject=subject, original=image,
                      notes=notes)


def _describe(request: EditRequest, settings: Settings) -> GeminiCall:
    op: Describe = request.op  # type: ignore[assignment]
    image = request.require_image()
    role, model, info = model_for(op, settings)
    question = op.question.strip() or ("Describe this picture in one or two sentences, as a caption for "
                                       "a photo library. Answer with the caption only.")
    return GeminiCall(role, model, body([image_part(image), text_part(question)], op, info, settings),
                      result="texts")


def _opaque_where(image: np.ndarray, mask: np.ndarray | None) -> np.ndarray | None:
    """Changed pixels become opaque, the rest keeps the layer's alpha; None when all is opaque anyway."""
    alpha = image[..., 3]
    if mask is None:
        return None if (alpha == 255).all() else np.full(alpha.shape, 255, np.uint8)
    return np.where(mask >= 128, 255, alpha).astype(np.uint8)
