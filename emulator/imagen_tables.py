"""The emulator's own tables of the Imagen `:predict` surface, read from `imagen_catalogue.json`: what each
model ID accepts, the output sizes, the limits and Google's semantic class table (shared/ref/imagen-api.md:
the model cards, section 3.8).

A record of the service apart from the product's on purpose: the emulator checks the product's Imagen
requests against the service's documented surface, not against the product's own tables
(plugin/legacy/imagen/models.py, classes.py), so a wrong product table fails its tests instead of agreeing
with itself. Kept as data, the service's catalogue, not as a second copy of the product's code. Model IDs
this table does not know are answered 404.
"""

from __future__ import annotations

import json
from collections import namedtuple
from pathlib import Path

_DATA = json.loads((Path(__file__).with_name("imagen_catalogue.json")).read_text(encoding="utf-8"))


def _frozen(value):
    """JSON lists as tuples: the tables are read, never changed."""
    return tuple(_frozen(item) for item in value) if isinstance(value, list) else value


GENERATE, CAPABILITY, UPSCALE, IMAGETEXT, VERIFY = "generate", "capability", "upscale", "imagetext", "verify"
MAX_IMAGE_BYTES = _DATA["limits"]["max_image_bytes"]  # per input image, base64-decoded
MAX_UPSCALE_OUTPUT_PIXELS = _DATA["limits"]["max_upscale_output_pixels"]
MAX_REFERENCE_IMAGES = _DATA["limits"]["max_reference_images"]
MAX_MASK_CLASSES = _DATA["limits"]["max_mask_classes"]
OUTPUT_SIZES = {
    size: {ratio: _frozen(wh) for ratio, wh in by_ratio.items()} for size, by_ratio in _DATA["output_sizes"].items()
}
CLASS_NAMES: tuple[str, ...] = _frozen(_DATA["class_names"])  # the position is the class ID

_DEFAULTS = {name: _frozen(value) for name, value in _DATA["model_defaults"].items()}
ModelInfo = namedtuple("ModelInfo", ["id", "family", *_DEFAULTS])
ModelInfo.__doc__ = "One model ID's documented request surface: its catalogue entry over the defaults."
ALL_RATIOS = _DEFAULTS["aspect_ratios"]

KNOWN_MODELS: dict[str, ModelInfo] = {
    model_id: ModelInfo(id=model_id, **{**_DEFAULTS, **{key: _frozen(value) for key, value in entry.items()}})
    for model_id, entry in _DATA["models"].items()
}


def output_size(aspect_ratio: str, image_size: str = "1K") -> tuple[int, int]:
    """(width, height) Imagen 3/4 returns for a ratio and size."""
    return OUTPUT_SIZES.get(image_size.upper(), OUTPUT_SIZES["1K"]).get(aspect_ratio, (1024, 1024))
