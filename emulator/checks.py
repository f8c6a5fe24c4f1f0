"""Strict checks of a `:generateContent` / `:countTokens` body for one served model.

The request surface is the one google-genai 2.34 sends on Vertex (ref §3, §10.1, captured on
loopback): camelCase JSON with a few snake_case keys (inlineData.mime_type, thinkingConfig.*), enums
as names, bytes as URL-safe base64. Everything else is refused with the 400 Google gives, naming the
field, so a client that sends a field the service would refuse fails here first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from emulator import generation
from emulator.catalogue import IMAGE, Served
from emulator.conversation import corrupted, signed_by
from emulator.errors import ApiError, invalid, snake
from emulator.fields import boolean, both, enum, obj, pick, string
from emulator.pictures import as_mask, b64decode, decode_inline

TOP_LEVEL = {
    "contents",
    "systemInstruction",
    "safetySettings",
    "generationConfig",
    "labels",
    "tools",
    "toolConfig",
    "cachedContent",
    "modelArmorConfig",
    "serviceTier",
}
COUNT_TOP_LEVEL = {"contents", "systemInstruction", "tools", "generationConfig", "instances", "model"}
PART_DATA = (
    "text",
    "inlineData",
    "fileData",
    "functionCall",
    "functionResponse",
    "executableCode",
    "codeExecutionResult",
)
PART_KEYS = set(PART_DATA) | {"thought", "thoughtSignature", "videoMetadata", "mediaResolution"}
CATEGORIES = (
    "HARM_CATEGORY_HATE_SPEECH",
    "HARM_CATEGORY_DANGEROUS_CONTENT",
    "HARM_CATEGORY_HARASSMENT",
    "HARM_CATEGORY_SEXUALLY_EXPLICIT",
    "HARM_CATEGORY_IMAGE_HATE",
    "HARM_CATEGORY_IMAGE_DANGEROUS_CONTENT",
    "HARM_CATEGORY_IMAGE_HARASSMENT",
    "HARM_CATEGORY_IMAGE_SEXUALLY_EXPLICIT",
)
THRESHOLDS = ("BLOCK_LOW_AND_ABOVE", "BLOCK_MEDIUM_AND_ABOVE", "BLOCK_ONLY_HIGH", "BLOCK_NONE", "OFF")
METHODS = ("SEVERITY", "PROBABILITY")
TOOL_KINDS = (
    "googleSearch",
    "googleSearchRetrieval",
    "codeExecution",
    "functionDeclarations",
    "retrieval",
    "urlContext",
    "enterpriseWebSearch",
    "googleMaps",
    "computerUse",
)
SIGNATURE_HELP = "https://ai.google.dev/gemini-api/docs/thought-signatures"


@dataclass
class Checked:
    """A validated request: what the answer is built from."""

    model: Served
    texts: list[str] = field(default_factory=list)  # the last user turn's texts
    images: list[np.ndarray] = field(default_factory=list)  # its pictures (RGB), else the latest earlier one
    turn: int = 1  # which user turn this request is (1 + the earlier user turns it carries)
    conversation_mask: np.ndarray | None = None  # a follow-up: the mask the conversation's first edit sent
    image_count: int = 0  # non-thought pictures in the whole request
    text_tokens: int = 0
    config: generation.Config = field(default_factory=generation.Config)
    safety: dict[str, str] = field(default_factory=dict)

    @property
    def prompt(self) -> str:
        return " ".join(t.strip() for t in self.texts if t.strip())

    @property
    def image_tokens(self) -> int:
        return self.image_count * self.model.input_image_tokens

    @property
    def prompt_tokens(self) -> int:
        return self.text_tokens + self.image_tokens


def tokens(text: str) -> int:
    """About four characters a token, as Google's rule of thumb says."""
    return math.ceil(len(text) / 4) if text else 0


def check_generate(model: Served, body: Any) -> Checked:
    """Validate a whole :generateContent body; raises ApiError (400)."""
    obj(body, "", TOP_LEVEL, "GenerateContentRequest")
    checked = Checked(model)
    _contents(body, checked)
    if checked.image_count > model.max_images:
        raise invalid(
            "contents",
            f"The request has {checked.image_count} images; {model.id} takes at most "
            f"{model.max_images} images per prompt.",
        )
    if "systemInstruction" in body:
        checked.text_tokens += _system(body["systemInstruction"])
    if checked.prompt_tokens > model.max_input_tokens:
        raise invalid(
            "contents",
            "",
            message=f"The input token count ({checked.prompt_tokens}) exceeds the "
            f"maximum number of tokens allowed ({model.max_input_tokens}).",
        )
    if "generationConfig" in body:
        checked.config = generation.check(model, body["generationConfig"])
    elif model.kind == IMAGE:
        checked.config = generation.Config(modalities=("TEXT", "IMAGE"))
    if "safetySettings" in body:
        checked.safety = _safety(body["safetySettings"])
    _extras(model, body)
    return checked


