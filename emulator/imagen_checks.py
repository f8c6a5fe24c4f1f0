"""Strict checks of a legacy Imagen `:predict` body (shared/ref/imagen-api.md §9), for projects that
keep an Imagen endpoint.

Ported from the plug-in's first emulator (plugin/backends/emulator_validation.py) with the same
rules, so the legacy backend is held to the same standard: unknown fields, wrong enums, numbers out
of range, a mask of another size than its image, images over 10 MB. Each refusal is Imagen's 400
("Invalid value at '<camelCase path>': ...") without details, as that API answers. Numbers are taken
as JSON doubles (1.0), as the GAPIC REST client sends them. The per-model rules (sizes, ratios,
negative prompts) come from plugin.legacy.imagen.models, the legacy client's own table.
"""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from emulator.errors import ApiError
from emulator.imagen_tables import (
    CAPABILITY,
    CLASS_NAMES,
    GENERATE,
    IMAGETEXT,
    MAX_IMAGE_BYTES,
    MAX_MASK_CLASSES,
    MAX_UPSCALE_OUTPUT_PIXELS,
    UPSCALE,
    VERIFY,
    ModelInfo,
)

SAFETY = (
    "block_low_and_above",
    "block_medium_and_above",
    "block_only_high",
    "block_none",
    "block_most",
    "block_some",
    "block_few",
    "block_fewest",
)
PERSON = ("dont_allow", "allow_adult", "allow_all")
LANGUAGES = ("auto", "en", "es", "hi", "ja", "ko", "pt", "zh", "zh-cn", "zh-tw", "de", "fr")
CAPTION_LANGUAGES = ("en", "de", "fr", "it", "es")
EDIT_MODES = (
    "EDIT_MODE_DEFAULT",
    "EDIT_MODE_INPAINT_INSERTION",
    "EDIT_MODE_INPAINT_REMOVAL",
    "EDIT_MODE_OUTPAINT",
    "EDIT_MODE_BGSWAP",
    "EDIT_MODE_CONTROLLED_EDITING",
    "EDIT_MODE_STYLE",
    "EDIT_MODE_PRODUCT_IMAGE",
)
MASKED_MODES = EDIT_MODES[1:5]
REFERENCE_TYPES = (
    "REFERENCE_TYPE_RAW",
    "REFERENCE_TYPE_MASK",
    "REFERENCE_TYPE_CONTROL",
    "REFERENCE_TYPE_STYLE",
    "REFERENCE_TYPE_SUBJECT",
)
MASK_MODES = (
    "MASK_MODE_DEFAULT",
    "MASK_MODE_USER_PROVIDED",
    "MASK_MODE_BACKGROUND",
    "MASK_MODE_FOREGROUND",
    "MASK_MODE_SEMANTIC",
)
SUBJECT_TYPES = ("SUBJECT_TYPE_DEFAULT", "SUBJECT_TYPE_PERSON", "SUBJECT_TYPE_ANIMAL", "SUBJECT_TYPE_PRODUCT")
CONTROL_TYPES = ("CONTROL_TYPE_FACE_MESH", "CONTROL_TYPE_CANNY", "CONTROL_TYPE_SCRIBBLE")
CONFIG_FOR = {
    "REFERENCE_TYPE_MASK": "maskImageConfig",
    "REFERENCE_TYPE_SUBJECT": "subjectImageConfig",
    "REFERENCE_TYPE_STYLE": "styleImageConfig",
    "REFERENCE_TYPE_CONTROL": "controlImageConfig",
}
IMAGE_PARAMS = {
    "sampleCount",
    "seed",
    "negativePrompt",
    "addWatermark",
    "storageUri",
    "outputOptions",
    "safetySetting",
    "personGeneration",
    "includeRaiReason",
    "includeSafetyAttributes",
    "language",
    "guidanceScale",
}
PROMPT_TOKENS = 480


