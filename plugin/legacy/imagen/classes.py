"""Semantic segmentation class IDs for MASK_MODE_SEMANTIC (sent as `maskClasses`, at most 5).

Users type names ("car, bicycle"); the API wants the integer IDs of Google's class table
(shared/ref/imagen-api.md section 3.8). The position in this tuple is the class ID.
"""

from __future__ import annotations

CLASS_NAMES: tuple[str, ...] = (
    "backpack", "umbrella", "bag", "tie", "suitcase", "case", "bird", "cat", "dog", "horse", "sheep",
    "cow", "elephant", "bear", "zebra", "giraffe", "animal_other", "microwave", "radiator", "oven",
    "toaster", "storage_tank", "conveyor_belt", "sink", "refrigerator", "washer_dryer", "fan",
    "dishwasher", "toilet", "bathtub", "shower", "tunnel", "bridge", "pier_wharf", "tent", "building",
    "ceiling", "laptop", "keyboard", "mouse", "remote", "cell_phone", "television", "floor", "stage",
    "banana", "apple", "sandwich", "orange", "broccoli", "carrot", "hot_dog", "pizza", "donut", "cake",
    "fruit_other", "food_other", "chair_other", "armchair", "swivel_chair", "stool", "seat", "couch",
    "trash_can", "potted_plant", "nightstand", "bed", "table", "pool_table", "barrel", "desk", "ottoman",
    "wardrobe", "crib", "basket", "chest_of_drawers", "bookshelf", "counter_other", "bathroom_counter",
    "kitchen_island", "door", "light_other", "lamp", "sconce", "chandelier", "mirror", "whiteboard",
    "shelf", "stairs", "escalator", "cabinet", "fireplace", "stove", "arcade_machine", "gravel",
    "platform", "playingfield", "railroad", "road", "snow", "sidewalk_pavement", "runway", "terrain",
    "book", "box", "clock", "vase", "scissors", "plaything_other", "teddy_bear", "hair_dryer",
    "toothbrush", "painting", "poster", "bulletin_board", "bottle", "cup", "wine_glass", "knife", "fork",
    "spoon", "bowl", "tray", "range_hood", "plate", "person", "rider_other", "bicyclist", "motorcyclist",
    "paper", "streetlight", "road_barrier", "mailbox", "cctv_camera", "junction_box", "traffic_sign",
    "traffic_light", "fire_hydrant", "parking_meter", "bench", "bike_rack", "billboard", "sky", "pole",
    "fence", "railing_banister", "guard_rail", "mountain_hill", "rock", "frisbee", "skis", "snowboard",
    "sports_ball", "kite", "baseball_bat", "baseball_glove", "skateboard", "surfboard", "tennis_racket",
    "net", "base", "sculpture", "column", "fountain", "awning", "apparel", "banner", "flag", "blanket",
    "curtain_other", "shower_curtain", "pillow", "towel", "rug_floormat", "vegetation", "bicycle", "car",
    "autorickshaw", "motorcycle", "airplane", "bus", "train", "truck", "trailer", "boat_ship",
    "slow_wheeled_object", "river_lake", "sea", "water_other", "swimming_pool", "waterfall", "wall",
    "window", "window_blind",
)

_BY_NAME = {name: index for index, name in enumerate(CLASS_NAMES)}


def parse_classes(text: str) -> list[int]:
    """'car, 175' -> [176, 175]; raises ValueError naming the first unknown entry."""
    ids: list[int] = []
    for raw in text.replace(";", ",").split(","):
        item = raw.strip().lower().replace(" ", "_")
        if not item:
            continue
        if item.isdigit() and int(item) < len(CLASS_NAMES):
            ids.append(int(item))
        elif item in _BY_NAME:
            ids.append(_BY_NAME[item])
        else:
            near = [n for n in CLASS_NAMES if item[:3] in n][:5]
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            raise ValueError(f"{raw.strip()!r} is not a segmentation class{hint}")
    return list(dict.fromkeys(ids))