def check_count(model: Served, body: Any) -> Checked:
    """Validate a :countTokens body (contents, optional systemInstruction/tools/generationConfig)."""
    obj(body, "", COUNT_TOP_LEVEL, "CountTokensRequest")
    if "instances" in body or "model" in body:
        raise invalid(
            "instances" if "instances" in body else "model",
            "countTokens of a publisher model takes contents, not instances or model",
        )
    checked = Checked(model)
    _contents(body, checked, strict_history=False)
    if "systemInstruction" in body:
        checked.text_tokens += _system(body["systemInstruction"])
    if "generationConfig" in body:
        checked.config = generation.check(model, body["generationConfig"])
    if "tools" in body:
        _tools(model, body["tools"])
    return checked


def _contents(body: dict, checked: Checked, strict_history: bool = True) -> None:
    contents = body.get("contents")
    if contents is None or contents == []:
        raise invalid("contents", "contents is not specified")
    if not isinstance(contents, list):
        raise invalid("contents", "contents must be a list of Content objects")
    earlier: list[np.ndarray] = []
    checked.turn = sum(1 for c in contents if isinstance(c, dict) and c.get("role", "user") == "user")
    for i, content in enumerate(contents):
        path = f"contents[{i}]"
        obj(content, path, {"role", "parts"}, "Content")
        role = content.get("role", "user")
        if role not in ("user", "model"):
            raise invalid(f"{path}.role", "Please use a valid role: user, model.")
        parts = content.get("parts")
        if not isinstance(parts, list) or not parts:
            raise invalid(f"{path}.parts", "contents.parts must not be empty.")
        last = i == len(contents) - 1
        sent: list[np.ndarray] = []
        for j, part in enumerate(parts):
            picture = _part(part, f"{path}.parts[{j}]", checked, role, strict_history)
            if picture is None:
                continue
            sent.append(picture)
            if last and role == "user":
                checked.images.append(picture)
            else:
                earlier.append(picture)
        if role == "user" and not last and len(sent) > 1 and checked.conversation_mask is None:
            checked.conversation_mask = as_mask(sent[1], sent[0])
        if last and role != "user" and strict_history:
            raise invalid(
                f"{path}.role",
                f'The last content must come from the user (role "user"); {checked.model.id} answers a user turn.',
            )
    if not checked.images and earlier:
        checked.images.append(earlier[-1])  # a conversational edit works on the latest picture
    if not checked.texts and not checked.images:
        raise invalid(f"contents[{len(contents) - 1}].parts", "the last user turn has no text and no picture")


def _part(part: Any, path: str, checked: Checked, role: str, strict_history: bool) -> np.ndarray | None:
    """One part; returns its decoded picture for a non-thought inlineData part."""
    obj(part, path, PART_KEYS, "Part")
    kinds = [k for k in PART_DATA if k in part]
    if not kinds:
        raise invalid(f"{path}.data", "required oneof field 'data' must have one initialized field")
    if len(kinds) > 1:
        raise ApiError(
            400,
            f"Invalid JSON payload received. Oneof field 'data' is already set. Cannot set "
            f"'{kinds[1]}' at '{snake(path)}'.",
            field=snake(path),
        )
    thought = boolean(part["thought"], f"{path}.thought") if "thought" in part else False
    signature = b64decode(part["thoughtSignature"], f"{path}.thoughtSignature") if "thoughtSignature" in part else None
    kind = kinds[0]
    if signature is not None and role == "model" and strict_history:
        _check_signed(part, kind, signature, path)
    if kind == "text":
        text = string(part["text"], f"{path}.text")
        if not thought:
            checked.text_tokens += tokens(text)
            if role == "user":
                checked.texts.append(text)
        return None
    if kind == "fileData":
        data = obj(part["fileData"], f"{path}.fileData", both("mimeType", "fileUri", "displayName"), "FileData")
        string(pick(data, "fileUri", f"{path}.fileData"), f"{path}.fileData.fileUri")
        raise invalid(f"{path}.fileData", "the emulator cannot read Cloud Storage or URLs; send inlineData")
    if kind != "inlineData":
        if checked.model.kind == IMAGE:
            raise invalid(f"{path}.{kind}", f"{kind} parts are not supported by {checked.model.id}")
        obj(part[kind], f"{path}.{kind}", set(part[kind]) if isinstance(part[kind], dict) else set())
        return None
    blob = obj(part["inlineData"], f"{path}.inlineData", both("mimeType", "data"), "Blob")
    mime = pick(blob, "mimeType", f"{path}.inlineData")
    if mime is None:
        raise invalid(f"{path}.inlineData.mimeType", "mime_type is required for inline data")
    if "data" not in blob:
        raise invalid(f"{path}.inlineData.data", "inline data is empty")
    picture = decode_inline(blob["data"], string(mime, f"{path}.inlineData.mimeType"), f"{path}.inlineData")
    if thought:
        return None
    checked.image_count += 1
    if role == "model" and strict_history and checked.model.signatures_required and "thoughtSignature" not in part:
        content_at, part_at = _positions(path)
        raise invalid(
            path,
            "",
            message=f"Image part is missing a thought_signature in content position "
            f"{content_at}, part position {part_at}. Please refer to "
            f"{SIGNATURE_HELP} for more details.",
        )
    return picture


