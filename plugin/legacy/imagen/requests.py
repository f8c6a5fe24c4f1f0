"""Build the documented Imagen `:predict` body (one instance + parameters) for each operation.

Pure functions, no network: the tests compare what they build with shared/ref/imagen-api.md, and
the emulator checks the same bodies strictly. Per-mode starting values follow Google's recipes
(section 3.5): insert 35 steps / dilation 0.01, remove 12 / 0.01, outpaint 35 / 0.03,
background swap 75 / 0.0.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from plugin.backends.base import BackendError, EditRequest, UnsupportedOperation
from plugin.config import ImagenOptions, Settings
from plugin.legacy.imagen.classes import parse_classes
from plugin.legacy.imagen.models import (
    CAPABILITY,
    MAX_IMAGE_BYTES,
    MAX_UPSCALE_OUTPUT_PIXELS,
    ModelInfo,
    model_info,
)
from plugin.legacy.imagen.ops import AutoMaskEdit, VerifyWatermark
from plugin.ops import (
    Background,
    Customize,
    Describe,
    Edit,
    Generate,
    InpaintInsert,
    InpaintRemove,
    Operation,
    Outpaint,
)
from plugin.ops import Upscale as UpscaleOp

CAPTION_LANGUAGES = ("en", "de", "fr", "it", "es")
REFERENCE_SIDE = 1024  # customization references: the model works at about 1024 px
EDIT_MIN_SIDE = 1024  # smaller edit regions are sent scaled up; results come back at request size


@dataclass(frozen=True)
class Recipe:
    edit_mode: str
    base_steps: int
    dilation: float


RECIPES = {
    "insert": Recipe("EDIT_MODE_INPAINT_INSERTION", 35, 0.01),
    "remove": Recipe("EDIT_MODE_INPAINT_REMOVAL", 12, 0.01),
    "outpaint": Recipe("EDIT_MODE_OUTPAINT", 35, 0.03),
    "background": Recipe("EDIT_MODE_BGSWAP", 75, 0.0),
}


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


# --- per operation -------------------------------------------------------------------------------


def build_call(request: EditRequest, settings: Settings) -> PredictCall:
    """The :predict call for one request; raises UnsupportedOperation / BackendError with advice."""
    op = request.op
    builders = {
        Generate: _generate,
        InpaintInsert: _mask_edit,
        InpaintRemove: _mask_edit,
        Outpaint: _mask_edit,
        Background: _mask_edit,
        AutoMaskEdit: _auto_mask,
        Edit: _mask_free,
        UpscaleOp: _upscale,
        Describe: _describe,
        VerifyWatermark: _verify,
        Customize: _customize,
    }
    builder = builders.get(type(op))
    if builder is None:
        raise UnsupportedOperation(f"The vertex backend cannot do '{op.title}'.")
    return builder(request, settings)


def _edit_model(settings: Settings) -> tuple[str, ModelInfo]:
    model = settings.imagen_model("edit")
    info = model_info(model, "edit")
    if info.family != CAPABILITY:
        raise UnsupportedOperation(
            f"Model {model} (settings [models] imagen_edit) does not take reference-image edits; "
            'set imagen_edit = "imagen-3.0-capability-001" in the settings file.'
        )
    return model, info


def _generate(request: EditRequest, settings: Settings) -> PredictCall:
    op: Generate = request.op  # type: ignore[assignment]
    model = settings.imagen_model("generate")
    info = model_info(model, "generate")
    options, notes = settings.imagen, []
    params: dict = {"sampleCount": _samples(op, info, notes)}
    if op.aspect_ratio not in info.aspect_ratios:
        raise UnsupportedOperation(
            f"{model} cannot make {op.aspect_ratio} pictures; choose "
            f"{', '.join(info.aspect_ratios)} or another model in settings [models]."
        )
    params["aspectRatio"] = op.aspect_ratio
    _negative(params, op.negative_prompt, info, notes)
    if info.enhance_prompt:
        enhance = options.enhance_prompt and op.seed is None
        if options.enhance_prompt and op.seed is not None:
            notes.append("Prompt enhancement was turned off so the seed can reproduce the picture.")
        params["enhancePrompt"] = enhance
    if info.image_sizes:
        params["sampleImageSize"] = options.image_size if options.image_size in info.image_sizes else "1K"
    _common(params, op, info, options, notes)
    if info.legacy:  # Imagen 3/4 generation does not document guidanceScale
        _guidance(params, options)
    return PredictCall("generate", model, {"prompt": op.prompt}, params, samples=params["sampleCount"], notes=notes)


def _mask_edit(request: EditRequest, settings: Settings) -> PredictCall:
    """Inpaint insert/remove, outpaint and background-from-prompt: RAW + MASK references."""
    op = request.op
    image = request.require_image()
    if isinstance(op, Background) and op.mode != "prompt":
        raise UnsupportedOperation("Only 'prompt' backgrounds need Imagen; the others run locally.")
    model, info = _edit_model(settings)
    recipe = RECIPES[op.action]
    options, notes = settings.imagen, []
    mask_config: dict = {"maskMode": "MASK_MODE_USER_PROVIDED", "dilation": recipe.dilation}
    mask_ref: dict = {"referenceType": "REFERENCE_TYPE_MASK", "referenceId": 2}
    mask = request.mask
    if isinstance(op, Background):
        if mask is None:  # no selection: let the service find the background
            mask_config["maskMode"] = "MASK_MODE_BACKGROUND"
        else:  # the selection marks the subject; Imagen's mask marks what to replace
            mask = np.where(mask >= 128, 0, 255).astype(np.uint8)
    elif mask is None:
        raise UnsupportedOperation(f"{op.title} needs a selection (the area to change)")
    if mask is not None:
        if mask.shape != image.shape[:2]:
            raise BackendError(f"internal: mask {mask.shape} and image {image.shape[:2]} differ in size")
    keep_alpha = _edit_alpha(image, mask)
    sent, sent_mask = at_model_size(image, mask)
    if sent_mask is not None:
        mask_ref["referenceImage"] = wire_mask(sent_mask)
    mask_ref["maskImageConfig"] = mask_config
    references = [_raw(sent), mask_ref]
    prompt = getattr(op, "prompt", "")
    params: dict = {
        "editMode": recipe.edit_mode,
        "editConfig": {"baseSteps": options.base_steps or recipe.base_steps},
        "sampleCount": _samples(op, info, notes),
    }
    if op.action == "insert":
        _negative(params, op.negative_prompt, info, notes)
    _guidance(params, options)
    _common(params, op, info, options, notes)
    return PredictCall(
        "edit",
        model,
        {"prompt": prompt, "referenceImages": references},
        params,
        samples=params["sampleCount"],
        size=(image.shape[1], image.shape[0]),
        keep_alpha=keep_alpha,
        notes=notes,
    )


def _raw(image: np.ndarray) -> dict:
    return {"referenceType": "REFERENCE_TYPE_RAW", "referenceId": 1, "referenceImage": wire_image(image)}


def _edit_alpha(image: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """Changed pixels become opaque; the rest keeps the layer's alpha."""
    if mask is None:
        return np.full(image.shape[:2], 255, np.uint8)
    return np.where(mask >= 128, 255, image[..., 3]).astype(np.uint8)


