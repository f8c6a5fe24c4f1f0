"""Strict checks of a `:generateContent` body for the emulator, as Vertex AI documents the request.

Unknown fields, wrong enums (names or the numbers the REST client sends), parts with two kinds of
data, undecodable or oversized inline pictures, an aspect ratio the model does not offer, more
candidates than it returns, image output asked of a text model: each raises Invalid (HTTP 400
naming the field), the same error type as the :predict checks.
"""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from plugin.backends.emulator_validation import Invalid, _bool, _int, _keys, _num, _str
from plugin.backends.gemini_models import (
    HARM_CATEGORIES,
    IMAGE,
    MAX_INLINE_BYTES,
    MAX_PROMPT_CHARS,
    MODALITIES,
    THRESHOLDS,
    GeminiModel,
)

TOP_LEVEL = {"contents", "systemInstruction", "safetySettings", "generationConfig", "labels", "tools",
             "toolConfig", "cachedContent", "modelArmorConfig"}
CONFIG_FIELDS = {"temperature", "topP", "topK", "candidateCount", "maxOutputTokens", "stopSequences",
                 "responseLogprobs", "logprobs", "presencePenalty", "frequencyPenalty", "seed",
                 "responseMimeType", "responseModalities", "mediaResolution", "thinkingConfig", "imageConfig"}
IMAGE_CONFIG_FIELDS = {"aspectRatio", "imageSize", "personGeneration", "imageOutputOptions"}
PART_DATA = ("text", "inlineData", "fileData", "functionCall", "functionResponse", "executableCode",
             "codeExecutionResult")
INPUT_TYPES = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
SAFETY_TARGETS = ("HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_DANGEROUS_CONTENT", "HARM_CATEGORY_HARASSMENT",
                  "HARM_CATEGORY_SEXUALLY_EXPLICIT", "HARM_CATEGORY_CIVIC_INTEGRITY",
                  "HARM_CATEGORY_IMAGE_HATE", "HARM_CATEGORY_IMAGE_DANGEROUS_CONTENT",
                  "HARM_CATEGORY_IMAGE_HARASSMENT", "HARM_CATEGORY_IMAGE_SEXUALLY_EXPLICIT",
                  "HARM_CATEGORY_JAILBREAK")


@dataclass
class GeminiChecked:
    """A validated request: the user turn's text and pictures (decoded), and the settings that matter."""

    texts: list[str] = field(default_factory=list)
    images: list[np.ndarray] = field(default_factory=list)  # RGB H x W x 3 uint8, in part order
    modalities: tuple[str, ...] = ("TEXT",)
    candidates: int = 1
    seed: int | None = None
    aspect_ratio: str = ""
    safety: dict[str, str] = field(default_factory=dict)  # category -> threshold


def enum_value(value: Any, path: str, table: dict[str, int], allowed: tuple[str, ...] = ()) -> str:
    """A name or (as the REST client sends) a number -> the name; Invalid if unknown or not allowed."""
    if isinstance(value, bool):
        raise Invalid(path, f"{value!r} is not an enum value")
    if isinstance(value, (int, float)):
        name = next((n for n, v in table.items() if v == value), "")
    else:
        name = _str(value, path)
        name = name if name in table else ""
    if not name or (allowed and name not in allowed) or name.endswith("UNSPECIFIED"):
        choices = ", ".join(allowed or [n for n in table if not n.endswith("UNSPECIFIED")])
        raise Invalid(path, f'"{value}" is not one of {choices}')
    return name


def check(model: GeminiModel, body: Any) -> GeminiChecked:
    """Validate a whole body for one model; raises Invalid."""
    _keys(body, TOP_LEVEL, "")
    for unsupported in ("tools", "toolConfig", "cachedContent"):
        if unsupported in body and model.kind == IMAGE:
            raise Invalid(unsupported, f"{model.id} does not support {unsupported}")
    checked = GeminiChecked()
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        raise Invalid("contents", "contents is required and must not be empty")
    for i, content in enumerate(contents):
        _content(content, f"contents[{i}]", checked)
    if contents[-1].get("role", "user") != "user":
        raise Invalid(f"contents[{len(contents) - 1}].role", "the last turn must come from the user")
    if "systemInstruction" in body:
        _content(body["systemInstruction"], "systemInstruction", GeminiChecked())
    if len(checked.images) > model.max_images:
        raise Invalid("contents", f"{len(checked.images)} input images; {model.id} takes at most "
                                  f"{model.max_images}")
    if sum(len(t) for t in checked.texts) > MAX_PROMPT_CHARS:
        raise Invalid("contents", f"the prompt is longer than {MAX_PROMPT_CHARS} characters")
    if not checked.texts and not checked.images:
        raise Invalid("contents", "the request has no text and no image")
    _config(model, body.get("generationConfig", {}), checked)
    _safety(body.get("safetySettings", []), checked)
    labels = body.get("labels", {})
    if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
        raise Invalid("labels", "labels must map names to strings")
    return checked


def _content(content: Any, path: str, checked: GeminiChecked) -> None:
    _keys(content, {"role", "parts"}, path)
    if "role" in content and content["role"] not in ("user", "model"):
        raise Invalid(f"{path}.role", f'"{content["role"]}" is not a role; use "user" or "model"')
    parts = content.get("parts")
    if not isinstance(parts, list) or not parts:
        raise Invalid(f"{path}.parts", "a content needs at least one part")
    for j, part in enumerate(parts):
        _part(part, f"{path}.parts[{j}]", checked, content.get("role", "user") == "user")