def _check_signed(part: dict, kind: str, signature: bytes, path: str) -> None:
    """A signed model part must come back exactly as returned (emulator/conversation.py)."""
    if kind == "text":
        content = string(part["text"], f"{path}.text").encode("utf-8")
    elif kind == "inlineData" and isinstance(part["inlineData"], dict) and "data" in part["inlineData"]:
        content = b64decode(part["inlineData"]["data"], f"{path}.inlineData.data")
    else:
        content = b""
    if not signed_by(signature, content):
        raise invalid(path, "", message=corrupted(*_positions(path)))


def _positions(path: str) -> tuple[int, int]:
    """'contents[1].parts[0]' -> (2, 1): Google counts positions from one in this message [27a]."""
    content = int(path.split("[", 1)[1].split("]", 1)[0])
    part = int(path.rsplit("[", 1)[1].rstrip("]"))
    return content + 1, part + 1


def _system(value: Any) -> int:
    obj(value, "systemInstruction", {"role", "parts"}, "Content")
    parts = value.get("parts")
    if not isinstance(parts, list) or not parts:
        raise invalid("systemInstruction.parts", "system_instruction.parts must not be empty.")
    count = 0
    for j, part in enumerate(parts):
        obj(part, f"systemInstruction.parts[{j}]", {"text"}, "Part")
        count += tokens(string(part.get("text"), f"systemInstruction.parts[{j}].text"))
    return count


def _safety(settings: Any) -> dict[str, str]:
    if not isinstance(settings, list):
        raise invalid("safetySettings", "safety_settings must be a list")
    chosen: dict[str, str] = {}
    for i, setting in enumerate(settings):
        path = f"safetySettings[{i}]"
        obj(setting, path, {"category", "threshold", "method"}, "SafetySetting")
        category = enum(setting.get("category"), f"{path}.category", "HarmCategory", CATEGORIES)
        threshold = enum(setting.get("threshold"), f"{path}.threshold", "SafetySetting.HarmBlockThreshold", THRESHOLDS)
        if "method" in setting:
            enum(setting["method"], f"{path}.method", "SafetySetting.HarmBlockMethod", METHODS)
        if category in chosen:
            raise invalid(f"{path}.category", f"category {category} is set more than once")
        chosen[category] = threshold
    return chosen


def _tools(model: Served, tools: Any) -> None:
    if not isinstance(tools, list):
        raise invalid("tools", "tools must be a list")
    for i, tool in enumerate(tools):
        obj(tool, f"tools[{i}]", both(*TOOL_KINDS), "Tool")
        for key in tool:
            if "*" not in model.tools and key not in model.tools:
                raise invalid(f"tools[{i}].{key}", f"{key} is not supported by {model.id}")


def _extras(model: Served, body: dict) -> None:
    if "tools" in body:
        _tools(model, body["tools"])
    if "toolConfig" in body:
        if "*" not in model.tools:
            raise invalid("toolConfig", f"tool_config is not supported by {model.id}")
        obj(body["toolConfig"], "toolConfig", both("functionCallingConfig", "retrievalConfig"), "ToolConfig")
    if "cachedContent" in body:
        raise ApiError(
            404,
            f"CachedContent {string(body['cachedContent'], 'cachedContent')} not found "
            "(the emulator keeps no context caches).",
        )
    if "labels" in body:
        labels = body["labels"]
        if not isinstance(labels, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
        ):
            raise invalid("labels", "labels must map strings to strings")
    if "modelArmorConfig" in body:
        obj(
            body["modelArmorConfig"],
            "modelArmorConfig",
            both("promptTemplateName", "responseTemplateName"),
            "ModelArmorConfig",
        )
    if "serviceTier" in body:
        string(body["serviceTier"], "serviceTier")