def _auto_mask(request: EditRequest, settings: Settings) -> PredictCall:
    op: AutoMaskEdit = request.op  # type: ignore[assignment]
    image = request.require_image()
    model, info = _edit_model(settings)
    recipe = RECIPES[op.edit]
    options, notes = settings.imagen, []
    config: dict = {
        "maskMode": f"MASK_MODE_{op.mask_mode.upper()}",
        "dilation": recipe.dilation if op.dilation == -1 else float(op.dilation),
    }
    if op.mask_mode == "semantic":
        config["maskClasses"] = parse_classes(op.classes)
    references = [
        _raw(at_model_size(image, None)[0]),
        {"referenceType": "REFERENCE_TYPE_MASK", "referenceId": 2, "maskImageConfig": config},
    ]
    params: dict = {
        "editMode": recipe.edit_mode,
        "editConfig": {"baseSteps": options.base_steps or recipe.base_steps},
        "sampleCount": _samples(op, info, notes),
    }
    if op.edit != "remove":
        _negative(params, op.negative_prompt, info, notes)
    _guidance(params, options)
    _common(params, op, info, options, notes)
    prompt = "" if op.edit == "remove" else op.prompt
    return PredictCall(
        "edit",
        model,
        {"prompt": prompt, "referenceImages": references},
        params,
        samples=params["sampleCount"],
        size=(image.shape[1], image.shape[0]),
        notes=notes,
    )


def _mask_free(request: EditRequest, settings: Settings) -> PredictCall:
    op: Edit = request.op  # type: ignore[assignment]
    image = request.require_image()
    model, info = _edit_model(settings)
    options, notes = settings.imagen, []
    references = [_raw(at_model_size(image, None)[0])]
    params: dict = {"editMode": "EDIT_MODE_DEFAULT", "sampleCount": _samples(op, info, notes)}
    _negative(params, op.negative_prompt, info, notes)
    _guidance(params, options)
    _common(params, op, info, options, notes)
    return PredictCall(
        "edit",
        model,
        {"prompt": op.prompt, "referenceImages": references},
        params,
        samples=params["sampleCount"],
        size=(image.shape[1], image.shape[0]),
        notes=notes,
    )


