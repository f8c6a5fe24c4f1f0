"""Build the documented Imagen `:predict` body (one instance + parameters) for each operation.

Pure functions, no network: the tests compare what they build with shared/ref/imagen-api.md, and
the emulator checks the same bodies strictly. Here: the choice of builder, generation, upscale,
captions and questions, watermark checks; the capability model's edits are in edit_requests.py, what
every request is made of in request_parts.py.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from plugin.backends.base import BackendError, EditRequest, UnsupportedOperation
from plugin.config import Settings
from plugin.legacy.imagen.edit_requests import _auto_mask, _customize, _mask_edit, _mask_free
from plugin.legacy.imagen.models import MAX_UPSCALE_OUTPUT_PIXELS, model_info
from plugin.legacy.imagen.ops import AutoMaskEdit, VerifyWatermark
from plugin.legacy.imagen.request_parts import (
    PredictCall,
    _common,
    _guidance,
    _negative,
    _samples,
    wire_image,
)
from plugin.ops import (
    Background,
    Customize,
    Describe,
    Edit,
    Generate,
    InpaintInsert,
    InpaintRemove,
    Outpaint,
)
from plugin.ops import Upscale as UpscaleOp

CAPTION_LANGUAGES = ("en", "de", "fr", "it", "es")
__all__ = ["PredictCall", "build_call", "wire_image"]


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
