"""Strict checks of a `:predict` body, as the Imagen API documents it (shared/ref/imagen-api.md §9).

Unknown fields, wrong enums, out-of-range numbers, a mask of another size than the image, images
over 10 MB: each raises Invalid naming the field, which the emulator answers as HTTP 400 in
Google's error shape. Numbers are accepted as JSON doubles (1.0), as the real client sends them.
"""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from plugin.backends.imagen_classes import CLASS_NAMES
from plugin.backends.imagen_models import (
    CAPABILITY,
    GENERATE,
    IMAGETEXT,
    MAX_IMAGE_BYTES,
    MAX_MASK_CLASSES,
    MAX_REFERENCE_IMAGES,
    MAX_UPSCALE_OUTPUT_PIXELS,
    UPSCALE,
    VERIFY,
    ModelInfo,
)

SAFETY = ("block_low_and_above", "block_medium_and_above", "block_only_high", "block_none",
          "block_most", "block_some", "block_few", "block_fewest")
PERSON = ("dont_allow", "allow_adult", "allow_all")
LANGUAGES = ("auto", "en", "es", "hi", "ja", "ko", "pt", "zh", "zh-cn", "zh-tw", "de", "fr")
CAPTION_LANGUAGES = ("en", "de", "fr", "it", "es")
EDIT_MODES = ("EDIT_MODE_DEFAULT", "EDIT_MODE_INPAINT_INSERTION", "EDIT_MODE_INPAINT_REMOVAL",
              "EDIT_MODE_OUTPAINT", "EDIT_MODE_BGSWAP", "EDIT_MODE_CONTROLLED_EDITING", "EDIT_MODE_STYLE",
              "EDIT_MODE_PRODUCT_IMAGE")
MASKED_MODES = ("EDIT_MODE_INPAINT_INSERTION", "EDIT_MODE_INPAINT_REMOVAL", "EDIT_MODE_OUTPAINT",
                "EDIT_MODE_BGSWAP")
REFERENCE_TYPES = ("REFERENCE_TYPE_RAW", "REFERENCE_TYPE_MASK", "REFERENCE_TYPE_CONTROL",
                   "REFERENCE_TYPE_STYLE", "REFERENCE_TYPE_SUBJECT")
MASK_MODES = ("MASK_MODE_DEFAULT", "MASK_MODE_USER_PROVIDED", "MASK_MODE_BACKGROUND", "MASK_MODE_FOREGROUND",
              "MASK_MODE_SEMANTIC")
SUBJECT_TYPES = ("SUBJECT_TYPE_DEFAULT", "SUBJECT_TYPE_PERSON", "SUBJECT_TYPE_ANIMAL", "SUBJECT_TYPE_PRODUCT")
CONTROL_TYPES = ("CONTROL_TYPE_FACE_MESH", "CONTROL_TYPE_CANNY", "CONTROL_TYPE_SCRIBBLE")
CONFIG_FOR = {"REFERENCE_TYPE_MASK": "maskImageConfig", "REFERENCE_TYPE_SUBJECT": "subjectImageConfig",
              "REFERENCE_TYPE_STYLE": "styleImageConfig", "REFERENCE_TYPE_CONTROL": "controlImageConfig"}
IMAGE_PARAMS = {"sampleCount", "seed", "negativePrompt", "addWatermark", "storageUri", "outputOptions",
                "safetySetting", "personGeneration", "includeRaiReason", "includeSafetyAttributes",
                "language", "guidanceScale"}
PROMPT_TOKENS = 480


class Invalid(Exception):
    """A request the service would refuse; `field` is the JSON path of the culprit."""

    def __init__(self, field_path: str, message: str, code: int = 400, status: str = "INVALID_ARGUMENT"):
        super().__init__(f"Invalid value at '{field_path}': {message}")
        self.field = field_path
        self.code = code
        self.status = status


@dataclass
class Checked:
    """A validated request with its images decoded (H x W x 3 uint8 RGB / H x W uint8 masks)."""

    family: str
    prompt: str
    params: dict
    image: np.ndarray | None = None  # RAW reference or `image`
    mask: np.ndarray | None = None
    mask_config: dict = field(default_factory=dict)
    references: list[dict] = field(default_factory=list)  # customization refs with decoded "pixels"
    image_bytes: int = 0