def _upscale(request: EditRequest, settings: Settings) -> PredictCall:
    op: UpscaleOp = request.op  # type: ignore[assignment]
    image = request.require_image()
    model = settings.imagen_model("upscale")
    info = model_info(model, "upscale")
    factor = f"x{op.factor}"
    if info.upscale_factors and factor not in info.upscale_factors:
        offered = ", ".join(info.upscale_factors)
        raise UnsupportedOperation(f"{model} cannot upscale {factor}; it offers {offered}.")
    height, width = image.shape[:2]
    out_w, out_h = width * op.factor, height * op.factor
    if out_w * out_h > MAX_UPSCALE_OUTPUT_PIXELS:
        raise BackendError(
            f"Upscaling {width}x{height} {factor} gives {out_w * out_h / 1e6:.1f} megapixels; "
            "Vertex AI returns at most 17. Choose x2 or upscale a smaller selection."
        )
    notes: list[str] = []
    params: dict = {
        "mode": "upscale",
        "sampleCount": 1,
        "upscaleConfig": {"upscaleFactor": factor},
        "outputOptions": {"mimeType": settings.imagen.output_mime_type},
    }
    if settings.imagen.output_mime_type == "image/jpeg":
        params["outputOptions"]["compressionQuality"] = settings.imagen.compression_quality
    if not info.legacy:
        params["addWatermark"] = settings.imagen.add_watermark
    alpha = image[..., 3]
    keep = None
    if (alpha < 255).any():
        keep = np.asarray(Image.fromarray(alpha).resize((out_w, out_h), Image.Resampling.LANCZOS))
    return PredictCall(
        "upscale",
        model,
        {"image": wire_image(image)},
        params,
        samples=1,
        size=(out_w, out_h),
        keep_alpha=keep,
        notes=notes,
    )


def _describe(request: EditRequest, settings: Settings) -> PredictCall:
    op: Describe = request.op  # type: ignore[assignment]
    image = request.require_image()
    model = settings.imagen_model("describe")
    info = model_info(model, "describe")
    notes: list[str] = []
    instance: dict = {"image": wire_image(image)}
    params: dict = {"sampleCount": _samples(op, info, notes)}
    if op.question.strip():
        instance["prompt"] = op.question
    else:
        language = settings.imagen.language
        params["language"] = language if language in CAPTION_LANGUAGES else "en"
    if op.seed is not None:
        params["seed"] = op.seed
    return PredictCall("describe", model, instance, params, result="texts", samples=params["sampleCount"], notes=notes)


def _verify(request: EditRequest, settings: Settings) -> PredictCall:
    image = request.require_image()
    model = settings.imagen_model("verify")
    return PredictCall("verify", model, {"image": wire_image(image)}, {}, result="verdict")


def _customize(request: EditRequest, settings: Settings) -> PredictCall:
    op: Customize = request.op  # type: ignore[assignment]
    model, info = _edit_model(settings)
    layers = list(request.references) or ([request.image] if request.image is not None else [])
    if not layers:
        raise UnsupportedOperation("Generate from References needs at least one reference layer")
    limit = 4 if op.kind == "subject" else 1
    notes: list[str] = []
    if len(layers) > limit:
        notes.append(f"Only the first {limit} reference layer(s) were sent.")
        layers = layers[:limit]
    references = [_reference(op, fit_reference(layer)) for layer in layers]
    prompt = op.prompt if "[1]" in op.prompt else f"{op.prompt.rstrip(' .')} {_tag(op)}"
    params: dict = {
        "sampleCount": _samples(op, info, notes),
        "aspectRatio": op.aspect_ratio,
        "editMode": "EDIT_MODE_DEFAULT" if op.kind in ("subject", "style") else "EDIT_MODE_CONTROLLED_EDITING",
    }
    _negative(params, op.negative_prompt, info, notes)
    _guidance(params, settings.imagen)
    _common(params, op, info, settings.imagen, notes)
    return PredictCall(
        "edit",
        model,
        {"prompt": prompt, "referenceImages": references},
        params,
        samples=params["sampleCount"],
        notes=notes,
    )


def _tag(op: Customize) -> str:
    if op.kind == "subject":
        return f"featuring {op.description or 'the subject'} [1]"
    if op.kind == "style":
        return f"in the {op.description + ' ' if op.description else ''}style of [1]"
    return f"following the {op.kind} image [1]"


def _reference(op: Customize, rgba: np.ndarray) -> dict:
    base = {"referenceId": 1, "referenceImage": wire_image(rgba, "reference layer")}
    if op.kind == "subject":
        description = op.description or {"person": "a person", "animal": "an animal", "product": "a product"}.get(
            op.subject_type, "the subject"
        )
        return {
            "referenceType": "REFERENCE_TYPE_SUBJECT",
            **base,
            "subjectImageConfig": {
                "subjectType": f"SUBJECT_TYPE_{op.subject_type.upper()}",
                "subjectDescription": description,
            },
        }
    if op.kind == "style":
        config = {"styleDescription": op.description} if op.description else {}
        return {"referenceType": "REFERENCE_TYPE_STYLE", **base, "styleImageConfig": config}
    return {
        "referenceType": "REFERENCE_TYPE_CONTROL",
        **base,
        "controlImageConfig": {
            "controlType": f"CONTROL_TYPE_{op.kind.upper()}",
            "enableControlImageComputation": op.compute_control,
        },
    }
