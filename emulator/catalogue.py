"""What Vertex AI serves on 2026-12-01, as the emulator's own table (shared/ref/gemini-image-api.md).

This table is deliberately independent of the product's catalogue (plugin/models.toml): tests check
the product against the emulator, so the emulator must not learn its truth from the product. Each
entry says where a model is served and what its request surface allows; anything not listed here
(every Imagen id unless the server keeps an Imagen endpoint, the retired previews and text models,
any id nobody has heard of) answers Google's 404.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

IMAGE = "image"  # text and pictures in, pictures (and text) out
TEXT = "text"  # text and pictures in, text out (Describe)

RATIOS_10 = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")
# Sorted as Google's 400 message lists them for gemini-3.1-flash-image (ref §8, [27c]).
RATIOS_14 = ("1:1", "1:4", "1:8", "2:3", "3:2", "3:4", "4:1", "4:3", "4:5", "5:4", "8:1", "9:16", "16:9", "21:9")


def _grid(text: str) -> dict[str, tuple[int, int]]:
    """'1:1 1024x1024, 2:3 848x1264' -> {"1:1": (1024, 1024), ...}: a size grid as Google's tables print it."""
    pairs = (item.split() for item in text.split(","))
    return {ratio: tuple(int(side) for side in size.split("x")) for ratio, size in pairs}


# 1K output grid of the Gemini 3 image family (ref §3.3; Google's table for 3 Pro Image, the same grid
# assumed for 3.1 Flash and Flash-Lite; the four extremes from a third-party live test).
GRID_1K = _grid(
    "1:1 1024x1024, 2:3 848x1264, 3:2 1264x848, 3:4 896x1200, 4:3 1200x896, 4:5 928x1152, "
    "5:4 1152x928, 9:16 768x1376, 16:9 1376x768, 21:9 1584x672, 1:4 512x2064, 4:1 2064x512, "
    "1:8 352x2928, 8:1 2928x352"
)
# gemini-2.5-flash-image answers about one megapixel on its own grid (16:9 = 1344x768, ref §3.3).
GRID_25 = _grid(
    "1:1 1024x1024, 2:3 832x1248, 3:2 1248x832, 3:4 864x1184, 4:3 1184x864, 4:5 896x1152, "
    "5:4 1152x896, 9:16 768x1344, 16:9 1344x768, 21:9 1536x672"
)
TIER_SCALE = {"512": 0.5, "1K": 1.0, "2K": 2.0, "4K": 4.0}

MAX_INLINE_BYTES = 7 * 1024 * 1024  # per inline file, decoded (ref §3.2)
MAX_REQUEST_BYTES = 500 * 1024 * 1024  # per request (ref §3.2)
INPUT_MIME = ("image/png", "image/jpeg", "image/webp", "image/heic", "image/heif")
US_REGIONS = ("us-central1", "us-east1", "us-east4", "us-east5", "us-south1", "us-west1", "us-west4")
US_AND_EU_REGIONS = US_REGIONS + ("europe-west4",)


@dataclass(frozen=True)
class Served:
    """One model id as the service takes it today: locations, limits, thinking, output tokens."""

    id: str
    kind: str
    locations: tuple[str, ...]
    display_name: str
    aspect_ratios: tuple[str, ...] = ()
    image_sizes: tuple[str, ...] = ()  # () = imageSize is not a field this model takes
    thinking_levels: tuple[str, ...] = ()  # () = no thinkingConfig at all
    thinks: bool = False  # a thinking image model: thought text and interim draft pictures
    budget_zero_ok: bool = True  # False = thinking cannot be switched off (thinkingBudget 0 refused)
    signatures_required: bool = False  # model turns in the history must carry their thoughtSignature
    max_images: int = 3
    max_input_tokens: int = 131_072
    max_output_tokens: int = 32_768
    image_tokens: dict[str, int] = field(default_factory=dict)  # output tokens per imageSize tier
    input_image_tokens: int = 1120
    tools: tuple[str, ...] = ()  # tool kinds accepted ("*" = any)
    grid: dict[str, tuple[int, int]] = field(default_factory=lambda: GRID_1K)

    @property
    def name(self) -> str:
        return f"publishers/google/models/{self.id}"


def _image(model_id: str, display: str, locations: tuple[str, ...], **kw) -> Served:
    return Served(model_id, IMAGE, locations, display, **kw)


def _text(model_id: str, display: str) -> Served:
    return Served(
        model_id,
        TEXT,
        ("global", "us-central1"),
        display,
        thinking_levels=("MINIMAL", "LOW", "MEDIUM", "HIGH"),
        max_images=3000,
        max_input_tokens=1_048_576,
        max_output_tokens=65_536,
        tools=("*",),
    )


