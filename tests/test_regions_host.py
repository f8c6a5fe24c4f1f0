"""The region of interest and the reference layers a host reads, planned from the action table
(regions.py, hosts/job_client.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from host_support import values_for

from plugin import errors, regions
from plugin.geometry import Rect
from plugin.hosts import job_client
from plugin.hosts import operation as host_op  # the dialog values -> operation

REPO = Path(__file__).resolve().parents[1]


# -- region of interest ---------------------------------------------------------------------------


def remove_op(**kw) -> dict:
    return host_op.build_operation("remove", values_for("remove", **kw))


def test_masked_actions_read_only_the_selection_plus_bleed_and_context():
    layer = Rect(0, 0, 6000, 4000)
    plan = regions.plan_input(
        "remove", remove_op(grow=4, feather=8, context=64), layer, layer, Rect(1000, 1000, 1000, 1000)
    )
    assert plan.rect == Rect(1000 - 76, 1000 - 76, 1000 + 152, 1000 + 152)
    assert plan.read_selection and not plan.transparent_outside


def test_roi_is_clipped_to_an_offset_layer_partly_off_canvas():
    canvas = Rect(0, 0, 600, 400)
    layer = Rect(-120, 200, 451, 300)  # sticks out left and bottom
    plan = regions.plan_input("remove", remove_op(grow=0, feather=0, context=100), layer, canvas, Rect(0, 250, 50, 50))
    assert plan.rect == Rect(-100, 200, 250, 200)  # reaches off canvas on the layer, never past it


def test_masked_actions_without_a_usable_selection_explain_what_to_do():
    layer = Rect(0, 0, 100, 100)
    with pytest.raises(errors.HostError, match="needs a selection"):
        regions.plan_input("remove", remove_op(), layer, layer, None)
    with pytest.raises(errors.HostError, match="does not touch the active layer"):
        regions.plan_input("insert", remove_op(), Rect(200, 200, 10, 10), Rect(0, 0, 300, 300), Rect(0, 0, 5, 5))


def test_other_actions_read_what_they_need():
    layer, canvas = Rect(10, 20, 300, 200), Rect(0, 0, 400, 300)
    sel = Rect(50, 50, 40, 30)
    plan = regions.InputPlan

    def planned(action, selection):
        return regions.plan_input(action, {}, layer, canvas, selection)

    assert planned("outpaint", None) == plan(canvas, True, False, True)
    assert planned("upscale", sel).rect == sel
    assert planned("upscale", None).rect == layer
    assert planned("background", None) == plan(layer, True, False, False)
    assert planned("background", sel) == plan(layer, True, True, False)
    assert planned("edit", sel) == plan(sel, True, True, False)
    assert planned("generate", sel).rect is None
    assert planned("customize", sel) == plan(None, False, False, False)  # references are read whole


# -- reference layers -----------------------------------------------------------------------------

LAYERS = ["Background", "Mug photo", "Sketch", "Copy, 2", "Group", "Inside group"]


def test_references_are_the_typed_names_else_the_selected_layers():
    assert job_client.reference_names("subject", "Sketch, Mug photo", ["Background"], LAYERS) == ["Sketch", "Mug photo"]
    assert job_client.reference_names("subject", "", ["Background", "Sketch"], LAYERS) == ["Background", "Sketch"]
    assert job_client.reference_names("scribble", "  ", ["Sketch"], LAYERS) == ["Sketch"]
    assert job_client.reference_names("style", "Copy, 2", [], LAYERS) == ["Copy, 2"]  # a name with a comma
    assert job_client.reference_names("subject", "Sketch,Copy, 2 , Group", [], LAYERS) == ["Sketch", "Copy, 2", "Group"]
    assert job_client.reference_names("subject", "Inside group", [], LAYERS) == ["Inside group"]


def test_reference_mistakes_are_explained_before_anything_is_read():
    with pytest.raises(errors.HostError, match="no layer called 'Skecth'.*layers here: 'Background'"):
        job_client.reference_names("subject", "Sketch, Skecth", [], LAYERS)
    with pytest.raises(errors.HostError, match="select the layer in the Layers dialog"):
        job_client.reference_names("subject", "", [], LAYERS)
    with pytest.raises(errors.HostError, match="a scribble reference is one layer, and 2 were chosen"):
        job_client.reference_names("scribble", "", ["Sketch", "Background"], LAYERS)
    with pytest.raises(errors.HostError, match="an edge reference is one layer"):
        job_client.reference_names("canny", "Sketch, Background", [], LAYERS)
    with pytest.raises(errors.HostError, match="at most 4 layers"):
        job_client.reference_names("subject", ", ".join(LAYERS[:5]), [], LAYERS)
