"""The one paste executor (hosts/paste_exec.py) both GIMPs paste through, on the tests' FakeImage: where each
planned layer goes, the one undo group, and the roll back that leaves the user's image as it was."""

from __future__ import annotations

import json

import pytest
from host_support import FakeHost

from plugin.hosts import paste_exec, paste_plan
from plugin.hosts.paste_plan import GroupPlan, LayerPlan, PastePlan


def layer_plan(tmp_path, name, x, y, width, height, visible=True, mask=False, value=100):
    pixels = tmp_path / f"{name}.rgba"
    pixels.write_bytes(bytes([value, value, value, 255]) * (width * height))
    mask_path = None
    if mask:
        mask_path = tmp_path / f"{name}.mask"
        mask_path.write_bytes(bytes(range(width)) * height)
    parasite = paste_plan.provenance_payload({"action": "remove", "seed": value})
    return LayerPlan(name, x, y, width, height, str(pixels), mask_path and str(mask_path), visible, parasite)


def plan(target, layers, group="Remove Object", canvas=None, size=None, texts=(), selection=None):
    return PastePlan(target, group, list(layers), canvas, size, list(texts), [], selection)


def photo_host(fail=None):
    """A FakeHost whose image fails as asked; its Photo layer is the user's and must come out untouched."""
    host = FakeHost()
    host.image.fail = fail
    return host, host.image.tree(), host.layer.pixels


def test_layers_go_into_one_group_above_the_layer_read_in_one_undo_group(tmp_path):
    host, _before, photo_pixels = photo_host()
    image = host.image
    first = layer_plan(tmp_path, "Remove Object #1", 5, 6, 4, 3, visible=True, mask=True, value=10)
    second = layer_plan(tmp_path, "Remove Object #2", 5, 6, 4, 3, visible=False, mask=True, value=20)
    got = paste_exec.apply(image, plan("layers", [first, second]), {}, host.layer)
    assert got is image and image.undo_groups == 1 and image.depth == 0 and image.outside_group == []
    group = image.layers[0]
    assert image.layers[1] is host.layer and host.layer.pixels == photo_pixels
    assert group.name == "Remove Object" and [layer.name for layer in group.children] == [
        "Remove Object #1",
        "Remove Object #2",
    ]
    top, below = group.children
    assert (top.offsets, top.visible, below.visible) == ((5, 6), True, False)
    assert top.pixels == bytes([10, 10, 10, 255]) * 12 and below.pixels == bytes([20, 20, 20, 255]) * 12
    assert top.mask == bytes(range(4)) * 3
    assert json.loads(top.parasites[paste_plan.PARASITE_NAME])["seed"] == 10


def test_an_outpaint_grows_the_canvas_first_and_shifts_the_layers_with_it(tmp_path):
    host, _before, _pixels = photo_host()
    image = host.image
    wide = layer_plan(tmp_path, "Expand #1", 0, 0, 70, 40)
    paste_exec.apply(image, plan("layers", [wide], canvas=(6, 0, 4, 0)), {}, host.layer)
    assert image.size() == (70, 40) and image.undo_groups == 1
    assert host.layer.offsets == (6, 0)  # the user's layer moved with the canvas, as GIMP's resize does
    assert image.layers[0].children[0].offsets == (6, 0)


@pytest.mark.parametrize("fail", [("add_mask", 2), ("write_pixels", 1), ("attach_parasite", 2)])
def test_a_paste_that_fails_half_way_leaves_the_image_as_it_was(tmp_path, fail):
    host, before, photo_pixels = photo_host(fail)
    image = host.image
    layers = [layer_plan(tmp_path, f"Expand #{i}", 0, 0, 70, 40, mask=True) for i in (1, 2)]
    with pytest.raises(RuntimeError, match="injected failure"):
        paste_exec.apply(image, plan("layers", layers, canvas=(6, 0, 4, 0)), {}, host.layer)
    assert image.tree() == before and host.layer.pixels == photo_pixels
    assert image.depth == 0 and image.undo_groups == 1 and image.outside_group == []


def test_harmonize_puts_one_group_per_variation_right_above_the_object(tmp_path):
    host, _before, _pixels = photo_host()
    image = host.image
    obj = image.add("Mug", 10, 10)  # the object, above the photo
    groups = []
    for variation in (1, 2):
        members = [
            layer_plan(tmp_path, f"Mug harmonized {variation}", 3, 4, 10, 10, mask=True),
            layer_plan(tmp_path, f"Mug shadow {variation}", 3, 4, 10, 10, mask=True),
        ]
        groups.append(GroupPlan(f"Harmonize #{variation}", members, variation == 1))
    paste_exec.apply(image, plan("harmonized", groups, group="Harmonize #1"), {}, obj)
    assert [layer.name for layer in image.layers] == ["Harmonize #1", "Harmonize #2", "Mug", "Photo"]
    assert [group.visible for group in image.layers[:2]] == [True, False]
    assert [layer.name for layer in image.layers[0].children] == ["Mug harmonized 1", "Mug shadow 1"]
    assert image.undo_groups == 1


