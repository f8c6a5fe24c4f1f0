"""result.json -> the layers a host pastes (hosts/paste_plan.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plugin import actions, errors, ops, regions
from plugin.geometry import Rect
from plugin.hosts import paste_plan
from plugin.link import jobfiles

REPO = Path(__file__).resolve().parents[1]


# -- results -> paste plan ------------------------------------------------------------------------


def write_result(folder: Path, layers: list[dict], **extra) -> dict:
    entries = []
    for index, layer in enumerate(layers):
        width, height = layer["width"], layer["height"]
        (folder / f"layer-{index}.rgba").write_bytes(b"\1" * width * height * 4)
        provenance = {"action": "remove", "seed": index, "api_key": "SECRET"}
        entry = {
            "name": f"Remove Object #{index + 1} (seed {index})",
            "pixels": f"layer-{index}.rgba",
            "mask": None,
            "provenance": provenance,
            **layer,
        }
        if layer.get("with_mask"):
            (folder / f"layer-{index}-mask.gray").write_bytes(b"\xff" * width * height)
            entry["mask"] = f"layer-{index}-mask.gray"
        entries.append(entry)
    result = {"group": "Remove Object", "layers": entries, "texts": [], "notes": ["a note"], **extra}
    jobfiles.write_json(str(folder / "result.json"), result)
    return result


def where(action, rect=None, into_image=False):
    """The placement of a job planned to read `rect` (None: nothing read)."""
    return regions.placement(action, regions.InputPlan(rect, rect is not None, False, False), into_image)


def test_paste_plan_places_layers_at_image_coordinates(tmp_path):
    result = write_result(
        tmp_path,
        [{"x": 5, "y": 6, "width": 4, "height": 3, "with_mask": True}, {"x": 5, "y": 6, "width": 4, "height": 3}],
    )
    plan = paste_plan.plan_paste("remove", {"prompt": ""}, str(tmp_path), result, where("remove", Rect(100, 200, 8, 6)))
    assert plan.target == "layers" and plan.group_name == "Remove Object"
    assert [(lp.x, lp.y, lp.visible) for lp in plan.layers] == [(105, 206, True), (105, 206, False)]
    assert plan.layers[0].mask_path.endswith("layer-0-mask.gray") and plan.layers[1].mask_path is None
    assert plan.notes == ["a note"]
    provenance = json.loads(plan.layers[0].parasite)
    assert provenance["seed"] == 0 and "api_key" not in provenance and provenance["plugin_version"]


def test_paste_plan_for_new_images_and_outpaint(tmp_path):
    result = write_result(tmp_path, [{"x": 0, "y": 0, "width": 8, "height": 6}])
    plan = paste_plan.plan_paste("upscale", {}, str(tmp_path), result, where("upscale", Rect(40, 50, 8, 6)))
    assert plan.target == "new-image" and plan.size == (8, 6)
    assert (plan.layers[0].x, plan.layers[0].y) == (0, 0)
    plan = paste_plan.plan_paste("generate", {"prompt": "p"}, str(tmp_path), result, where("generate", None, True))
    assert plan.target == "layers"
    result = write_result(tmp_path, [{"x": -10, "y": 0, "width": 8, "height": 6}], canvas=[10, 0, 5, 0])
    plan = paste_plan.plan_paste("outpaint", {}, str(tmp_path), result, where("outpaint", None))
    assert plan.canvas == (10, 0, 5, 0) and plan.layers[0].x == -10  # the host shifts it by the margin


def test_paste_plan_for_references_and_captions(tmp_path):
    customize_plan = regions.plan_input("customize", {}, Rect(30, 40, 8, 6), Rect(0, 0, 99, 99), None)
    result = write_result(
        tmp_path, [{"x": 0, "y": 0, "width": 8, "height": 6}, {"x": 0, "y": 0, "width": 8, "height": 6}]
    )
    plan = paste_plan.plan_paste("customize", {"prompt": "p"}, str(tmp_path), result, where("customize", None))
    assert plan.target == "new-image" and plan.size == (8, 6) and len(plan.layers) == 2
    plan = paste_plan.plan_paste(
        "customize", {"prompt": "p"}, str(tmp_path), result, where("customize", customize_plan.rect, True)
    )
    assert plan.target == "layers" and (plan.layers[0].x, plan.layers[0].y) == (0, 0)
    plan = paste_plan.plan_paste(
        "describe", {}, str(tmp_path), {"layers": [], "texts": ["A cat."]}, where("describe", None)
    )
    assert plan.target == "text" and paste_plan.describe_text("Describe", plan.texts) == "A cat."


def test_paste_plan_for_text_and_for_nothing(tmp_path):
    plan = paste_plan.plan_paste(
        "describe", {}, str(tmp_path), {"layers": [], "texts": ["a cat"]}, where("describe", None)
    )
    assert plan.target == "text" and paste_plan.describe_text("Describe Image", plan.texts) == "a cat"
    with pytest.raises(errors.HostError, match="no picture"):
        paste_plan.plan_paste("remove", {}, str(tmp_path), {"layers": []}, where("remove", None))


def test_group_name_from_prompt_when_the_worker_gives_none(tmp_path):
    assert actions.group_name("insert", "a red hat") == "Inpaint: a red hat"
    long = actions.group_name("insert", "x" * 100)
    assert len(long) < 60 and long.endswith("\u2026")
    result = write_result(tmp_path, [{"x": 0, "y": 0, "width": 8, "height": 6}])
    del result["group"]
    assert (
        paste_plan.plan_paste(
            "insert", {"prompt": "a red hat"}, str(tmp_path), result, where("insert", Rect(0, 0, 8, 6))
        ).group_name
        == "Inpaint: a red hat"
    )


def test_the_group_layer_and_message_name_an_action_alike(tmp_path):
    """The group the pipeline names and the one the host would name agree (one function, one length)."""
    from plugin import pipeline

    op = ops.from_dict({"action": "insert", "prompt": "a red kite " * 8})
    result = write_result(tmp_path, [{"x": 0, "y": 0, "width": 8, "height": 6}])
    del result["group"]
    host_side = paste_plan.plan_paste(
        "insert", {"prompt": op.prompt}, str(tmp_path), result, where("insert", Rect(0, 0, 8, 6))
    ).group_name
    assert host_side == pipeline.group_name(op) and host_side.startswith("Inpaint: a red kite")


def test_a_recipe_is_read_back_from_the_parasite_as_each_gimp_gives_it():
    """GIMP 2.10 gives the parasite's bytes, GIMP 3 a list of byte values; a damaged one is no recipe."""
    payload = paste_plan.provenance_payload({"action": "insert", "prompt": "a kite", "api_key": "x"})
    assert paste_plan.recipe_from_payload(payload)["prompt"] == "a kite"
    assert paste_plan.recipe_from_payload(list(payload)) == paste_plan.recipe_from_payload(payload)
    assert "api_key" not in paste_plan.recipe_from_payload(payload)
    for damaged in (None, b"", b"{not json", b"[1, 2]", b"\xff\xfe", [123]):
        assert paste_plan.recipe_from_payload(damaged) is None, damaged
