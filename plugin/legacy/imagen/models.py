"""What each Imagen model ID accepts, from Google's model cards (shared/ref/imagen-api.md).

The request builder reads this table so it only sends fields a model documents (negativePrompt,
enhancePrompt, sampleImageSize, ...); the emulator reads the same table to reject what the real
service would reject. Model IDs the table does not know are treated leniently by the client (a
newer model may well accept the request) and as unknown (404) by the emulator.
"""

from __future__ import annotations

from dataclasses import dataclass

GENERATE = "generate"
CAPABILITY = "capability"
UPSCALE = "upscale"
IMAGETEXT = "imagetext"
VERIFY = "verify"

ALL_RATIOS = ("1:1", "3:4", "4:3", "9:16", "16:9")
MAX_IMAGE_BYTES = 10 * 1024 * 1024  # per input image, base64-decoded
MAX_UPSCALE_OUTPUT_PIXELS = 17_000_000
MAX_REFERENCE_IMAGES = 4
MAX_MASK_CLASSES = 5

# Output sizes (width, height) of Imagen 3/4 per aspect ratio and size (model cards).
OUTPUT_SIZES = {
    "1K": {"1:1": (1024, 1024), "3:4": (896, 1280), "4:3": (1280, 896), "9:16": (768, 1408), "16:9": (1408, 768)},
    "2K": {"1:1": (2048, 2048), "3:4": (1792, 2560), "4:3": (2560, 1792), "9:16": (1536, 2816), "16:9": (2816, 1536)},
}


@dataclass(frozen=True)
class ModelInfo:
    """One model ID's documented request surface."""

    id: str
    family: str
    max_samples: int = 4
    negative_prompt: bool = False
    enhance_prompt: bool = False
    image_sizes: tuple[str, ...] = ()
    aspect_ratios: tuple[str, ...] = ALL_RATIOS
    watermark_default: bool = True
    upscale_factors: tuple[str, ...] = ()
    person_generation: bool = True
    legacy: bool = False


def _gen(model_id: str, **kw) -> ModelInfo:
    return ModelInfo(model_id, GENERATE, **kw)


KNOWN_MODELS: dict[str, ModelInfo] = {
    m.id: m
    for m in (
        _gen("imagen-4.0-generate-001", enhance_prompt=True, image_sizes=("1K", "2K")),
        _gen("imagen-4.0-ultra-generate-001", image_sizes=("1K", "2K")),
        _gen("imagen-4.0-fast-generate-001"),
        _gen("imagen-4.0-generate-preview-06-06", enhance_prompt=True, image_sizes=("1K", "2K")),
        _gen("imagen-4.0-ultra-generate-preview-06-06", max_samples=1, image_sizes=("1K", "2K")),
        _gen("imagen-4.0-fast-generate-preview-06-06"),
        _gen("imagen-3.0-generate-002", enhance_prompt=True),
        _gen("imagen-3.0-generate-001", negative_prompt=True),
        _gen("imagen-3.0-fast-generate-001", negative_prompt=True),
        _gen("imagegeneration@006", negative_prompt=True, legacy=True),
        _gen(
            "imagegeneration@005",
            negative_prompt=True,
            aspect_ratios=("1:1", "9:16"),
            watermark_default=False,
            person_generation=False,
            legacy=True,
        ),
        _gen(
            "imagegeneration@002",
            max_samples=8,
            negative_prompt=True,
            aspect_ratios=("1:1",),
            watermark_default=False,
            person_generation=False,
            legacy=True,
        ),
        ModelInfo("imagen-3.0-capability-001", CAPABILITY, negative_prompt=True),
        ModelInfo("imagen-3.0-capability-002", CAPABILITY, negative_prompt=True),
        ModelInfo("imagen-4.0-upscale-preview", UPSCALE, max_samples=1, upscale_factors=("x2", "x3", "x4")),
        ModelInfo("imagetext@001", IMAGETEXT, max_samples=3, watermark_default=False),
        ModelInfo("imagetext", IMAGETEXT, max_samples=3, watermark_default=False),
        ModelInfo("imageverification@001", VERIFY, max_samples=1, watermark_default=False),
    )
}

ROLE_FAMILY = {"generate": GENERATE, "edit": CAPABILITY, "upscale": UPSCALE, "describe": IMAGETEXT, "verify": VERIFY}


def model_info(model_id: str, role: str = "") -> ModelInfo:
    """The table entry, or a permissive guess from the settings role for an ID we do not know."""
    known = KNOWN_MODELS.get(model_id)
    if known:
        return known
    family = ROLE_FAMILY.get(role, GENERATE)
    guess_sizes = ("1K", "2K") if family == GENERATE and not model_id.startswith("imagen-3") else ()
    return ModelInfo(
        model_id, family, image_sizes=guess_sizes, upscale_factors=("x2", "x4") if family == UPSCALE else ()
    )


def output_size(aspect_ratio: str, image_size: str = "1K") -> tuple[int, int]:
    """(width, height) Imagen 3/4 returns for a ratio and size."""
    return OUTPUT_SIZES.get(image_size.upper(), OUTPUT_SIZES["1K"]).get(aspect_ratio, (1024, 1024))