def test_refine_result_lands_above_the_result_in_its_group_and_rolls_back_alone(tmp_path):
    host, _before, _pixels = photo_host()
    image = host.image
    group = image.insert_group("Inpaint", None, 0)
    result = image.insert_layer("Inpaint #1", 4, 3, group, 0)
    older = image.insert_layer("Inpaint #2", 4, 3, group, 1)
    refined = [layer_plan(tmp_path, f"Refined #{i}", 1, 2, 4, 3) for i in (1, 2)]
    paste_exec.apply(image, plan("into-group", refined, group=None), {}, result)
    assert [layer.name for layer in group.children] == ["Refined #1", "Refined #2", "Inpaint #1", "Inpaint #2"]
    before = image.tree()
    image.fail = ("write_pixels", image.counts["write_pixels"] + 2)  # the second refined layer's pixels
    with pytest.raises(RuntimeError):
        paste_exec.apply(image, plan("into-group", refined, group=None), {}, result)
    assert image.tree() == before and group.children[-2:] == [result, older]


def test_select_subject_replaces_the_selection_cut_to_the_image(tmp_path):
    host, before, _pixels = photo_host()
    image = host.image
    values = bytes(range(8)) * 4  # 8 x 4, one byte a pixel; its left 2 columns lie off the canvas
    (tmp_path / "matte.raw").write_bytes(values)
    matte = LayerPlan("Select Subject #1", -2, 37, 8, 4, str(tmp_path / "matte.raw"), None, True, b"")
    paste_exec.apply(image, plan("selection", [matte], group=None), {}, host.layer)
    sel = image.selection
    assert [sel[y * 60 : y * 60 + 7] for y in (37, 38, 39)] == [bytes([2, 3, 4, 5, 6, 7, 0])] * 3
    assert sel[: 37 * 60] == bytes(37 * 60) and image.tree() == before and image.undo_groups == 1
    beyond = matte._replace(x=70, y=-9)  # wholly off the canvas: nothing stays selected
    paste_exec.apply(image, plan("selection", [beyond], group=None), {}, host.layer)
    assert image.selection == bytes(60 * 40) and image.undo_groups == 2


def test_run_again_restores_the_selection_in_the_same_undo_group(tmp_path):
    host, _before, _pixels = photo_host()
    image = host.image
    (tmp_path / "sel.raw").write_bytes(b"\xff" * 6)
    restored = LayerPlan("selection", 1, 1, 3, 2, str(tmp_path / "sel.raw"), None, False, b"")
    again = plan("layers", [layer_plan(tmp_path, "Again #1", 0, 0, 5, 5)], selection=restored)
    paste_exec.apply(image, again, {}, host.layer)
    assert image.undo_groups == 1 and image.layers[0].name == "Remove Object"
    assert image.selection[60 + 1 : 60 + 4] == b"\xff" * 3 and image.selection.count(b"\xff") == 6


def test_a_new_image_gets_the_layers_with_undo_off_and_is_deleted_on_failure(tmp_path):
    host, before, _pixels = photo_host()
    image = host.image
    image.interactive = True
    layers = [layer_plan(tmp_path, f"Generate #{i}", 0, 0, 8, 6, visible=i == 1) for i in (1, 2)]
    made = paste_exec.apply(image, plan("new-image", layers, size=(8, 6)), {}, None)
    assert made is image.new_images[0] and made.size() == (8, 6) and made.shown and not made.deleted
    assert [layer.name for layer in made.layers] == ["Generate #1", "Generate #2"] and made.outside_group == []
    assert image.tree() == before and image.undo_groups == 0
    image.fail = ("insert_layer", image.counts["insert_layer"] + 2)
    with pytest.raises(RuntimeError):
        paste_exec.apply(image, plan("new-image", layers, size=(8, 6)), {}, None)
    assert image.new_images[1].deleted and not image.new_images[1].shown


def test_a_text_result_is_stored_as_the_comment_only_when_asked(tmp_path):
    host, before, _pixels = photo_host()
    image = host.image
    described = plan("text", [], group=None, texts=["A cat.", "A dog."])
    paste_exec.apply(image, described, {"store-comment": False}, None)
    assert image.parasites == {} and image.undo_groups == 0
    paste_exec.apply(image, described, {"store-comment": True}, None)
    assert image.parasites[paste_plan.COMMENT_PARASITE] == b"1. A cat.\n\n2. A dog.\0"
    assert image.undo_groups == 1 and image.tree() == before
