"""How a region is framed for a whole-picture model: which aspect ratio, which size tier, what is sent.

Gemini image models answer at fixed pixel sizes per aspect ratio and tier (1K, 2K, 4K), not at the
size they were sent. So the region is padded to the nearest offered ratio (never stretched), the
smallest tier whose answer covers the region is chosen (a 3000-pixel selection is not painted from
a 1K answer), the padded region is scaled at most once (down to the answer's size, never up), and
the answer is cut back to the region. Pure arithmetic, standard library only: the request builder
and the GIMP dialog's cost line (in GIMP's own Python) use the same numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from plugin.catalogue import SIZE_ORDER, Model, size_rank
from plugin.errors import UserError

COVER = 0.9  # a tier "covers" a region when its answer is at least 90 % of the region's size
PAD_TOLERANCE = 0.005  # shapes closer than 0.5 % to the answer's are resized, not padded


class FramingError(UserError, ValueError):
    """The region cannot be framed for this model (too large an upscale); the message says what to do."""

    kind = "operation"


@dataclass(frozen=True)
class Frame:
    """Where a region sits in what is sent, and what comes back.

    ratio, size: the imageConfig aspectRatio and imageSize to ask for (size "" = do not send it);
    output: the answer's pixel size; padded: the region padded to the answer's shape (region pixels);
    box: (x, y, w, h) of the region inside `padded`; send: the size the padded region is sent at;
    result: the size every result must have in the end (the region's, or an upscale's target).
    """

    ratio: str
    size: str
    output: tuple[int, int]
    padded: tuple[int, int]
    box: tuple[int, int, int, int]
    send: tuple[int, int]
    result: tuple[int, int]

    @property
    def enlarged(self) -> bool:
        """The answer is smaller than the region: the change is enlarged to fit (softer than 1:1)."""
        return self.output[0] < self.padded[0] * COVER


def nearest_ratio(width: int, height: int, offered: tuple[str, ...]) -> str:
    """The offered aspect ratio closest to width:height, compared on a log scale."""

    def distance(ratio: str) -> float:
        w, h = (int(x) for x in ratio.split(":"))
        return abs(math.log((w / h) / (width / height)))

    return min(offered, key=distance)


def sizes_up_to(model: Model, cap: str) -> tuple[str, ...]:
    """The model's tiers no larger than `cap` ("" or "auto" = all); at least its smallest."""
    offered = model.offered_sizes()
    if not cap or cap == "auto":
        return offered
    allowed = tuple(s for s in offered if size_rank(s) <= size_rank(cap))
    return allowed or offered[:1]


def choose_size(model: Model, ratio: str, need: tuple[int, int], cap: str) -> str:
    """The smallest tier whose answer covers `need` (w, h), else the largest allowed by `cap`."""
    allowed = sorted(sizes_up_to(model, cap), key=size_rank)
    for size in allowed:
        out_w, out_h = model.output_size(ratio, size)
        if out_w >= need[0] * COVER and out_h >= need[1] * COVER:
            return size
    return allowed[-1]


def frame_region(model: Model, width: int, height: int, cap: str = "", factor: int = 1) -> Frame:
    """The frame for a width x height region; `factor` > 1: the answer must be that much larger (upscale).

    Raises FramingError when an upscale's target is beyond the model's largest answer.
    """
    if width <= 0 or height <= 0:
        raise FramingError("the region is empty")
    offered = model.aspect_ratios or ("1:1",)
    ratio = nearest_ratio(width, height, offered)
    shape = model.output_size(ratio, model.offered_sizes()[0])
    padded, box = _pad_to(width, height, shape[0] / shape[1])
    need = (padded[0] * factor, padded[1] * factor)
    size = choose_size(model, ratio, need, cap)
    output = model.output_size(ratio, size)
    if factor > 1 and output[0] < need[0] * COVER:
        largest = max(sizes_up_to(model, cap), key=size_rank)
        big = model.output_size(ratio, largest)
        raise FramingError(
            f"x{factor} of this {width}x{height} area is {width * factor}x{height * factor}, more than "
            f"{model.id}'s largest picture at this shape ({big[0]}x{big[1]} at {largest}"
            f"{'' if largest == max(model.offered_sizes(), key=size_rank) else ', your size limit'})"
        )
    send = padded if padded[0] <= output[0] else output
    sent_size = size if model.sizes else ""
    return Frame(ratio, sent_size, output, padded, box, send, (width * factor, height * factor))


def frame_new(model: Model, ratio: str, cap: str = "") -> Frame:
    """The frame for a new picture (generate): the asked ratio at the cap's tier (default 1K)."""
    sizes = sizes_up_to(model, cap if cap and cap != "auto" else "1K")
    size = max(sizes, key=size_rank)
    output = model.output_size(ratio, size)
    return Frame(ratio, size if model.sizes else "", output, output, (0, 0) + output, output, output)


def _pad_to(width: int, height: int, target: float) -> tuple[tuple[int, int], tuple[int, int, int, int]]:
    """The smallest box of aspect `target` holding width x height, and where the region sits in it
    (centred, so mirrored padding is shared between both sides)."""
    if abs(target / (width / height) - 1) <= PAD_TOLERANCE:
        return (width, height), (0, 0, width, height)
    if width / height < target:
        padded_w = max(width, int(round(height * target)))
        extra = padded_w - width
        return (padded_w, height), (extra // 2, 0, width, height)
    padded_h = max(height, int(round(width / target)))
    extra = padded_h - height
    return (width, padded_h), (0, extra // 2, width, height)


def estimate(model: Model, width: int, height: int, cap: str = "", factor: int = 1) -> tuple[str, float | None]:
    """(size tier, US$ per image) the call for such a region would cost; for the dialog's cost line."""
    try:
        frame = frame_region(model, max(1, width), max(1, height), cap, factor)
    except FramingError:
        return "", None
    size = frame.size or "1K"
    return size, model.price_for(size)


__all__ = [
    "Frame",
    "FramingError",
    "SIZE_ORDER",
    "choose_size",
    "estimate",
    "frame_new",
    "frame_region",
    "nearest_ratio",
    "sizes_up_to",
]
