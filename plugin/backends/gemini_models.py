"""What the Gemini models on Vertex AI accept, and the enum numbers `:generateContent` uses.

The request builder reads this table to pick an aspect ratio the model offers and to keep within
its input-image limit; the emulator reads the same table to refuse what the real service would.
The google-cloud-aiplatform REST client sends and asks for enums as integers
(`$alt=json;enum-encoding=int`), so both sides need the numbers as well as the names. Numbers follow
aiplatform v1's content.proto; newer values (IMAGE_SAFETY ...) are listed even where the installed
client library does not name them yet, so a reply carrying them is still understood.
"""

from __future__ import annotations

from dataclasses import dataclass

IMAGE = "image"  # text and images in, images (and text) out
TEXT = "text"  # text and images in, text out (describe)

GEMINI_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")

# Output sizes (width, height) of gemini-2.5-flash-image per aspect ratio (about one megapixel).
OUTPUT_SIZES = {
    "1:1": (1024, 1024), "2:3": (832, 1248), "3:2": (1248, 832), "3:4": (864, 1184), "4:3": (1184, 864),
    "4:5": (896, 1152), "5:4": (1152, 896), "9:16": (768, 1344), "16:9": (1344, 768), "21:9": (1536, 672),
}
MAX_INLINE_BYTES = 7 * 1024 * 1024  # per inline image, decoded (Vertex AI documents 7 MB)
MAX_PROMPT_CHARS = 32_000


@dataclass(frozen=True)
class GeminiModel:
    """One model ID's request surface."""

    id: str
    kind: str
    aspect_ratios: tuple[str, ...] = GEMINI_RATIOS
    max_images: int = 3  # input images the model card recommends at most
    max_candidates: int = 1  # image models answer "Multiple candidates is not enabled"
    image_sizes: tuple[str, ...] = ()


KNOWN_GEMINI: dict[str, GeminiModel] = {
    m.id: m
    for m in (
        GeminiModel("gemini-2.5-flash-image", IMAGE),
        GeminiModel("gemini-2.5-flash-image-preview", IMAGE),
        GeminiModel("gemini-3-pro-image-preview", IMAGE, max_images=14, image_sizes=("1K", "2K", "4K")),
        GeminiModel("gemini-2.5-flash", TEXT, max_images=3000, max_candidates=8),
        GeminiModel("gemini-2.5-flash-lite", TEXT, max_images=3000, max_candidates=8),
        GeminiModel("gemini-2.5-pro", TEXT, max_images=3000, max_candidates=8),
        GeminiModel("gemini-2.0-flash-001", TEXT, max_images=3000, max_candidates=8),
    )
}


def is_gemini(model_id: str) -> bool:
    return model_id.startswith("gemini-")


def gemini_model(model_id: str, kind: str = IMAGE) -> GeminiModel:
    """The table entry, or a permissive guess (a newer model may well accept more)."""
    known = KNOWN_GEMINI.get(model_id)
    if known:
        return known
    guess = IMAGE if "image" in model_id else kind
    return GeminiModel(model_id, guess, max_images=14 if guess == IMAGE else 3000,
                       max_candidates=1 if guess == IMAGE else 8)


def nearest_ratio(width: int, height: int, offered: tuple[str, ...] = GEMINI_RATIOS) -> str:
    """The offered aspect ratio closest to width:height (compared on a log scale)."""
    import math

    def distance(ratio: str) -> float:
        w, h = (int(x) for x in ratio.split(":"))
        return abs(math.log((w / h) / (width / height)))

    return min(offered, key=distance)


def ratio_value(ratio: str) -> float:
    w, h = (int(x) for x in ratio.split(":"))
    return w / h


# --- enums: name <-> number -----------------------------------------------------------------------

HARM_CATEGORIES = {
    "HARM_CATEGORY_UNSPECIFIED": 0, "HARM_CATEGORY_HATE_SPEECH": 1, "HARM_CATEGORY_DANGEROUS_CONTENT": 2,
    "HARM_CATEGORY_HARASSMENT": 3, "HARM_CATEGORY_SEXUALLY_EXPLICIT": 4, "HARM_CATEGORY_CIVIC_INTEGRITY": 5,
    "HARM_CATEGORY_IMAGE_HATE": 6, "HARM_CATEGORY_IMAGE_DANGEROUS_CONTENT": 7,
    "HARM_CATEGORY_IMAGE_HARASSMENT": 8, "HARM_CATEGORY_IMAGE_SEXUALLY_EXPLICIT": 9,
    "HARM_CATEGORY_JAILBREAK": 10,
}
THRESHOLDS = {"HARM_BLOCK_THRESHOLD_UNSPECIFIED": 0, "BLOCK_LOW_AND_ABOVE": 1, "BLOCK_MEDIUM_AND_ABOVE": 2,
              "BLOCK_ONLY_HIGH": 3, "BLOCK_NONE": 4, "OFF": 5}
MODALITIES = {"MODALITY_UNSPECIFIED": 0, "TEXT": 1, "IMAGE": 2, "AUDIO": 3}
FINISH_REASONS = {
    "FINISH_REASON_UNSPECIFIED": 0, "STOP": 1, "MAX_TOKENS": 2, "SAFETY": 3, "RECITATION": 4, "OTHER": 5,
    "BLOCKLIST": 6, "PROHIBITED_CONTENT": 7, "SPII": 8, "MALFORMED_FUNCTION_CALL": 9, "MODEL_ARMOR": 10,
    "IMAGE_SAFETY": 11, "IMAGE_PROHIBITED_CONTENT": 12, "IMAGE_RECITATION": 13, "IMAGE_OTHER": 14,
    "UNEXPECTED_TOOL_CALL": 15, "NO_IMAGE": 16,
}
BLOCK_REASONS = {"BLOCKED_REASON_UNSPECIFIED": 0, "SAFETY": 1, "OTHER": 2, "BLOCKLIST": 3,
                 "PROHIBITED_CONTENT": 4, "MODEL_ARMOR": 5, "JAILBREAK": 6}

# The four categories Gemini's safety settings take, and our [imagen] safety_setting -> threshold.
SAFETY_CATEGORIES = ("HARM_CATEGORY_HATE_SPEECH", "HARM_CATEGORY_DANGEROUS_CONTENT",
                     "HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_SEXUALLY_EXPLICIT")
THRESHOLD_FOR_SETTING = {"block_low_and_above": "BLOCK_LOW_AND_ABOVE",
                         "block_medium_and_above": "BLOCK_MEDIUM_AND_ABOVE",
                         "block_only_high": "BLOCK_ONLY_HIGH", "block_none": "BLOCK_NONE"}


def enum_name(table: dict[str, int], value: object) -> str:
    """A JSON enum value (name or number) -> its name; unknown numbers -> 'VALUE_<n>'."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        for name, number in table.items():
            if number == int(value):
                return name
        return f"VALUE_{int(value)}"
    return ""
