"""Build one `:generateContent` call (google-genai parts and config) for each action Gemini serves.

No network here. Gemini edits whole pictures from an instruction and takes no mask field, so a masked
action sends the region, the mask as a second picture and a plain-words instruction in the shape of
Google's own edit templates; our blend through the user's feathered selection is what enforces the
mask. The region is framed by plugin/framing.py: padded (mirrored) to the nearest aspect ratio the
model offers, sent at most once resized, and the answer is cut back to it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from plugin import framing
from plugin.backends.base import BackendError, EditRequest, UnsupportedOperation
from plugin.backends.gemini_prompts import followup, instruction
from plugin.catalogue import Model
from plugin.config import Settings
from plugin.ops import Background, Customize, Describe, Generate, Harmonize, Operation, Upscale

DESCRIBE_SIDE = 2048  # Describe sends the picture at most this large: the model reads ~1 MP anyway
REFERENCE_SIDE = 2048  # the same for reference layers
SAFETY_CATEGORIES = (
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
)
PEOPLE = {"allow_none": "ALLOW_NONE", "allow_adult": "ALLOW_ADULT", "allow_all": "ALLOW_ALL"}
PROMINENT = {"allow": "ALLOW_PROMINENT_PEOPLE", "block": "BLOCK_PROMINENT_PEOPLE"}
MASKED = ("insert", "remove", "outpaint")
GREY = 128  # the backdrop of Harmonize's object-alone picture (plugin/harmonize.py)


@dataclass(frozen=True)
class Choice:
    """The model one call goes to, and why (for messages, the layer's provenance and the cost line)."""

    model: Model
    role: str  # "standard", "text_fast", ... or "model" (the dialog's Model field)
    tier: str
    thinking: str = ""  # thinkingLevel to send; "" = none
    location: str = "global"
    notes: tuple[str, ...] = ()
    replaced: str = ""  # the model asked for, when a replacement is used instead


@dataclass
class GeminiCall:
    """One :generateContent call and how to read its answer."""

    choice: Choice
    parts: list  # google.genai.types.Part, in order
    config: object  # google.genai.types.GenerateContentConfig
    result: str = "images"  # "images" or "texts"
    frame: framing.Frame | None = None  # None: keep the answer's own size
    keep_alpha: np.ndarray | None = None  # alpha of the results, at frame.result
    subject: np.ndarray | None = None  # background: 8-bit weight of the subject kept from `original`
    original: np.ndarray | None = None  # background: the request's picture, RGBA
    label: str = ""  # what the layer name adds ("generative")
    notes: list[str] = field(default_factory=list)
    history: list = field(default_factory=list)  # Refine Result: earlier turns (types.Content), sent first

    def contents(self) -> list:
        """What is sent: the parts as one user turn, after the history when there is one."""
        if not self.history:
            return self.parts
        from google.genai import types

        return [*self.history, types.Content(role="user", parts=self.parts)]

    @property
    def model(self) -> str:
        return self.choice.model.id


# --- pictures on the wire --------------------------------------------------------------------------


def encoded(rgb: np.ndarray, limit: int, what: str) -> tuple[bytes, str]:
    """PNG, or JPEG at falling quality when PNG passes the model's inline limit; BackendError past it."""
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(buffer, format="PNG", compress_level=6)
    if buffer.tell() <= limit:
        return buffer.getvalue(), "image/png"
    if rgb.ndim == 3:
        for quality in (95, 90, 85):
            buffer = io.BytesIO()
            Image.fromarray(np.ascontiguousarray(rgb)).save(buffer, format="JPEG", quality=quality)
            if buffer.tell() <= limit:
                return buffer.getvalue(), "image/jpeg"
    raise BackendError(
        f"The {what} is {buffer.tell() / 2**20:.1f} MB encoded; the model takes at most "
        f"{limit / 2**20:.0f} MB per picture. Select a smaller area or set a lower Max size."
    )


def image_part(pixels: np.ndarray, model: Model, what: str = "picture"):
    from google.genai import types

    rgb = pixels[..., :3] if pixels.ndim == 3 else pixels
    data, mime = encoded(rgb, model.max_inline_bytes, what)
    return types.Part.from_bytes(data=data, mime_type=mime)


def mask_part(mask: np.ndarray, model: Model):
    hard = np.where(mask >= 128, 255, 0).astype(np.uint8)
    return image_part(np.dstack([hard] * 3), model, "mask")


def text_part(text: str):
    from google.genai import types

    return types.Part.from_text(text=text)


def scaled_once(pixels: np.ndarray, size: tuple[int, int], nearest: bool = False) -> np.ndarray:
    if (pixels.shape[1], pixels.shape[0]) == size:
        return pixels
    resample = Image.Resampling.NEAREST if nearest else Image.Resampling.LANCZOS
    return np.asarray(Image.fromarray(np.ascontiguousarray(pixels)).resize(size, resample))


def fit_side(pixels: np.ndarray, side: int) -> np.ndarray:
    height, width = pixels.shape[:2]
    if max(height, width) <= side:
        return pixels
    scale = side / max(height, width)
    return scaled_once(pixels, (max(1, round(width * scale)), max(1, round(height * scale))))


def framed(
    pixels: np.ndarray, frame: framing.Frame, nearest: bool = False, pad: str = "symmetric", fill: int = 0
) -> np.ndarray:
    """The region padded to the frame's shape (mirrored, or `fill` for masks and the object alone), then
    resized once if needed."""
    x, y, w, h = frame.box
    pad_w, pad_h = frame.padded
    pads = ((y, pad_h - h - y), (x, pad_w - w - x)) + (((0, 0),) if pixels.ndim == 3 else ())
    extra = {"constant_values": fill} if pad == "constant" else {}
    padded = np.pad(pixels, pads, mode=pad, **extra) if any(sum(p) for p in pads) else pixels
    return scaled_once(padded, frame.send, nearest)


# --- the config ----------------------------------------------------------------------------------


def config(op: Operation, choice: Choice, settings: Settings, frame: framing.Frame | None = None):
    """GenerateContentConfig: modalities, seed, imageConfig for the frame, thinking, people, safety."""
    from google.genai import types

    options = settings.gemini
    model = choice.model
    image_config = None
    if model.makes_images:
        image_config = types.ImageConfig(
            aspect_ratio=frame.ratio if frame else None,
            image_size=(frame.size or None) if frame else None,
            person_generation=PEOPLE[options.person_generation],
            prominent_people=PROMINENT.get(options.prominent_people),
            output_mime_type=options.output_mime_type,
            output_compression_quality=(
                options.compression_quality if options.output_mime_type == "image/jpeg" else None
            ),
        )
    threshold = options.safety_setting.upper()
    return types.GenerateContentConfig(
        response_modalities=["TEXT", "IMAGE"] if model.makes_images else ["TEXT"],
        seed=op.seed,
        image_config=image_config,
        thinking_config=types.ThinkingConfig(thinking_level=choice.thinking) if choice.thinking else None,
        safety_settings=[types.SafetySetting(category=c, threshold=threshold) for c in SAFETY_CATEGORIES],
    )


# --- per action ----------------------------------------------------------------------------------


def build_call(request: EditRequest, choice: Choice, settings: Settings) -> GeminiCall:
    """The call for one request; raises UnsupportedOperation with advice when the model cannot do it."""
    op = request.op
    model = choice.model
    if model.known and model.actions and op.action not in model.actions:
        raise UnsupportedOperation(
            f"{model.id} cannot do '{op.title}'; choose another tier (Quality or Standard) or another model."
        )
    if isinstance(op, Describe):
        return _describe(request, choice, settings)
    if isinstance(op, (Generate, Customize)):
        call = _new_picture(request, choice, settings)
    elif isinstance(op, Harmonize):
        call = _harmonize(request, choice, settings)
    else:
        call = _region(request, choice, settings)
    if request.followup is not None:
        _follow(call, request)
    return call


def _follow(call: GeminiCall, request: EditRequest) -> None:
    """Refine Result: continued, the new user turn is the follow-up's words alone after the history (the
    model works on its last picture, over the same frame); afresh, they replace the action's words."""
    from plugin.backends.gemini_conversation import contents

    wanted = request.followup
    history = contents(wanted.history)
    words = text_part(followup(request.op, wanted.instruction, continued=bool(history)))
    call.history = history
    call.parts = [words] if history else call.parts[:-1] + [words]


def _harmonize(request: EditRequest, choice: Choice, settings: Settings) -> GeminiCall:
    """Google's composition template: the object alone first, then the scene with the object in place,
    LAST (the answer takes the last picture's shape), both at the same framing, then the instruction."""
    op = request.op
    model = choice.model
    scene = request.require_image()
    if len(request.references) != 1 or request.references[0].shape != scene.shape:
        raise UnsupportedOperation(f"{op.title} needs the object alone at the scene's size")
    if model.max_images < 2:
        raise UnsupportedOperation(f"{model.id} takes one picture; {op.title} sends two. Choose another tier.")
    height, width = scene.shape[:2]
    cap = settings.gemini.max_image_size if op.max_size == "auto" else op.max_size
    frame = framing.frame_region(model, width, height, cap)
    alone = framed(request.references[0], frame, pad="constant", fill=GREY)  # one object, on grey all round
    parts = [
        image_part(alone, model, "object"),
        image_part(framed(scene, frame), model, "scene"),
        text_part(instruction(op)),
    ]
    notes = []
    if frame.enlarged:
        notes.append(
            f"The area is larger than {model.id}'s largest answer ({frame.output[0]}x{frame.output[1]} at "
            f"{frame.size or '1K'}); the harmonized object was enlarged to fit and may look softer."
        )
    return GeminiCall(choice, parts, config(op, choice, settings, frame), frame=frame, notes=notes)


def _new_picture(request: EditRequest, choice: Choice, settings: Settings) -> GeminiCall:
    op = request.op
    model = choice.model
    ratio = op.aspect_ratio
    if model.aspect_ratios and ratio not in model.aspect_ratios:
        raise UnsupportedOperation(
            f"{model.id} cannot make {ratio} pictures; choose one of {', '.join(model.aspect_ratios)}, or another tier."
        )
    frame = framing.frame_new(model, ratio, op.max_size)
    parts = []
    notes: list[str] = []
    if isinstance(op, Customize):
        references = [_reference(op, rgba) for rgba in request.references]
        if not references:
            raise UnsupportedOperation(f"{op.title} needs a reference picture (a layer, or --reference FILE)")
        if len(references) > model.max_images:
            raise UnsupportedOperation(
                f"{model.id} takes at most {model.max_images} pictures; choose fewer reference layers."
            )
        parts += [image_part(ref, model, "reference layer") for ref in references]
        if op.compute_control and op.kind in ("scribble", "canny"):
            notes.append(
                f"The {'edges' if op.kind == 'canny' else 'sketch'} were drawn from the reference "
                "photo on this computer, then sent."
            )
    parts.append(text_part(instruction(op)))
    return GeminiCall(choice, parts, config(op, choice, settings, frame), frame=None, notes=notes)


def _region(request: EditRequest, choice: Choice, settings: Settings) -> GeminiCall:
    """Edits of a region: insert, remove, expand, background from a prompt, edit, upscale."""
    op = request.op
    model = choice.model
    image = request.require_image()
    height, width = image.shape[:2]
    factor = op.factor if isinstance(op, Upscale) else 1
    cap = settings.gemini.max_image_size if op.max_size == "auto" else op.max_size
    try:
        frame = framing.frame_region(model, width, height, cap, factor)
    except framing.FramingError as exc:
        raise UnsupportedOperation(
            f"{exc}. Choose Backend: Local engine for the offline upscale (no invented "
            "detail, any size), a lower factor, or a smaller selection."
        ) from None
    parts = [image_part(framed(image, frame), model)]
    mask = request.mask
    subject = None
    keep_alpha = _opaque_where(image, mask if op.action in MASKED else None)  # edit comes without a mask
    if op.action in MASKED:
        if mask is None:
            raise UnsupportedOperation(f"{op.title} needs a selection (the area to change)")
        parts.append(mask_part(framed(mask, frame, nearest=True, pad="constant"), model))
    elif isinstance(op, Background):
        if op.mode != "prompt":
            raise UnsupportedOperation("Only 'prompt' backgrounds need Gemini; the others run locally.")
        subject = mask
        if subject is None:
            from plugin.engine.cutout import subject_mask

            subject = subject_mask(image[..., :3])
        # white = what changes, as in every masked action: here the background, not the subject
        background = (255 - np.where(subject >= 128, 255, 0)).astype(np.uint8)
        parts.append(mask_part(framed(background, frame, nearest=True, pad="constant"), model))
        keep_alpha = np.full(image.shape[:2], 255, np.uint8)
    elif isinstance(op, Upscale):
        keep_alpha = None if (image[..., 3] == 255).all() else scaled_once(image[..., 3], frame.result)
    if len(parts) > model.max_images:
        raise UnsupportedOperation(
            f"{model.id} takes {model.max_images} picture(s); this action sends {len(parts)}. Choose another tier."
        )
    parts.append(text_part(instruction(op)))
    notes = []
    if request.mask is None and isinstance(op, Background):
        notes.append("No selection: the subject was found by the local engine and kept unchanged.")
    if frame.enlarged and not isinstance(op, Upscale):
        notes.append(
            f"The area is larger than {model.id}'s largest answer ({frame.output[0]}x{frame.output[1]}"
            f" at {frame.size or '1K'}); the change was enlarged to fit and may look softer."
        )
    label = "generative" if isinstance(op, Upscale) else ""
    return GeminiCall(
        choice,
        parts,
        config(op, choice, settings, frame),
        frame=frame,
        keep_alpha=keep_alpha,
        subject=subject,
        original=image if subject is not None else None,
        label=label,
        notes=notes,
    )


def _describe(request: EditRequest, choice: Choice, settings: Settings) -> GeminiCall:
    op = request.op
    image = fit_side(request.require_image(), DESCRIBE_SIDE)
    parts = [image_part(image, choice.model), text_part(instruction(op))]
    return GeminiCall(choice, parts, config(op, choice, settings), result="texts")


def _reference(op: Customize, rgba: np.ndarray) -> np.ndarray:
    """A reference layer as sent: at most REFERENCE_SIDE, and for 'draw the lines from a photo' the
    edges (canny) or a bold sketch (scribble) of it, made here with OpenCV."""
    picture = fit_side(rgba, REFERENCE_SIDE)
    rgb = np.ascontiguousarray(picture[..., :3])
    if picture.shape[2] == 4 and not (picture[..., 3] == 255).all():  # transparent areas read as white paper
        alpha = picture[..., 3:4].astype(np.float32) / 255.0
        rgb = (rgb * alpha + 255 * (1 - alpha)).astype(np.uint8)
    if not (op.compute_control and op.kind in ("scribble", "canny")):
        return rgb
    import cv2

    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if op.kind == "canny":
        edges = cv2.Canny(cv2.GaussianBlur(grey, (5, 5), 0), 50, 150)
        return np.dstack([edges] * 3)
    edges = cv2.Canny(cv2.GaussianBlur(grey, (9, 9), 0), 30, 90)
    lines = cv2.dilate(edges, np.ones((3, 3), np.uint8), iterations=2)
    return np.dstack([255 - lines] * 3)  # black strokes on white, as a sketch is drawn


def _opaque_where(image: np.ndarray, mask: np.ndarray | None) -> np.ndarray | None:
    """Changed pixels become opaque, the rest keeps the layer's alpha; None when all is opaque anyway."""
    alpha = image[..., 3]
    if mask is None:
        return None if (alpha == 255).all() else np.full(alpha.shape, 255, np.uint8)
    return np.where(mask >= 128, 255, alpha).astype(np.uint8)
