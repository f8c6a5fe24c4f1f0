"""Rectangles and regions of interest, in plain integer arithmetic.

Shared by the GIMP hosts (GIMP 3's Python 3 and GIMP 2.10's Python 2.7) and the worker, so it
uses only syntax both understand: no f-strings, no annotations (type comments instead).
"""


import collections
import math

Rect = collections.namedtuple("Rect", "x y width height")


def rect_right(rect):
    # type: (Rect) -> int
    return rect.x + rect.width


def rect_bottom(rect):
    # type: (Rect) -> int
    return rect.y + rect.height


def intersect(a, b):
    # type: (Rect, Rect) -> Rect
    """The overlap of two rectangles; width/height 0 when they do not meet."""
    x1 = max(a.x, b.x)
    y1 = max(a.y, b.y)
    x2 = min(rect_right(a), rect_right(b))
    y2 = min(rect_bottom(a), rect_bottom(b))
    return Rect(x1, y1, max(0, x2 - x1), max(0, y2 - y1))


def expand(rect, margin):
    # type: (Rect, int) -> Rect
    return Rect(rect.x - margin, rect.y - margin, rect.width + 2 * margin, rect.height + 2 * margin)


def region_of_interest(selection_bounds, bleed, context, limit):
    # type: (Rect, int, int, Rect) -> Rect
    """Selection bounds grown by the mask's bleed (grow + feather) and a context margin, clipped.

    The backend sees the context so its fill matches the surroundings; `limit` is the layer (or
    the canvas) so we never read pixels that do not exist.
    """
    if selection_bounds.width <= 0 or selection_bounds.height <= 0:
        raise ValueError("the selection is empty")
    grown = expand(selection_bounds, max(0, int(bleed)) + max(0, int(context)))
    clipped = intersect(grown, limit)
    if clipped.width <= 0 or clipped.height <= 0:
        raise ValueError("the selection lies outside the layer")
    return clipped


def fit_within(width, height, max_side=None, max_pixels=None):
    # type: (int, int, int, int) -> tuple
    """Scale (width, height) down, aspect kept, so both limits hold; never scales up."""
    scale = 1.0
    if max_side:
        scale = min(scale, float(max_side) / max(width, height))
    if max_pixels:
        scale = min(scale, math.sqrt(float(max_pixels) / (width * height)))
    if scale >= 1.0:
        return int(width), int(height)
    return max(1, int(math.floor(width * scale + 1e-9))), max(1, int(math.floor(height * scale + 1e-9)))


def expanded_canvas(width, height, aspect=None, margins=None, anchor="center"):
    # type: (int, int, tuple, tuple, str) -> tuple
    """Margins (left, top, right, bottom) that grow a width x height canvas.

    Either `margins` directly, or the smallest growth that reaches `aspect` (w, h), placed by
    `anchor` (center, left, right, top, bottom, or two of them such as "top-left").
    """
    if margins is not None:
        left, top, right, bottom = [max(0, int(m)) for m in margins]
        return left, top, right, bottom
    if not aspect:
        raise ValueError("give either margins or an aspect ratio")
    aw, ah = float(aspect[0]), float(aspect[1])
    target_w, target_h = width, height
    if width / height < aw / ah:
        target_w = int(math.ceil(height * aw / ah))
    else:
        target_h = int(math.ceil(width * ah / aw))
    extra_w, extra_h = target_w - width, target_h - height
    parts = anchor.split("-")
    left = _leading_share(extra_w, parts, "left", "right")
    top = _leading_share(extra_h, parts, "top", "bottom")
    return left, top, extra_w - left, extra_h - top


def _leading_share(extra, parts, near, far):
    # type: (int, list, str, str) -> int
    """How much of `extra` goes before the picture: none when anchored to the near side, all when to
    the far side, half otherwise."""
    if near in parts:
        return 0
    if far in parts:
        return extra
    return extra // 2