SERVED: dict[str, Served] = {
    m.id: m
    for m in (
        _image(
            "gemini-3.1-flash-image",
            "Gemini 3.1 Flash Image",
            ("global",),
            aspect_ratios=RATIOS_14,
            image_sizes=("512", "1K", "2K", "4K"),
            thinking_levels=("MINIMAL", "HIGH"),
            thinks=True,
            signatures_required=True,
            max_images=14,
            image_tokens={"512": 747, "1K": 1120, "2K": 1680, "4K": 2520},
            tools=("googleSearch",),
        ),
        _image(
            "gemini-3-pro-image",
            "Gemini 3 Pro Image",
            ("global",) + US_AND_EU_REGIONS,
            aspect_ratios=RATIOS_10,
            image_sizes=("1K", "2K", "4K"),
            thinking_levels=("HIGH",),
            thinks=True,
            budget_zero_ok=False,
            max_images=14,
            max_input_tokens=65_536,
            image_tokens={"1K": 1120, "2K": 1120, "4K": 2000},
            input_image_tokens=560,
            tools=("googleSearch",),
        ),
        _image(
            "gemini-3.1-flash-lite-image",
            "Gemini 3.1 Flash-Lite Image",
            ("global",),
            aspect_ratios=RATIOS_14,
            image_sizes=("1K",),
            thinking_levels=("MINIMAL", "HIGH"),
            thinks=True,
            signatures_required=True,
            max_images=14,
            max_input_tokens=65_536,
            max_output_tokens=4096,
            image_tokens={"1K": 1120},
        ),
        _image(
            "gemini-2.5-flash-image",
            "Gemini 2.5 Flash Image",
            ("global", "us-central1"),
            aspect_ratios=RATIOS_10,
            max_images=3,
            max_input_tokens=32_768,
            image_tokens={"1K": 1290},
            input_image_tokens=258,
            grid=GRID_25,
        ),
        _text("gemini-3.5-flash", "Gemini 3.5 Flash"),
        _text("gemini-3.5-flash-lite", "Gemini 3.5 Flash-Lite"),
        _text("gemini-3.1-flash-lite", "Gemini 3.1 Flash-Lite"),
        _text("gemini-3.8-flash", "Gemini 3.8 Flash"),
    )
}

# Ids that once existed and are shut down by 2026-12-01 (ref §1). Anything else unknown is a 404 too;
# the list documents the decision and lets tests walk it.
SHUT_DOWN = (
    "gemini-3.1-flash-image-preview",
    "gemini-3-pro-image-preview",
    "gemini-2.5-flash-image-preview",
    "gemini-2.5-flash",
    "gemini-2.5-pro",
    "gemini-2.5-flash-lite",
    "gemini-2.0-flash",
    "gemini-2.0-flash-001",
    "gemini-2.0-flash-lite",
    "gemini-2.0-flash-lite-001",
    "gemini-2.0-flash-exp",
    "gemini-2.0-flash-preview-image-generation",
    "imagen-4.0-generate-001",
    "imagen-4.0-fast-generate-001",
    "imagen-4.0-ultra-generate-001",
    "imagen-4.0-generate-preview-06-06",
    "imagen-4.0-fast-generate-preview-06-06",
    "imagen-4.0-ultra-generate-preview-06-06",
    "imagen-4.0-upscale-preview",
    "imagen-3.0-generate-001",
    "imagen-3.0-generate-002",
    "imagen-3.0-fast-generate-001",
    "imagen-3.0-capability-001",
    "imagen-3.0-capability-002",
    "imagen-product-recontext-preview-06-30",
    "imagegeneration@002",
    "imagegeneration@005",
    "imagegeneration@006",
    "imagetext@001",
    "imageverification@001",
    "image-segmentation-001",
    "virtual-try-on-001",
)


def is_imagen_family(model_id: str) -> bool:
    """The retired :predict family: imagen-*, imagegeneration@*, imagetext, imageverification."""
    return model_id.startswith(("imagen-", "imagegeneration", "imagetext", "imageverification"))


def served_at(model_id: str, location: str) -> Served | None:
    """The entry when `model_id` is served at `location`; None means Google's 404."""
    model = SERVED.get(model_id)
    return model if model is not None and location in model.locations else None


def output_size(model: Served, ratio: str, tier: str = "1K") -> tuple[int, int]:
    """(width, height) of the final picture for an aspect ratio and imageSize tier."""
    width, height = model.grid[ratio]
    scale = TIER_SCALE[tier]
    return int(round(width * scale)), int(round(height * scale))


def nearest_ratio(width: int, height: int, offered: tuple[str, ...]) -> str:
    """The offered ratio closest to width:height on a log scale (what an edit without aspectRatio gets)."""

    def distance(ratio: str) -> float:
        w, h = (int(x) for x in ratio.split(":"))
        return abs(math.log((w / h) / (width / height)))

    return min(offered, key=distance)
