"""Checks of `generationConfig` (sampling, modalities, thinking, imageConfig) against one model's limits.

This is where most of a model's personality shows: which aspect ratios and imageSize tiers it offers,
which thinking levels it takes (and that a level and a budget never go together), that image models
give one candidate, that text models draw nothing. The refusal texts follow Google's where known
(ref §8: the aspect-ratio list, "Multiple candidates is not enabled", Vertex's range wording).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.catalogue import IMAGE, Served
from emulator.errors import invalid
from emulator.fields import boolean, both, enum, in_range, integer, number, obj, one_of, pick, string

FIELDS = {
    "temperature",
    "topP",
    "topK",
    "candidateCount",
    "maxOutputTokens",
    "stopSequences",
    "responseLogprobs",
    "logprobs",
    "presencePenalty",
    "frequencyPenalty",
    "seed",
    "responseMimeType",
    "responseSchema",
    "responseJsonSchema",
    "routingConfig",
    "modelSelectionConfig",
    "responseModalities",
    "mediaResolution",
    "speechConfig",
    "audioTimestamp",
    "thinkingConfig",
    "imageConfig",
}
TEXT_MODEL_ONLY = (
    "responseLogprobs",
    "logprobs",
    "responseSchema",
    "responseJsonSchema",
    "routingConfig",
    "modelSelectionConfig",
    "speechConfig",
    "audioTimestamp",
)
MODALITY_NAMES = ("MODALITY_UNSPECIFIED", "TEXT", "IMAGE", "AUDIO")
LEVEL_NAMES = ("THINKING_LEVEL_UNSPECIFIED", "MINIMAL", "LOW", "MEDIUM", "HIGH", "XHIGH")
RESOLUTIONS = ("MEDIA_RESOLUTION_LOW", "MEDIA_RESOLUTION_MEDIUM", "MEDIA_RESOLUTION_HIGH")
PERSON = ("ALLOW_ALL", "ALLOW_ADULT", "ALLOW_NONE")
PROMINENT = ("ALLOW_PROMINENT_PEOPLE", "BLOCK_PROMINENT_PEOPLE")
IMAGE_FIELDS = {"aspectRatio", "imageSize", "personGeneration", "prominentPeople", "imageOutputOptions"}
OUTPUT_MIME = ("image/png", "image/jpeg")


@dataclass
class Config:
    """The settings the answer depends on, after validation."""

    modalities: tuple[str, ...] = ("TEXT",)
    candidates: int = 1
    seed: int | None = None
    aspect_ratio: str = ""
    image_size: str = ""  # as sent; "" = the default tier (1K)
    mime: str = "image/png"
    quality: int = 75
    thinking_level: str = ""
    thinking_budget: int | None = None
    include_thoughts: bool | None = None
    max_output_tokens: int | None = None

    @property
    def tier(self) -> str:
        return self.image_size or "1K"


def check(model: Served, config: Any) -> Config:
    path = "generationConfig"
    obj(config, path, FIELDS, "GenerationConfig")
    out = Config(modalities=("TEXT", "IMAGE") if model.kind == IMAGE else ("TEXT",))
    if model.kind == IMAGE:
        for key in TEXT_MODEL_ONLY:
            if key in config:
                raise invalid(f"{path}.{key}", f"{key} is not supported by {model.id}")
    _sampling(model, config, path, out)
    if "responseModalities" in config:
        out.modalities = (
            _modalities(model, config["responseModalities"], f"{path}.responseModalities") or out.modalities
        )
    if "mediaResolution" in config:
        enum(config["mediaResolution"], f"{path}.mediaResolution", "MediaResolution", RESOLUTIONS)
    if "responseMimeType" in config:
        allowed = ("text/plain",) if model.kind == IMAGE else ("text/plain", "application/json", "text/x.enum")
        mime = string(config["responseMimeType"], f"{path}.responseMimeType")
        if mime not in allowed:
            raise invalid(f"{path}.responseMimeType", f"response_mime_type must be one of {one_of(allowed)}.")
    if "thinkingConfig" in config:
        _thinking(model, config["thinkingConfig"], f"{path}.thinkingConfig", out)
    if "imageConfig" in config:
        if model.kind != IMAGE:
            raise invalid(
                f"{path}.imageConfig", f"image_config is not supported by {model.id}, which does not generate images."
            )
        _image(model, config["imageConfig"], f"{path}.imageConfig", out)
    return out


def _sampling(model: Served, config: dict, path: str, out: Config) -> None:
    if "temperature" in config:
        in_range(number(config["temperature"], f"{path}.temperature"), f"{path}.temperature", 0, 2.0001)
    if "topP" in config:
        in_range(number(config["topP"], f"{path}.topP"), f"{path}.topP", 0, 1.0001)
    if "topK" in config:
        in_range(integer(config["topK"], f"{path}.topK"), f"{path}.topK", 1, 2**31)
    for key in ("presencePenalty", "frequencyPenalty"):
        if key in config:
            in_range(number(config[key], f"{path}.{key}"), f"{path}.{key}", -2, 2)
    if "seed" in config:
        out.seed = integer(config["seed"], f"{path}.seed")
    if "stopSequences" in config:
        stops = config["stopSequences"]
        if not isinstance(stops, list) or len(stops) > 5:
            raise invalid(f"{path}.stopSequences", "stop_sequences takes at most 5 strings")
        for i, stop in enumerate(stops):
            string(stop, f"{path}.stopSequences[{i}]")
    if "candidateCount" in config:
        count = integer(config["candidateCount"], f"{path}.candidateCount")
        if model.kind == IMAGE and count > 1:
            raise invalid(f"{path}.candidateCount", f"Multiple candidates is not enabled for {model.id}")
        out.candidates = int(in_range(count, f"{path}.candidateCount", 1, 9))
    if "maxOutputTokens" in config:
        limit = model.max_output_tokens
        out.max_output_tokens = int(
            in_range(
                integer(config["maxOutputTokens"], f"{path}.maxOutputTokens"), f"{path}.maxOutputTokens", 1, limit + 1
            )
        )
    for key in ("responseLogprobs", "audioTimestamp"):
        if key in config:
            boolean(config[key], f"{path}.{key}")
    if "logprobs" in config:
        in_range(integer(config["logprobs"], f"{path}.logprobs"), f"{path}.logprobs", 0, 21)


def _modalities(model: Served, value: Any, path: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise invalid(path, "response_modalities must be a list")
    names = tuple(enum(v, f"{path}[{i}]", "GenerationConfig.Modality", MODALITY_NAMES) for i, v in enumerate(value))
    for i, name in enumerate(names):
        if name == "MODALITY_UNSPECIFIED":
            raise invalid(f"{path}[{i}]", "MODALITY_UNSPECIFIED is not a response modality")
        if name == "AUDIO" or (name == "IMAGE" and model.kind != IMAGE):
            answers = "text and images" if model.kind == IMAGE else "text"
            raise invalid(
                path,
                f"Model does not support the requested response modalities: {name.lower()}. "
                f"{model.id} answers with {answers}.",
            )
    return tuple(dict.fromkeys(names))


def _thinking(model: Served, value: Any, path: str, out: Config) -> None:
    thinking = obj(
        value, path, both("includeThoughts", "thinkingBudget", "thinkingLevel"), "GenerationConfig.ThinkingConfig"
    )
    if not model.thinking_levels:
        raise invalid(path, f"thinking_config is not supported by {model.id}, which does not think.")
    include = pick(thinking, "includeThoughts", path)
    if include is not None:
        out.include_thoughts = boolean(include, f"{path}.includeThoughts")
    level = pick(thinking, "thinkingLevel", path)
    budget = pick(thinking, "thinkingBudget", path)
    if level is not None and budget is not None:
        raise invalid(
            path,
            "thinking_level and thinking_budget cannot be used together; set only one of "
            "them (thinking_level is the control for Gemini 3 models).",
        )
    if level is not None:
        name = enum(level, f"{path}.thinkingLevel", "GenerationConfig.ThinkingConfig.ThinkingLevel", LEVEL_NAMES)
        if name not in model.thinking_levels:
            raise invalid(
                f"{path}.thinkingLevel",
                f"thinking_level {name} is not supported by {model.id}; use {one_of(model.thinking_levels)}.",
            )
        out.thinking_level = name
    if budget is not None:
        amount = int(in_range(integer(budget, f"{path}.thinkingBudget"), f"{path}.thinkingBudget", -1, 32769))
        if amount == 0 and not model.budget_zero_ok:
            raise invalid(f"{path}.thinkingBudget", f"thinking cannot be turned off for {model.id}.")
        out.thinking_budget = amount


def _image(model: Served, value: Any, path: str, out: Config) -> None:
    image = obj(value, path, IMAGE_FIELDS, "ImageConfig")
    if "aspectRatio" in image:
        ratio = string(image["aspectRatio"], f"{path}.aspectRatio")
        if ratio not in model.aspect_ratios:
            raise invalid(f"{path}.aspectRatio", f"aspect_ratio must be one of {one_of(model.aspect_ratios)}.")
        out.aspect_ratio = ratio
    if "imageSize" in image:
        size = string(image["imageSize"], f"{path}.imageSize")
        if not model.image_sizes:
            raise invalid(f"{path}.imageSize", f"image_size is not supported by {model.id}.")
        if size not in model.image_sizes:
            choice = (
                f"be {one_of(model.image_sizes)}"
                if len(model.image_sizes) == 1
                else f"be one of {one_of(model.image_sizes)}"
            )
            raise invalid(f"{path}.imageSize", f"image_size must {choice}.")
        out.image_size = size
    if "personGeneration" in image:
        enum(image["personGeneration"], f"{path}.personGeneration", "ImageConfig.PersonGeneration", PERSON)
    if "prominentPeople" in image:
        enum(image["prominentPeople"], f"{path}.prominentPeople", "ImageConfig.ProminentPeople", PROMINENT)
    if "imageOutputOptions" in image:
        opath = f"{path}.imageOutputOptions"
        options = obj(
            image["imageOutputOptions"], opath, {"mimeType", "compressionQuality"}, "ImageConfig.ImageOutputOptions"
        )
        if "mimeType" in options:
            mime = string(options["mimeType"], f"{opath}.mimeType")
            if mime not in OUTPUT_MIME:
                raise invalid(f"{opath}.mimeType", f"mime_type must be one of {one_of(OUTPUT_MIME)}.")
            out.mime = mime
        if "compressionQuality" in options:
            out.quality = int(
                in_range(
                    integer(options["compressionQuality"], f"{opath}.compressionQuality"),
                    f"{opath}.compressionQuality",
                    0,
                    101,
                )
            )
