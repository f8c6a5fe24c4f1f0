"""Selection -> mask: soft edges, grow/feather, bounds, region of interest (Imagen's working size:
test_imagen_sizing.py)."""

import numpy as np
import pytest

from plugin import masks
from plugin.geometry import Rect, expanded_canvas


def square_selection(height=40, width=50, box=(10, 12, 20, 25), value=255):
    selection = np.zeros((height, width), np.uint8)
    x, y, w, h = box
    selection[y : y + h, x : x + w] = value
    return selection


def test_grow_and_feather_reach_exactly_as_far_as_asked():
    selection = square_selection(box=(20, 15, 10, 10), height=60, width=70)
    weight = masks.blend_weight(selection, grow=3, feather=5)
    assert weight[15:25, 20:30].min() == 1.0  # the selection itself is fully replaced
    assert weight[20, 20 - 3] == 1.0  # grown by 3 px
    assert 0.0 < weight[20, 20 - 5] < 1.0  # fading
    assert weight[20, 20 - 3 - 5 - 1] == 0.0  # nothing beyond grow + feather
    nonzero = masks.bounds(masks.weight_to_u8(weight))
    assert nonzero.x >= 20 - 8 and nonzero.x + nonzero.width <= 30 + 8


def test_soft_selection_values_are_kept():
    selection = square_selection()
    selection[0:5, 0:5] = 60  # a faint, feathered part of the user's selection away from the core
    weight = masks.blend_weight(selection, grow=0, feather=0)
    assert weight[2, 2] == pytest.approx(60 / 255)
    weight = masks.blend_weight(selection, grow=2, feather=2)
    assert weight[2, 2] == pytest.approx(60 / 255)


def test_fully_soft_selection_still_counts():
    selection = square_selection(value=100)  # nothing reaches 50 %: a heavily feathered selection
    weight = masks.blend_weight(selection, grow=1, feather=2)
    assert weight[20, 15] == 1.0


def test_selection_touching_the_border():
    selection = square_selection(box=(0, 0, 10, 40), height=40, width=50)
    weight = masks.blend_weight(selection, grow=2, feather=4)
    assert weight[:, 0].min() == 1.0
    roi = masks.region_of_interest(masks.bounds(masks.weight_to_u8(weight)), 16, 50, 40)
    assert roi.x == 0 and roi.y == 0 and roi.height == 40  # clipped to the image


def test_one_pixel_selection_on_odd_size():
    selection = np.zeros((33, 17), np.uint8)
    selection[16, 8] = 255
    weight = masks.weight_to_u8(masks.blend_weight(selection, grow=0, feather=0))
    assert masks.bounds(weight) == Rect(8, 16, 1, 1)
    weight = masks.weight_to_u8(masks.blend_weight(selection, grow=1, feather=1))
    assert masks.bounds(weight) == Rect(7, 15, 3, 3)  # the fade reaches 0 at grow + feather px


def test_empty_selection_is_a_clear_error():
    with pytest.raises(masks.EmptySelectionError, match="Select the area"):
        masks.blend_weight(np.zeros((10, 10), np.uint8), 2, 2)
    with pytest.raises(masks.EmptySelectionError):
        masks.bounds(np.zeros((10, 10), np.uint8))


def test_expanded_canvas_aspect_and_anchor():
    assert expanded_canvas(400, 300, aspect=(16, 9)) == (67, 0, 67, 0)
    assert expanded_canvas(400, 300, aspect=(1, 1), anchor="top") == (0, 0, 0, 100)
    assert expanded_canvas(400, 300, aspect=(1, 1), anchor="bottom") == (0, 100, 0, 0)
    assert expanded_canvas(400, 300, margins=(1, 2, 3, 4)) == (1, 2, 3, 4)


def test_the_blend_weight_of_a_region_equals_the_whole_picture_s(tmp_path):
    """The pipeline works the weight out near the selection only; it must equal the whole-picture one."""
    from plugin import ops
    from plugin.pipeline import _prepare_region

    rng = np.random.default_rng(3)
    image = rng.integers(0, 256, (300, 400, 4), dtype=np.uint8)
    selection = np.zeros((300, 400), np.uint8)
    selection[5:60, 380:398] = 255  # near the edge: the area around it is clipped
    selection[40:70, 100:160] = 128
    for context in (0, 16):
        op = ops.InpaintRemove(grow=3, feather=7, context=context)
        region = _prepare_region(op, image, selection)
        whole = masks.weight_to_u8(masks.blend_weight(selection, 3, 7))
        roi = region.roi
        assert np.array_equal(region.weight, whole[roi.y : roi.y + roi.height, roi.x : roi.x + roi.width])
        outside = whole.copy()
        outside[roi.y : roi.y + roi.height, roi.x : roi.x + roi.width] = 0
        assert not outside.any()  # nothing the blend reaches lies outside the region
