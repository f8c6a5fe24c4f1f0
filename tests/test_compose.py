"""Compositing: whatever a backend returns, pixels outside the feathered mask stay bit-identical."""

import numpy as np
import pytest

from plugin import compose, ops
from plugin.pipeline import run
from tests.conftest import FakeBackend, ellipse_mask, photo


def outside_identical(original: np.ndarray, layer) -> None:
    """Check the layer as shown over the original changes nothing where its mask is 0."""
    region = original[layer.y : layer.y + layer.pixels.shape[0], layer.x : layer.x + layer.pixels.shape[1]]
    shown = layer.shown()
    keep = layer.mask == 0
    assert np.array_equal(shown[keep], region[keep])


def test_blend_is_exact_at_zero_and_full_weight():
    rng = np.random.default_rng(1)
    original = rng.integers(0, 256, (9, 11, 4), dtype=np.uint8)
    result = rng.integers(0, 256, (9, 11, 4), dtype=np.uint8)
    mask = np.zeros((9, 11), np.uint8)
    mask[3:6, 4:8] = 255
    mask[0, 0] = 128
    out = compose.blend(original, result, mask)
    assert np.array_equal(out[mask == 0], original[mask == 0])
    assert np.array_equal(out[mask == 255], result[mask == 255])
    halfway = (original[0, 0].astype(int) * 127 + result[0, 0].astype(int) * 128 + 127) // 255
    assert np.array_equal(out[0, 0], halfway)


def test_blend_rejects_mismatched_sizes():
    with pytest.raises(ValueError, match="sizes differ"):
        compose.blend(np.zeros((2, 2, 4), np.uint8), np.zeros((3, 2, 4), np.uint8), np.zeros((2, 2), np.uint8))


@pytest.mark.parametrize("size", [(1, 1), (7, 5), (8, 30)])
def test_pictures_too_small_to_edit_are_refused_with_the_minimum(size):
    width, height = size
    image = np.full((height, width, 4), 90, np.uint8)
    selection = np.zeros((height, width), np.uint8)
    selection[height // 2, width // 2] = 255
    if min(size) >= 8:
        assert run(ops.InpaintRemove(grow=0, feather=1), image, selection, FakeBackend()).layers
        return
    with pytest.raises(ops.OperationError, match=f"is {width}x{height} pixels; Remove Object needs at least 8x8"):
        run(ops.InpaintRemove(grow=0, feather=1), image, selection, FakeBackend())


@pytest.mark.parametrize("size", [(8, 8), (9, 11), (31, 17)])
def test_small_and_odd_images(size):
    width, height = size
    image = np.full((height, width, 4), 90, np.uint8)
    selection = np.zeros((height, width), np.uint8)
    selection[height // 2, width // 2] = 255
    output = run(ops.InpaintRemove(grow=0, feather=1), image, selection, FakeBackend())
    layer = output.layers[0]
    assert layer.pixels.shape[:2] == (1, 1)
    assert tuple(layer.shown()[0, 0]) == (255, 0, 255, 255)


def test_selection_touching_the_border_clips_the_layer():
    image = photo("cat")
    height, width = image.shape[:2]
    selection = np.zeros((height, width), np.uint8)
    selection[:, :40] = 255
    output = run(ops.InpaintRemove(grow=4, feather=8), image, selection, FakeBackend())
    layer = output.layers[0]
    assert (layer.x, layer.y) == (0, 0) and layer.pixels.shape[0] == height
    outside_identical(image, layer)


def test_colour_of_result_is_matched_to_surroundings():
    image = np.full((60, 60, 4), (100, 120, 140, 255), np.uint8)
    selection = ellipse_mask(60, 60, 30, 30, 10, 10)

    def brighter(request):  # a model that returns the whole region 30 levels too bright
        picture = request.image.copy()
        picture[..., :3] = np.clip(picture[..., :3].astype(int) + 30, 0, 255)
        return picture

    output = run(ops.InpaintRemove(grow=2, feather=4), image, selection, FakeBackend(paint=brighter))
    shown = output.layers[0].shown()
    assert np.abs(shown[..., :3].astype(int) - (100, 120, 140)).max() <= 1


def test_outpaint_never_repaints_the_original():
    image = photo("rocket")
    height, width = image.shape[:2]
    op = ops.Outpaint(left=30, top=0, right=50, bottom=20, context=16)
    output = run(op, image, None, FakeBackend(colour=(0, 255, 0, 255)))
    assert output.canvas == (30, 0, 50, 20)
    layer = output.layers[0]
    x0, y0 = layer.x + 30, layer.y  # position on the grown canvas
    canvas = np.zeros((height + 20, width + 80, 4), np.uint8)
    canvas[0:height, 30 : 30 + width] = image
    canvas[y0 : y0 + layer.pixels.shape[0], x0 : x0 + layer.pixels.shape[1]] = layer.pixels
    assert np.array_equal(canvas[0:height, 30 : 30 + width], image)
    assert tuple(canvas[5, 5]) == (0, 255, 0, 255) and tuple(canvas[height + 10, 100]) == (0, 255, 0, 255)


def test_variations_get_counting_seeds_and_names():
    image = photo("cat")
    selection = ellipse_mask(*image.shape[:2], 100, 100, 20, 20)
    output = run(ops.InpaintRemove(variations=3, seed=41), image, selection, FakeBackend())
    assert [layer.provenance["seed"] for layer in output.layers] == [41, 42, 43]
    assert output.layers[1].name == "Remove Object #2 (seed 42)"
    assert output.group == "Remove Object"
    assert output.layers[0].provenance["backend"] == "fake"


def test_mask_free_edit_on_a_selection_blends_through_it():
    image = photo("astronaut")
    selection = np.zeros(image.shape[:2], np.uint8)
    selection[100:200, 150:300] = 255
    selection[100:110, 150:300] = 100
    output = run(ops.Edit(prompt="make it night"), image, selection, FakeBackend())
    layer = output.layers[0]
    assert (layer.x, layer.y) == (150, 100) and layer.pixels.shape[:2] == (100, 150)
    assert layer.mask[0, 0] == 100 and layer.mask[50, 50] == 255


def test_match_colour_takes_a_models_drift_out_of_the_answer():
    """Whole-picture models return the kept area slightly shifted; the ring outside the change tells by how
    much, and the whole answer is shifted back (what is blended in then meets its surroundings)."""
    from plugin.compose import match_colour

    rng = np.random.default_rng(1)
    original = np.dstack([rng.integers(40, 200, (80, 80, 3)), np.full((80, 80), 255)]).astype(np.uint8)
    change = np.zeros((80, 80), bool)
    change[30:50, 30:50] = True
    answer = original.astype(int)
    answer[..., 0] += 6  # the drift
    answer[change, :3] = (10, 200, 30)  # what the model painted
    fixed = match_colour(np.clip(answer, 0, 255).astype(np.uint8), original, change)
    assert np.abs(fixed[~change][:, 0].astype(int) - original[~change][:, 0]).max() <= 1
    assert tuple(fixed[40, 40, :3]) == (4, 200, 30)  # the painted part moved with it
