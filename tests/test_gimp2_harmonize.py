"""Harmonize in the GIMP 2.10 adapter (hosts/gimp2.py, gimp2_scene.py) through the gimpfu stub, the real
worker and the loopback emulator. The stub learns here, for this test only, the pdb calls the scene read
uses (duplicate, crop, merge visible layers), each doing what GIMP 2.10's does for Normal layers."""

from __future__ import annotations

import numpy as np
import pytest

from tests.test_gimp2_adapter import (  # noqa: F401 - the adapter tests' fixtures and helpers
    E,
    add_layer,
    call,
    cloud,
    emulator_server,
    gimp,
    gray,
    installed,
    load,
    one_undo_group,
    provenance,
    rgba,
    session,
    stubtools,
    text,
)
from tests.test_harmonize import AT, CUP, cup


def _copy(item, image, parent):
    if isinstance(item, gimp.GroupLayer):
        copy = gimp.GroupLayer(image, item.name)
    else:
        copy = gimp.Layer(image, item.name, item.width, item.height, item.type, item.opacity, item.mode)
        copy._pixels[:] = item._pixels
        copy._offsets = item._offsets
        if item.mask is not None:
            copy.mask = gimp.Channel(image, item.mask.name, item.width, item.height)
            copy.mask._pixels[:] = item.mask._pixels
    copy._visible = item._visible
    gimp._insert(image, copy, parent, -1)
    for child in getattr(item, "layers", []) if isinstance(item, gimp.GroupLayer) else []:
        _copy(child, image, copy)


def duplicate(image):
    copy = gimp.Image(image.width, image.height, image.base_type)
    for layer in image.layers:
        _copy(layer, copy, None)
    return copy


def crop(image, width, height, x, y):
    for layer in gimp._walk(image.layers):
        layer._offsets = (layer._offsets[0] - x, layer._offsets[1] - y)
    image.width, image.height = width, height


def shown(image) -> np.ndarray:
    """The visible RGBA layers composited (Normal, straight alpha, masks applied) over transparency."""
    out = np.zeros((image.height, image.width, 4), np.float64)
    leaves = [layer for layer in gimp._walk(image.layers) if not isinstance(layer, gimp.GroupLayer)]
    for layer in reversed(leaves):
        item, visible = layer, True
        while item is not None:
            visible = visible and item.visible
            item = item.parent
        if not visible:
            continue
        pixels = rgba(layer).astype(np.float64)
        alpha = pixels[..., 3] / 255.0
        if layer.mask is not None:
            alpha = alpha * gray(layer.mask) / 255.0
        x0, y0 = layer.offsets
        xs, ys = (
            slice(max(0, x0), min(image.width, x0 + layer.width)),
            slice(max(0, y0), min(image.height, y0 + layer.height)),
        )
        src = pixels[ys.start - y0 : ys.stop - y0, xs.start - x0 : xs.stop - x0]
        a = alpha[ys.start - y0 : ys.stop - y0, xs.start - x0 : xs.stop - x0][..., None]
        dst = out[ys, xs]
        out_a = a + dst[..., 3:4] / 255.0 * (1 - a)
        rgb = np.where(
            out_a > 0, (src[..., :3] * a + dst[..., :3] * dst[..., 3:4] / 255.0 * (1 - a)) / np.maximum(out_a, 1e-9), 0
        )
        out[ys, xs] = np.dstack([rgb, out_a * 255.0])
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def merge_visible(image, _mode):
    merged = gimp.Layer(image, "merged", image.width, image.height, E.RGBA_IMAGE, 100.0, E.LAYER_MODE_NORMAL)
    merged._pixels[:] = shown(image).tobytes()
    for layer in list(image.layers):
        gimp._remove(image, layer)
    gimp._insert(image, merged, None, 0)
    return merged


@pytest.fixture(autouse=True)
def scene_calls(monkeypatch):
    for name, function in {
        "gimp_image_duplicate": duplicate,
        "gimp_image_undo_disable": lambda image: setattr(image, "undo_enabled", False),
        "gimp_image_crop": crop,
        "gimp_image_merge_visible_layers": merge_visible,
        "gimp_item_is_group": lambda item: int(isinstance(item, gimp.GroupLayer)),
        "gimp_item_get_visible": lambda item: int(item.visible),
    }.items():
        monkeypatch.setitem(gimp.BUILTINS, name, function)


def test_harmonize_pastes_a_group_per_variation_above_the_object(cloud):  # noqa: F811 - the fixture
    image, scene = load("rocket")
    pasted = add_layer(image, "Cup", cup(), offsets=AT)
    image.active_layer = pasted
    before = {"scene": stubtools.pixels(scene), "cup": stubtools.pixels(pasted), "shown": shown(image)}
    call("harmonize", image, pasted, backend="gemini", prompt="evening light", variations=2, seed=6, shadow=48)
    assert gimp._stub.calls[-1] == ("python-fu-imagen-harmonize", E.PDB_SUCCESS), gimp._stub.last_traceback
    first, second, cup_layer, scene_layer = image.layers
    assert (cup_layer, scene_layer) == (pasted, scene) and one_undo_group(image)
    assert text(first.name).startswith("Harmonize #1") and text(second.name).startswith("Harmonize #2")
    assert first.visible and not second.visible
    for group in (first, second):
        obj, shadow = group.layers
        assert text(obj.name).startswith("Harmonized object") and text(shadow.name).startswith("Shadow")
        assert obj.mask is not None and shadow.mask is not None
        x, y = obj.offsets
        alpha = cup()[..., 3][y - AT[1] : y - AT[1] + obj.height, x - AT[0] : x - AT[0] + obj.width]
        assert np.array_equal(gray(obj.mask), alpha)
        assert provenance(obj)["role"] == "object" and provenance(shadow)["backend"] == "gemini"
    assert stubtools.pixels(scene) == before["scene"] and stubtools.pixels(pasted) == before["cup"]
    after = shown(image)
    reach = np.ones(after.shape[:2], bool)
    reach[AT[1] - 48 : AT[1] + CUP[1] + 48, AT[0] - 48 : AT[0] + CUP[0] + 48] = False
    assert np.array_equal(after[reach], before["shown"][reach])
    assert not np.array_equal(after, before["shown"])
    sent = cloud.generate_bodies()[-1]["contents"][0]["parts"]
    assert ["inlineData" in part for part in sent] == [True, True, False]


def test_harmonize_with_nothing_below_leaves_the_image_as_it_was(cloud):  # noqa: F811 - the fixture
    image, only = load("cat", crop=(120, 90))
    before = stubtools.snapshot(image)
    with pytest.raises(gimp.error):
        call("harmonize", image, only, backend="gemini")
    assert stubtools.snapshot(image) == before
    assert any("nothing visible under the object" in message for message in gimp._stub.messages)
