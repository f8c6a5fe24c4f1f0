"""Refine Result and Run Again in the GIMP 2.10 adapter (gimpfu stub, real worker, loopback emulator):
Gimp2Host reads the recipe and the result's mask, the refined layer lands in the result's group."""

from __future__ import annotations

from tests.test_gimp2_adapter import (  # noqa: F401 - fixtures used by name
    E,
    call,
    cloud,
    emulator_server,
    gimp,
    group_of,
    installed,
    load,
    provenance,
    session,
    stubtools,
)


def test_refine_result_and_run_again_on_gimp_2_10(cloud):  # noqa: F811 - the fixture
    image, layer = load("cat", crop=(240, 200))
    original = stubtools.pixels(layer)
    gimp.pdb.gimp_image_select_ellipse(image, E.CHANNEL_OP_REPLACE, 150, 90, 60, 50)
    call("inpaint", image, layer, backend="gemini", prompt="a red ball of wool", seed=11)
    group = group_of(image)
    (result,) = group.layers
    gimp.pdb.gimp_selection_none(image)
    call("refine", image, result, prompt="make it blue")
    refined = group.layers[0]
    assert len(group.layers) == 2 and group.layers[1] is result and refined.mask is not None
    data = provenance(refined)
    assert data["turn"] == 2 and data["instruction"] == "make it blue"
    assert (refined.offsets, refined.width, refined.height) == (result.offsets, result.width, result.height)
    assert [len(b["contents"]) for b in cloud.generate_bodies()] == [1, 3]
    gimp.pdb.gimp_image_select_rectangle(image, E.CHANNEL_OP_REPLACE, 0, 0, 20, 20)  # a selection elsewhere
    call("run-again", image, result, new_seed=False, **{"negative-prompt": "-", "variations": 1})
    groups = [g for g in image.layers if isinstance(g, gimp.GroupLayer)]
    assert len(groups) == 2 and groups[0] is group  # Run Again: a new group right above the photo
    assert provenance(groups[1].layers[0])["seed"] == 11
    assert stubtools.pixels(layer) == original and image.undo_groups == 3  # the selection in the same step
    # GIMP's selection is now the result's mask, where the result lies, and nothing elsewhere
    expected = bytearray(image.width * image.height)
    (ox, oy), width = result.offsets, result.width
    for row in range(result.height):
        start = (oy + row) * image.width + ox
        expected[start : start + width] = result.mask._pixels[row * width : (row + 1) * width]
    assert bytes(image.selection._pixels) == bytes(expected) and any(expected)
    call("refine", image, result, prompt="in green", afresh=True)  # the picture as shown, a new conversation
    fresh = group.layers[1]  # right above the layer it refines
    assert len(group.layers) == 3 and provenance(fresh)["turn"] == 1
    (sent, mask, words) = cloud.generate_bodies()[-1]["contents"][0]["parts"]
    assert words["text"].startswith("Using the first picture, change only the area") and "in green" in words["text"]
    assert stubtools.pixels(layer) == original