def _part(part: Any, path: str, checked: GeminiChecked, from_user: bool) -> None:
    _keys(part, set(PART_DATA) | {"thought", "thoughtSignature", "videoMetadata", "mediaResolution"}, path)
    kinds = [k for k in PART_DATA if k in part]
    if len(kinds) != 1:
        raise Invalid(path, "a part must hold exactly one of text, inlineData, fileData, ... "
                            f"(found {', '.join(kinds) or 'none'})")
    if "thought" in part:
        _bool(part["thought"], f"{path}.thought")
    kind = kinds[0]
    if kind == "text":
        text = _str(part["text"], f"{path}.text")
        if from_user:
            checked.texts.append(text)
    elif kind == "inlineData":
        pixels = _inline(part["inlineData"], f"{path}.inlineData")
        if from_user:
            checked.images.append(pixels)
    elif kind == "fileData":
        raise Invalid(f"{path}.fileData", "the emulator cannot read Cloud Storage; send inlineData")
    else:
        raise Invalid(f"{path}.{kind}", "function calling is not used by image requests")


def _inline(blob: Any, path: str) -> np.ndarray:
    _keys(blob, {"mimeType", "data", "displayName"}, path)
    if "mimeType" not in blob:
        raise Invalid(f"{path}.mimeType", "mimeType is required for inline data")
    mime = _str(blob["mimeType"], f"{path}.mimeType")
    if mime not in INPUT_TYPES:
        raise Invalid(f"{path}.mimeType", f'"{mime}" is not a supported image type; use '
                                          f"{', '.join(INPUT_TYPES)}")
    try:
        raw = base64.b64decode(_str(blob.get("data", ""), f"{path}.data"), validate=True)
    except binascii.Error as exc:
        raise Invalid(f"{path}.data", f"not valid base64 ({exc})") from exc
    if not raw:
        raise Invalid(f"{path}.data", "inline data is empty")
    if len(raw) > MAX_INLINE_BYTES:
        raise Invalid(f"{path}.data", f"inline data is {len(raw)} bytes; the limit is {MAX_INLINE_BYTES}")
    try:
        with Image.open(io.BytesIO(raw)) as picture:
            if picture.format != INPUT_TYPES[mime]:
                raise Invalid(f"{path}.mimeType", f"says {mime} but the data is {picture.format}")
            return np.asarray(picture.convert("RGB")).copy()
    except (OSError, ValueError) as exc:
        raise Invalid(f"{path}.data", f"cannot decode the image ({exc})") from exc


def _config(model: GeminiModel, config: Any, checked: GeminiChecked) -> None:
    path = "generationConfig"
    _keys(config, CONFIG_FIELDS, path)
    if "temperature" in config:
        _num(config["temperature"], f"{path}.temperature", 0.0, 2.0)
    if "topP" in config:
        _num(config["topP"], f"{path}.topP", 0.0, 1.0)
    if "seed" in config:
        checked.seed = _int(config["seed"], f"{path}.seed", -(2**31), 2**31 - 1)
    if "candidateCount" in config:
        count = _int(config["candidateCount"], f"{path}.candidateCount", 1, 8)
        if count > model.max_candidates:
            raise Invalid(f"{path}.candidateCount", f"Multiple candidates is not enabled for {model.id}")
        checked.candidates = count
    modalities = config.get("responseModalities", ["TEXT"])
    if not isinstance(modalities, list) or not modalities:
        raise Invalid(f"{path}.responseModalities", "give a non-empty list, e.g. [TEXT, IMAGE]")
    names = tuple(enum_value(m, f"{path}.responseModalities[{i}]", MODALITIES, ("TEXT", "IMAGE"))
                  for i, m in enumerate(modalities))
    if "IMAGE" in names and model.kind != IMAGE:
        raise Invalid(f"{path}.responseModalities", f"Multi-modal output is not supported by {model.id}")
    checked.modalities = names
    if "imageConfig" in config:
        if model.kind != IMAGE:
            raise Invalid(f"{path}.imageConfig", f"{model.id} does not generate images")
        image_config = _keys(config["imageConfig"], IMAGE_CONFIG_FIELDS, f"{path}.imageConfig")
        if "aspectRatio" in image_config:
            ratio = _str(image_config["aspectRatio"], f"{path}.imageConfig.aspectRatio")
            if ratio not in model.aspect_ratios:
                raise Invalid(f"{path}.imageConfig.aspectRatio",
                              f'"{ratio}" is not one of {", ".join(model.aspect_ratios)}')
            checked.aspect_ratio = ratio
        if "imageSize" in image_config and image_config["imageSize"] not in model.image_sizes:
            raise Invalid(f"{path}.imageConfig.imageSize", f"{model.id} does not take imageSize "
                                                           f"{image_config['imageSize']!r}")


def _safety(settings: Any, checked: GeminiChecked) -> None:
    if not isinstance(settings, list):
        raise Invalid("safetySettings", "expected a list")
    for i, setting in enumerate(settings):
        path = f"safetySettings[{i}]"
        _keys(setting, {"category", "threshold", "method"}, path)
        category = enum_value(setting.get("category"), f"{path}.category", HARM_CATEGORIES, SAFETY_TARGETS)
        threshold = enum_value(setting.get("threshold"), f"{path}.threshold", THRESHOLDS)
        if category in checked.safety:
            raise Invalid(f"{path}.category", f"{category} is set twice")
        checked.safety[category] = threshold
