"""The emulator's own tables of the Imagen `:predict` surface: what each model ID accepts and Google's
semantic class table (shared/ref/imagen-api.md: the model cards, section 3.8).

Written down here a second time on purpose: the emulator checks the product's Imagen requests
against the service's documented surface, not against the product's own tables
(plugin/legacy/imagen/models.py, classes.py), so a wrong product table fails its tests instead of
agreeing with itself. Model IDs this table does not know are answered 404.
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


def output_size(aspect_ratio: str, image_size: str = "1K") -> tuple[int, int]:
    """(width, height) Imagen 3/4 returns for a ratio and size."""
    return OUTPUT_SIZES.get(image_size.upper(), OUTPUT_SIZES["1K"]).get(aspect_ratio, (1024, 1024))


CLASS_NAMES: tuple[str, ...] = (
    "backpack",
    "umbrella",
    "bag",
    "tie",
    "suitcase",
    "case",
    "bird",
    "cat",
    "dog",
    "horse",
    "sheep",
    "cow",
    "elephant",
    "bear",
    "zebra",
    "giraffe",
    "animal_other",
    "microwave",
    "radiator",
    "oven",
    "toaster",
    "storage_tank",
    "conveyor_belt",
    "sink",
    "refrigerator",
    "washer_dryer",
    "fan",
    "dishwasher",
    "toilet",
    "bathtub",
    "shower",
    "tunnel",
    "bridge",
    "pier_wharf",
    "tent",
    "building",
    "ceiling",
    "laptop",
    "keyboard",
    "mouse",
    "remote",
    "cell_phone",
    "television",
    "floor",
    "stage",
    "banana",
    "apple",
    "sandwich",
    "orange",
    "broccoli",
    "carrot",
    "hot_dog",
    "pizza",
    "donut",
    "cake",
    "fruit_other",
    "food_other",
    "chair_other",
    "armchair",
    "swivel_chair",
    "stool",
    "seat",
    "couch",
    "trash_can",
    "potted_plant",
    "nightstand",
    "bed",
    "table",
    "pool_table",
    "barrel",
    "desk",
    "ottoman",
    "wardrobe",
    "crib",
    "basket",
    "chest_of_drawers",
    "bookshelf",
    "counter_other",
    "bathroom_counter",
    "kitchen_island",
    "door",
    "light_other",
    "lamp",
    "sconce",
    "chandelier",
    "mirror",
    "whiteboard",
    "shelf",
    "stairs",
    "escalator",
    "cabinet",
    "fireplace",
    "stove",
    "arcade_machine",
    "gravel",
    "platform",
    "playingfield",
    "railroad",
    "road",
    "snow",
    "sidewalk_pavement",
    "runway",
    "terrain",
    "book",
    "box",
    "clock",
    "vase",
    "scissors",
    "plaything_other",
    "teddy_bear",
    "hair_dryer",
    "toothbrush",
    "painting",
    "poster",
    "bulletin_board",
    "bottle",
    "cup",
    "wine_glass",
    "knife",
    "fork",
    "spoon",
    "bowl",
    "tray",
    "range_hood",
    "plate",
    "person",
    "rider_other",
    "bicyclist",
    "motorcyclist",
    "paper",
    "streetlight",
    "road_barrier",
    "mailbox",
    "cctv_camera",
    "junction_box",
    "traffic_sign",
    "traffic_light",
    "fire_hydrant",
    "parking_meter",
    "bench",
    "bike_rack",
    "billboard",
    "sky",
    "pole",
    "fence",
    "railing_banister",
    "guard_rail",
    "mountain_hill",
    "rock",
    "frisbee",
    "skis",
    "snowboard",
    "sports_ball",
    "kite",
    "baseball_bat",
    "baseball_glove",
    "skateboard",
    "surfboard",
    "tennis_racket",
    "net",
    "base",
    "sculpture",
    "column",
    "fountain",
    "awning",
    "apparel",
    "banner",
    "flag",
    "blanket",
    "curtain_other",
    "shower_curtain",
    "pillow",
    "towel",
    "rug_floormat",
    "vegetation",
    "bicycle",
    "car",
    "autorickshaw",
    "motorcycle",
    "airplane",
    "bus",
    "train",
    "truck",
    "trailer",
    "boat_ship",
    "slow_wheeled_object",
    "river_lake",
    "sea",
    "water_other",
    "swimming_pool",
    "waterfall",
    "wall",
    "window",
    "window_blind",
)