def refuse(path: str, message: str) -> ApiError:
    return ApiError(400, f"Invalid value at '{path}': {message}", field=path)


@dataclass
class Checked:
    """A validated :predict request with its pictures decoded (RGB H x W x 3, masks H x W)."""

    family: str
    prompt: str
    params: dict
    image: np.ndarray | None = None  # the RAW reference or `image`
    mask: np.ndarray | None = None
    mask_config: dict = field(default_factory=dict)
    references: list[dict] = field(default_factory=list)  # customization references, "pixels" decoded


def keys(value: Any, allowed: set[str], path: str) -> dict:
    if not isinstance(value, dict):
        raise refuse(path or "request", f"expected an object, got {type(value).__name__}")
    for key in value:
        if key not in allowed:
            where = f"{path}.{key}" if path else key
            raise refuse(where, f'Cannot find field "{key}" in {path or "request"}')
    return value


def whole(value: Any, path: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or float(value) != int(value):
        raise refuse(path, f"{value!r} is not an integer")
    if not low <= int(value) <= high:
        raise refuse(path, f"{int(value)} is out of range [{low}, {high}]")
    return int(value)


def real(value: Any, path: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise refuse(path, f"{value!r} is not a number")
    if not low <= value <= high:
        raise refuse(path, f"{value} is out of range [{low}, {high}]")
    return float(value)


def flag(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise refuse(path, f"{value!r} is not a boolean")
    return value


def text(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise refuse(path, f"{value!r} is not a string")
    return value


def choice(value: Any, path: str, allowed: tuple[str, ...], any_case: bool = False) -> str:
    given = text(value, path)
    if (given.lower() not in [a.lower() for a in allowed]) if any_case else given not in allowed:
        raise refuse(path, f'"{given}" is not one of {", ".join(allowed)}')
    return given


def decode(image: Any, path: str, grey: bool = False) -> np.ndarray:
    """An API Image object -> pixels: base64, PNG/JPEG only, 10 MB at most, no Cloud Storage."""
    keys(image, {"bytesBase64Encoded", "gcsUri", "mimeType"}, path)
    if "mimeType" in image:
        choice(image["mimeType"], f"{path}.mimeType", ("image/png", "image/jpeg"))
    if "gcsUri" in image:
        raise refuse(f"{path}.gcsUri", "the emulator cannot read Cloud Storage; send bytesBase64Encoded")
    if "bytesBase64Encoded" not in image:
        raise refuse(f"{path}.bytesBase64Encoded", "an image needs bytesBase64Encoded or gcsUri")
    where = f"{path}.bytesBase64Encoded"
    try:
        raw = base64.b64decode(text(image["bytesBase64Encoded"], where), validate=True)
    except binascii.Error as exc:
        raise refuse(where, f"not valid base64 ({exc})") from exc
    if len(raw) > MAX_IMAGE_BYTES:
        raise refuse(where, f"image is {len(raw)} bytes; the limit is {MAX_IMAGE_BYTES} bytes (10 MB)")
    try:
        with Image.open(io.BytesIO(raw)) as picture:
            if picture.format not in ("PNG", "JPEG"):
                raise refuse(where, f"{picture.format} images are not supported; send PNG or JPEG")
            return np.asarray(picture.convert("L" if grey else "RGB")).copy()
    except (OSError, ValueError) as exc:
        raise refuse(where, f"cannot decode the image ({exc})") from exc


def prompt_length(prompt: str, path: str, limit: int = PROMPT_TOKENS) -> str:
    if len(prompt.split()) > limit:
        raise refuse(path, f"the prompt is longer than {limit} tokens")
    return prompt


def check(info: ModelInfo, body: Any, capability: Any) -> Checked:
    """Validate a whole :predict body for one model; raises ApiError (400).

    `capability` checks the edit model's instance (emulator/imagen_edit.py, which builds on this
    module's helpers and so is passed in, not imported: no circle)."""
    keys(body, {"instances", "parameters", "labels"}, "")
    instances = body.get("instances")
    if not isinstance(instances, list) or len(instances) != 1:
        raise refuse("instances", "exactly one instance is supported")
    params = body.get("parameters", {})
    keys(params, set(params) if isinstance(params, dict) else set(), "parameters")
    checker = {GENERATE: _generate, CAPABILITY: capability, UPSCALE: _upscale, IMAGETEXT: _imagetext, VERIFY: _verify}[
        info.family
    ]
    return checker(info, instances[0], params)


def image_params(info: ModelInfo, params: dict, extra: set[str]) -> None:
    """The parameters every picture-making call shares, and the seed-needs-no-watermark rule."""
    keys(params, IMAGE_PARAMS | extra, "parameters")
    p = params
    if "sampleCount" in p:
        whole(p["sampleCount"], "parameters.sampleCount", 1, info.max_samples)
    if "seed" in p:
        whole(p["seed"], "parameters.seed", 0, 2**32 - 1)
    if "negativePrompt" in p:
        text(p["negativePrompt"], "parameters.negativePrompt")
        if not info.negative_prompt:
            raise refuse("parameters.negativePrompt", f"negativePrompt is not supported by {info.id}")
    marked = flag(p["addWatermark"], "parameters.addWatermark") if "addWatermark" in p else info.watermark_default
    if "seed" in p and marked:
        raise refuse(
            "parameters.seed",
            "seed is not supported when addWatermark is true; set addWatermark to false to use a seed",
        )
    if "storageUri" in p and not text(p["storageUri"], "parameters.storageUri").startswith("gs://"):
        raise refuse("parameters.storageUri", "must be a gs:// URI")
    if "outputOptions" in p:
        options = keys(p["outputOptions"], {"mimeType", "compressionQuality"}, "parameters.outputOptions")
        if "mimeType" in options:
            choice(options["mimeType"], "parameters.outputOptions.mimeType", ("image/png", "image/jpeg"))
        if "compressionQuality" in options:
            whole(options["compressionQuality"], "parameters.outputOptions.compressionQuality", 0, 100)
    if "safetySetting" in p:
        choice(p["safetySetting"], "parameters.safetySetting", SAFETY, any_case=True)
    if "personGeneration" in p:
        choice(p["personGeneration"], "parameters.personGeneration", PERSON, any_case=True)
        if not info.person_generation:
            raise refuse("parameters.personGeneration", f"personGeneration is not supported by {info.id}")
    for name in ("includeRaiReason", "includeSafetyAttributes"):
        if name in p:
            flag(p[name], f"parameters.{name}")
    if "language" in p:
        choice(p["language"], "parameters.language", LANGUAGES, any_case=True)
    if "guidanceScale" in p:
        real(p["guidanceScale"], "parameters.guidanceScale", 0, 500)


def _generate(info: ModelInfo, instance: Any, params: dict) -> Checked:
    keys(instance, {"prompt"}, "instances[0]")
    prompt = text(instance.get("prompt"), "instances[0].prompt") if "prompt" in instance else ""
    if not prompt.strip():
        raise refuse("instances[0].prompt", "a prompt is required")
    prompt_length(prompt, "instances[0].prompt", 128 if info.legacy else PROMPT_TOKENS)
    extra = {"aspectRatio", "sampleImageSize", "enhancePrompt"}
    if info.legacy:
        extra.add("sampleImageStyle")
    image_params(info, params, extra)
    if "aspectRatio" in params:
        choice(params["aspectRatio"], "parameters.aspectRatio", info.aspect_ratios)
    if "sampleImageSize" in params:
        if not info.image_sizes:
            raise refuse("parameters.sampleImageSize", f"sampleImageSize is not supported by {info.id}")
        choice(params["sampleImageSize"], "parameters.sampleImageSize", info.image_sizes, any_case=True)
    if "enhancePrompt" in params:
        flag(params["enhancePrompt"], "parameters.enhancePrompt")
        if not info.enhance_prompt:
            raise refuse("parameters.enhancePrompt", f"enhancePrompt is not supported by {info.id}")
    return Checked(GENERATE, prompt, params)


def _upscale(info: ModelInfo, instance: Any, params: dict) -> Checked:
    keys(instance, {"prompt", "image"}, "instances[0]")
    if "image" not in instance:
        raise refuse("instances[0].image", "an image to upscale is required")
    image = decode(instance["image"], "instances[0].image")
    keys(
        params,
        {
            "mode",
            "sampleCount",
            "upscaleConfig",
            "outputOptions",
            "storageUri",
            "addWatermark",
            "safetySetting",
            "personGeneration",
            "includeRaiReason",
            "sampleImageSize",
        },
        "parameters",
    )
    if "mode" in params:
        choice(params["mode"], "parameters.mode", ("upscale",))
    if "sampleCount" in params:
        whole(params["sampleCount"], "parameters.sampleCount", 1, 1)
    config = keys(
        params.get("upscaleConfig", {}),
        {"upscaleFactor", "enhanceInputImage", "imagePreservationFactor"},
        "parameters.upscaleConfig",
    )
    if "upscaleFactor" not in config:
        raise refuse("parameters.upscaleConfig.upscaleFactor", "upscaleFactor is required")
    factor = choice(config["upscaleFactor"], "parameters.upscaleConfig.upscaleFactor", info.upscale_factors)
    if "enhanceInputImage" in config:
        flag(config["enhanceInputImage"], "parameters.upscaleConfig.enhanceInputImage")
    if "imagePreservationFactor" in config:
        real(config["imagePreservationFactor"], "parameters.upscaleConfig.imagePreservationFactor", 0, 1)
    image_params(info, {k: v for k, v in params.items() if k in IMAGE_PARAMS}, set())
    height, width = image.shape[:2]
    scale = int(factor[1:])
    if width * height * scale * scale > MAX_UPSCALE_OUTPUT_PIXELS:
        raise refuse(
            "parameters.upscaleConfig.upscaleFactor",
            f"the output would be {width * scale}x{height * scale}; the limit is 17 megapixels",
        )
    return Checked(UPSCALE, text(instance.get("prompt", ""), "instances[0].prompt"), params, image=image)


def _imagetext(info: ModelInfo, instance: Any, params: dict) -> Checked:
    keys(instance, {"prompt", "image"}, "instances[0]")
    if "image" not in instance:
        raise refuse("instances[0].image", "an image is required")
    image = decode(instance["image"], "instances[0].image")
    question = prompt_length(text(instance.get("prompt", ""), "instances[0].prompt"), "instances[0].prompt", 80)
    keys(params, {"sampleCount", "language", "seed", "storageUri"}, "parameters")
    if "sampleCount" in params:
        whole(params["sampleCount"], "parameters.sampleCount", 1, 3)
    if "language" in params:
        if question:
            raise refuse("parameters.language", "visual question answering is English only")
        choice(params["language"], "parameters.language", CAPTION_LANGUAGES)
    if "seed" in params:
        whole(params["seed"], "parameters.seed", 0, 2**32 - 1)
    return Checked(IMAGETEXT, question, params, image=image)


def _verify(info: ModelInfo, instance: Any, params: dict) -> Checked:
    keys(instance, {"image"}, "instances[0]")
    if "image" not in instance:
        raise refuse("instances[0].image", "an image is required")
    keys(params, set(), "parameters")
    return Checked(VERIFY, "", params, image=decode(instance["image"], "instances[0].image"))


def semantic_classes(classes: Any, path: str) -> None:
    if not isinstance(classes, list) or not 1 <= len(classes) <= MAX_MASK_CLASSES:
        raise refuse(path, f"give 1 to {MAX_MASK_CLASSES} class IDs")
    for index, value in enumerate(classes):
        whole(value, f"{path}[{index}]", 0, len(CLASS_NAMES) - 1)