# --- small typed readers ------------------------------------------------------------------------

def _keys(obj: Any, allowed: set[str], path: str) -> dict:
    if not isinstance(obj, dict):
        raise Invalid(path, f"expected an object, got {type(obj).__name__}")
    for key in obj:
        if key not in allowed:
            where = path or "request"
            raise Invalid(f"{path}.{key}" if path else key, f'Cannot find field "{key}" in {where}')
    return obj


def _int(value: Any, path: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or float(value) != int(value):
        raise Invalid(path, f"{value!r} is not an integer")
    if not low <= int(value) <= high:
        raise Invalid(path, f"{int(value)} is out of range [{low}, {high}]")
    return int(value)


def _num(value: Any, path: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(path, f"{value!r} is not a number")
    if not low <= value <= high:
        raise Invalid(path, f"{value} is out of range [{low}, {high}]")
    return float(value)


def _bool(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise Invalid(path, f"{value!r} is not a boolean")
    return value


def _str(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise Invalid(path, f"{value!r} is not a string")
    return value


def _enum(value: Any, path: str, allowed: tuple[str, ...], any_case: bool = False) -> str:
    text = _str(value, path)
    found = text.lower() in [a.lower() for a in allowed] if any_case else text in allowed
    if not found:
        raise Invalid(path, f'"{text}" is not one of {", ".join(allowed)}')
    return text


def decode(obj: Any, path: str, grayscale: bool = False) -> tuple[np.ndarray, int]:
    """An API Image object -> pixels, checking encoding, type and the 10 MB limit."""
    _keys(obj, {"bytesBase64Encoded", "gcsUri", "mimeType"}, path)
    if "mimeType" in obj:
        _enum(obj["mimeType"], f"{path}.mimeType", ("image/png", "image/jpeg"))
    if "gcsUri" in obj:
        raise Invalid(f"{path}.gcsUri", "the emulator cannot read Cloud Storage; send bytesBase64Encoded")
    if "bytesBase64Encoded" not in obj:
        raise Invalid(f"{path}.bytesBase64Encoded", "an image needs bytesBase64Encoded or gcsUri")
    try:
        raw = base64.b64decode(_str(obj["bytesBase64Encoded"], f"{path}.bytesBase64Encoded"), validate=True)
    except binascii.Error as exc:
        raise Invalid(f"{path}.bytesBase64Encoded", f"not valid base64 ({exc})") from exc
    if len(raw) > MAX_IMAGE_BYTES:
        raise Invalid(f"{path}.bytesBase64Encoded",
                      f"image is {len(raw)} bytes; the limit is {MAX_IMAGE_BYTES} bytes (10 MB)")
    try:
        with Image.open(io.BytesIO(raw)) as picture:
            if picture.format not in ("PNG", "JPEG"):
                raise Invalid(f"{path}.bytesBase64Encoded", f"{picture.format} images are not supported; "
                              "send PNG or JPEG")
            pixels = np.asarray(picture.convert("L" if grayscale else "RGB")).copy()
    except (OSError, ValueError) as exc:
        raise Invalid(f"{path}.bytesBase64Encoded", f"cannot decode the image ({exc})") from exc
    return pixels, len(raw)


def _prompt_tokens(text: str, path: str, limit: int = PROMPT_TOKENS) -> str:
    if len(text.split()) > limit:
        raise Invalid(path, f"the prompt is longer than {limit} tokens")
    return text


# --- the body ------------------------------------------------------------------------------------

def check(info: ModelInfo, body: Any) -> Checked:
    """Validate a whole body for one model; raises Invalid."""
    _keys(body, {"instances", "parameters", "labels"}, "")
    instances = body.get("instances")
    if not isinstance(instances, list) or len(instances) != 1:
        raise Invalid("instances", "exactly one instance is supported")
    params = body.get("parameters", {})
    _keys(params, set(params) if isinstance(params, dict) else set(), "parameters")
    checker = {GENERATE: _generate, CAPABILITY: _capability, UPSCALE: _upscale, IMAGETEXT: _imagetext,
               VERIFY: _verify}[info.family]
    return checker(info, instances[0], params)


def _image_params(info: ModelInfo, params: dict, extra: set[str]) -> None:
    """The parameters every image-producing call shares, and the seed/watermark rule."""
    _keys(params, IMAGE_PARAMS | extra, "parameters")
    p = params
    if "sampleCount" in p:
        _int(p["sampleCount"], "parameters.sampleCount", 1, info.max_samples)
    if "seed" in p:
        _int(p["seed"], "parameters.seed", 0, 2**32 - 1)
    if "negativePrompt" in p:
        _str(p["negativePrompt"], "parameters.negativePrompt")
        if not info.negative_prompt:
            raise Invalid("parameters.negativePrompt", f"negativePrompt is not supported by {info.id}")
    watermark = _bool(p["addWatermark"], "parameters.addWatermark") if "addWatermark" in p \
        else info.watermark_default
    if "seed" in p and watermark:
        raise Invalid("parameters.seed", "seed is not supported when addWatermark is true; "
                      "set addWatermark to false to use a seed")
    if "storageUri" in p and not _str(p["storageUri"], "parameters.storageUri").startswith("gs://"):
        raise Invalid("parameters.storageUri", "must be a gs:// URI")
    if "outputOptions" in p:
        options = _keys(p["outputOptions"], {"mimeType", "compressionQuality"}, "parameters.outputOptions")
        if "mimeType" in options:
            _enum(options["mimeType"], "parameters.outputOptions.mimeType", ("image/png", "image/jpeg"))
        if "compressionQuality" in options:
            _int(options["compressionQuality"], "parameters.outputOptions.compressionQuality", 0, 100)
    if "safetySetting" in p:
        _enum(p["safetySetting"], "parameters.safetySetting", SAFETY, any_case=True)
    if "personGeneration" in p:
        _enum(p["personGeneration"], "parameters.personGeneration", PERSON, any_case=True)
        if not info.person_generation:
            raise Invalid("parameters.personGeneration", f"personGeneration is not supported by {info.id}")
    for flag in ("includeRaiReason", "includeSafetyAttributes"):
        if flag in p:
            _bool(p[flag], f"parameters.{flag}")
    if "language" in p:
        _enum(p["language"], "parameters.language", LANGUAGES, any_case=True)
    if "guidanceScale" in p:
        _num(p["guidanceScale"], "parameters.guidanceScale", 0, 500)


def _generate(info: ModelInfo, instance: Any, params: dict) -> Checked:
    _keys(instance, {"prompt"}, "instances[0]")
    prompt = _str(instance.get("prompt"), "instances[0].prompt") if "prompt" in instance else ""
    if not prompt.strip():
        raise Invalid("instances[0].prompt", "a prompt is required")
    _prompt_tokens(prompt, "instances[0].prompt", PROMPT_TOKENS if not info.legacy else 128)
    extra = {"aspectRatio", "sampleImageSize", "enhancePrompt"}
    if info.legacy:
        extra.add("sampleImageStyle")
    _image_params(info, params, extra)
    if "aspectRatio" in params:
        _enum(params["aspectRatio"], "parameters.aspectRatio", info.aspect_ratios)
    if "sampleImageSize" in params:
        if not info.image_sizes:
            raise Invalid("parameters.sampleImageSize", f"sampleImageSize is not supported by {info.id}")
        _enum(params["sampleImageSize"], "parameters.sampleImageSize", info.image_sizes, any_case=True)
    if "enhancePrompt" in params:
        _bool(params["enhancePrompt"], "parameters.enhancePrompt")
        if not info.enhance_prompt:
            raise Invalid("parameters.enhancePrompt", f"enhancePrompt is not supported by {info.id}")
    return Checked(GENERATE, prompt, params)


def _capability(info: ModelInfo, instance: Any, params: dict) -> Checked:
    _keys(instance, {"prompt", "referenceImages"}, "instances[0]")
    prompt = _str(instance.get("prompt", ""), "instances[0].prompt")
    _prompt_tokens(prompt, "instances[0].prompt")
    refs = instance.get("referenceImages")
    if not isinstance(refs, list) or not refs:
        raise Invalid("instances[0].referenceImages", "at least one reference image is required")
    if len(refs) > MAX_REFERENCE_IMAGES:
        raise Invalid("instances[0].referenceImages", f"{len(refs)} reference images; at most "
                      f"{MAX_REFERENCE_IMAGES} are allowed")
    checked = Checked(CAPABILITY, prompt, params)
    ids: dict[int, str] = {}
    for index, ref in enumerate(refs):
        _reference(ref, f"instances[0].referenceImages[{index}]", checked, ids)
    types = [ref["referenceType"] for ref in refs]
    _image_params(info, params, {"editMode", "editConfig", "aspectRatio"})
    mode = _enum(params["editMode"], "parameters.editMode", EDIT_MODES) if "editMode" in params else ""
    if "editConfig" in params:
        config = _keys(params["editConfig"], {"baseSteps", "outpaintingConfig"}, "parameters.editConfig")
        if "baseSteps" in config:
            _int(config["baseSteps"], "parameters.editConfig.baseSteps", 1, 75)
        if "outpaintingConfig" in config:
            blend = _keys(config["outpaintingConfig"], {"blendingMode", "blendingFactor"},
                          "parameters.editConfig.outpaintingConfig")
            if "blendingFactor" in blend:
                _num(blend["blendingFactor"], "parameters.editConfig.outpaintingConfig.blendingFactor", 0, 1)
    if types.count("REFERENCE_TYPE_RAW") > 1:
        raise Invalid("instances[0].referenceImages", "at most one REFERENCE_TYPE_RAW image is allowed")
    if "REFERENCE_TYPE_MASK" in types:
        if types.count("REFERENCE_TYPE_MASK") > 1 or "REFERENCE_TYPE_RAW" not in types:
            raise Invalid("instances[0].referenceImages",
                          "mask editing needs exactly one REFERENCE_TYPE_RAW and one "
                          "REFERENCE_TYPE_MASK image")
        if "aspectRatio" in params:
            raise Invalid("parameters.aspectRatio", "aspectRatio is not supported for mask editing")
    if mode in MASKED_MODES and "REFERENCE_TYPE_MASK" not in types:
        raise Invalid("parameters.editMode", f"{mode} needs a REFERENCE_TYPE_MASK reference image")
    if mode == "EDIT_MODE_CONTROLLED_EDITING" and "REFERENCE_TYPE_CONTROL" not in types:
        raise Invalid("parameters.editMode",
                      "EDIT_MODE_CONTROLLED_EDITING needs a REFERENCE_TYPE_CONTROL image")
    if "aspectRatio" in params:
        _enum(params["aspectRatio"], "parameters.aspectRatio", info.aspect_ratios)
    raw, mask = checked.image, checked.mask
    if mask is not None and raw is not None and mask.shape != raw.shape[:2]:
        h, w = checked.image.shape[:2]
        mh, mw = checked.mask.shape
        raise Invalid("instances[0].referenceImages.referenceImage",
                      f"the mask is {mw}x{mh} but the raw image is {w}x{h}; they must be the same size")
    for ref in checked.references:
        if ref["type"] == "REFERENCE_TYPE_CONTROL" and checked.image is not None \
                and ref["pixels"].shape[:2] != checked.image.shape[:2]:
            raise Invalid(ref["path"], "the control image must have the raw image's size")
    if sum(1 for r in checked.references if r.get("controlType") == "CONTROL_TYPE_FACE_MESH") > 1:
        raise Invalid("instances[0].referenceImages", "only one face-mesh control image is supported")
    return checked


def _reference(ref: Any, path: str, checked: Checked, ids: dict[int, str]) -> None:
    kind = _enum(_keys(ref, {"referenceType", "referenceId", "referenceImage", "maskImageConfig",
                             "subjectImageConfig", "styleImageConfig", "controlImageConfig"}, path)
                 .get("referenceType"), f"{path}.referenceType", REFERENCE_TYPES)
    if "referenceId" in ref:
        ref_id = _int(ref["referenceId"], f"{path}.referenceId", 0, 2**31 - 1)
        if ids.get(ref_id, kind) != kind:
            raise Invalid(f"{path}.referenceId", f"referenceId {ref_id} is used by two kinds of reference")
        ids[ref_id] = kind
    for config_key in CONFIG_FOR.values():
        if config_key in ref and CONFIG_FOR.get(kind) != config_key:
            raise Invalid(f"{path}.{config_key}", f"{config_key} does not belong to {kind}")
    config = ref.get(CONFIG_FOR.get(kind, ""), {})
    if kind == "REFERENCE_TYPE_MASK":
        mask_config = _mask_config(config, f"{path}.maskImageConfig")
        checked.mask_config = mask_config
        if "referenceImage" in ref:
            if mask_config.get("maskMode", "MASK_MODE_USER_PROVIDED") not in ("MASK_MODE_USER_PROVIDED",
                                                                             "MASK_MODE_DEFAULT"):
                raise Invalid(f"{path}.referenceImage",
                              "a mask image is only used with MASK_MODE_USER_PROVIDED")
            checked.mask, size = decode(ref["referenceImage"], f"{path}.referenceImage", grayscale=True)
            checked.image_bytes += size
        elif mask_config.get("maskMode", "MASK_MODE_USER_PROVIDED") == "MASK_MODE_USER_PROVIDED":
            raise Invalid(f"{path}.referenceImage", "MASK_MODE_USER_PROVIDED needs a mask image")
        return
    if "referenceImage" not in ref:
        raise Invalid(f"{path}.referenceImage", f"{kind} needs a referenceImage")
    pixels, size = decode(ref["referenceImage"], f"{path}.referenceImage")
    checked.image_bytes += size
    if kind == "REFERENCE_TYPE_RAW":
        checked.image = pixels
        return
    entry = {"type": kind, "pixels": pixels, "path": f"{path}.referenceImage"}
    cpath = f"{path}.{CONFIG_FOR[kind]}"
    if kind == "REFERENCE_TYPE_SUBJECT":
        # camelCase as documented; google-genai sends snake_case inside this object, so accept both
        _keys(config, {"subjectType", "subjectDescription", "subject_type", "subject_description"}, cpath)
        if "subjectType" in config or "subject_type" in config:
            entry["subjectType"] = _enum(config.get("subjectType", config.get("subject_type")),
                                         f"{cpath}.subjectType", SUBJECT_TYPES)
        description = config.get("subjectDescription", config.get("subject_description", ""))
        entry["description"] = _str(description, f"{cpath}.subjectDescription")
    elif kind == "REFERENCE_TYPE_STYLE":
        _keys(config, {"styleDescription", "style_description"}, cpath)
        entry["description"] = _str(config.get("styleDescription", config.get("style_description", "")),
                                    f"{cpath}.styleDescription")
    elif kind == "REFERENCE_TYPE_CONTROL":
        _keys(config, {"controlType", "enableControlImageComputation", "computeControl"}, cpath)
        entry["controlType"] = _enum(config.get("controlType"), f"{cpath}.controlType", CONTROL_TYPES)
        for flag in ("enableControlImageComputation", "computeControl"):
            if flag in config:
                entry["compute"] = _bool(config[flag], f"{cpath}.{flag}")
    checked.references.append(entry)


def _mask_config(config: Any, path: str) -> dict:
    _keys(config, {"maskMode", "dilation", "maskClasses"}, path)
    mode = _enum(config.get("maskMode", "MASK_MODE_USER_PROVIDED"), f"{path}.maskMode", MASK_MODES)
    if "dilation" in config:
        _num(config["dilation"], f"{path}.dilation", 0.0, 1.0)
    if "maskClasses" in config:
        classes = config["maskClasses"]
        if mode != "MASK_MODE_SEMANTIC":
            raise Invalid(f"{path}.maskClasses", "maskClasses is only used with MASK_MODE_SEMANTIC")
        if not isinstance(classes, list) or not 1 <= len(classes) <= MAX_MASK_CLASSES:
            raise Invalid(f"{path}.maskClasses", f"give 1 to {MAX_MASK_CLASSES} class IDs")
        for index, value in enumerate(classes):
            _int(value, f"{path}.maskClasses[{index}]", 0, len(CLASS_NAMES) - 1)
    elif mode == "MASK_MODE_SEMANTIC":
        raise Invalid(f"{path}.maskClasses", "MASK_MODE_SEMANTIC needs maskClasses")
    return {**config, "maskMode": mode}


def _upscale(info: ModelInfo, instance: Any, params: dict) -> Checked:
    _keys(instance, {"prompt", "image"}, "instances[0]")
    if "image" not in instance:
        raise Invalid("instances[0].image", "an image to upscale is required")
    image, size = decode(instance["image"], "instances[0].image")
    _keys(params, {"mode", "sampleCount", "upscaleConfig", "outputOptions", "storageUri", "addWatermark",
                   "safetySetting", "personGeneration", "includeRaiReason", "sampleImageSize"}, "parameters")
    if "mode" in params:
        _enum(params["mode"], "parameters.mode", ("upscale",))
    if "sampleCount" in params:
        _int(params["sampleCount"], "parameters.sampleCount", 1, 1)
    config = _keys(params.get("upscaleConfig", {}), {"upscaleFactor", "enhanceInputImage",
                                                     "imagePreservationFactor"}, "parameters.upscaleConfig")
    if "upscaleFactor" not in config:
        raise Invalid("parameters.upscaleConfig.upscaleFactor", "upscaleFactor is required")
    factor = _enum(config["upscaleFactor"], "parameters.upscaleConfig.upscaleFactor", info.upscale_factors)
    if "enhanceInputImage" in config:
        _bool(config["enhanceInputImage"], "parameters.upscaleConfig.enhanceInputImage")
    if "imagePreservationFactor" in config:
        _num(config["imagePreservationFactor"], "parameters.upscaleConfig.imagePreservationFactor", 0, 1)
    rest = {k: v for k, v in params.items() if k in IMAGE_PARAMS}
    _image_params(info, rest, set())
    h, w = image.shape[:2]
    scale = int(factor[1:])
    if w * h * scale * scale > MAX_UPSCALE_OUTPUT_PIXELS:
        raise Invalid("parameters.upscaleConfig.upscaleFactor",
                      f"the output would be {w * scale}x{h * scale}; the limit is 17 megapixels")
    return Checked(UPSCALE, _str(instance.get("prompt", ""), "instances[0].prompt"), params, image=image,
                   image_bytes=size)


def _imagetext(info: ModelInfo, instance: Any, params: dict) -> Checked:
    _keys(instance, {"prompt", "image"}, "instances[0]")
    if "image" not in instance:
        raise Invalid("instances[0].image", "an image is required")
    image, size = decode(instance["image"], "instances[0].image")
    question = _str(instance.get("prompt", ""), "instances[0].prompt")
    _prompt_tokens(question, "instances[0].prompt", 80)
    _keys(params, {"sampleCount", "language", "seed", "storageUri"}, "parameters")
    if "sampleCount" in params:
        _int(params["sampleCount"], "parameters.sampleCount", 1, 3)
    if "language" in params:
        if question:
            raise Invalid("parameters.language", "visual question answering is English only")
        _enum(params["language"], "parameters.language", CAPTION_LANGUAGES)
    if "seed" in params:
        _int(params["seed"], "parameters.seed", 0, 2**32 - 1)
    return Checked(IMAGETEXT, question, params, image=image, image_bytes=size)


def _verify(info: ModelInfo, instance: Any, params: dict) -> Checked:
    _keys(instance, {"image"}, "instances[0]")
    if "image" not in instance:
        raise Invalid("instances[0].image", "an image is required")
    _keys(params, set(), "parameters")
    image, size = decode(instance["image"], "instances[0].image")
    return Checked(VERIFY, "", params, image=image, image_bytes=size)
