"""Run Again's plan and dialog words, without a service: each setting the user changes lands in the operation,
the others come from the recipe; a changed grow or feather re-derives the selection from the result's mask;
the dialog opens with the recipe's values and its line says what will run."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from plugin import catalogue, masks, ops, ops_refine
from plugin.config import load_settings
from plugin.masks import weight_to_u8
from plugin.refine import RefineError, again_selection, for_job, plan_again
from ui import again_line

RECIPE = {
    "action": "insert",
    "prompt": "a red hat",
    "seed": 123,
    "model": "gemini-3.1-flash-image",
    "backend": "gemini",
    "region": [10, 20, 60, 50],
    "parameters": {
        "negative_prompt": "blur",
        "grow": 4,
        "feather": 8,
        "context": 64,
        "tier": "standard",
        "variations": 2,
        "backend": "gemini",
        "max_size": "auto",
    },
}


def test_unchanged_settings_come_from_the_recipe():
    op = plan_again(RECIPE)
    assert isinstance(op, ops.InpaintInsert)
    assert (op.prompt, op.negative_prompt, op.grow, op.feather, op.context) == ("a red hat", "blur", 4, 8, 64)
    assert (op.seed, op.tier, op.model, op.variations, op.backend) == (
        123,
        "standard",
        "gemini-3.1-flash-image",
        2,
        "gemini",
    )
    assert plan_again(RECIPE, grow=-1, feather=-1) == op  # -1: the result's own, as a script sends it


@pytest.mark.parametrize(
    ("changes", "field", "value"),
    [
        ({"prompt": "a blue cap"}, "prompt", "a blue cap"),
        ({"negative_prompt": "text, logos"}, "negative_prompt", "text, logos"),
        ({"negative_prompt": "-"}, "negative_prompt", ""),
        ({"grow": 0}, "grow", 0),
        ({"feather": 20}, "feather", 20),
        ({"tier": "quality", "model": ""}, "tier", "quality"),
        ({"model": "gemini-3-pro-image"}, "model", "gemini-3-pro-image"),
        ({"seed": 99}, "seed", 99),
        ({"new_seed": True}, "seed", None),
        ({"variations": 4}, "variations", 4),
    ],
)
def test_each_changed_setting_lands_in_the_operation(changes, field, value):
    op = plan_again(RECIPE, **changes)
    assert getattr(op, field) == value
    same = plan_again(RECIPE)
    untouched = [
        name
        for name in ("prompt", "negative_prompt", "grow", "feather", "context", "tier", "seed", "variations")
        if name != field and name not in changes
    ]
    assert [getattr(op, name) for name in untouched] == [getattr(same, name) for name in untouched]


def test_a_changed_tier_drops_the_results_model_for_the_tiers():
    op = plan_again(RECIPE, tier="quality", model="")
    assert (op.tier, op.model) == ("quality", "")


def _square() -> np.ndarray:
    selection = np.zeros((60, 60), np.uint8)
    selection[20:40, 20:40] = 255
    return selection


def _result_mask(grow: int, feather: int) -> np.ndarray:
    """The mask a result layer carries: a 20x20 square selection grown and feathered, as the pipeline makes it."""
    return weight_to_u8(masks.blend_weight(_square(), grow, feather))


def _grown(grow: int) -> np.ndarray:
    return masks.blend_weight(_square(), grow, 0) >= 1.0


def test_the_recipes_edge_blends_through_the_mask_as_it_is():
    mask = _result_mask(4, 8)
    recipe = dict(RECIPE, selection_is_mask=True)
    op, selection = again_selection(plan_again(recipe), recipe, mask)
    assert (op.grow, op.feather) == (0, 0) and selection is mask


def test_another_grow_or_feather_applies_to_the_masks_core():
    mask = _result_mask(4, 8)
    recipe = dict(RECIPE, selection_is_mask=True)
    op, selection = again_selection(plan_again(recipe, grow=10, feather=2), recipe, mask)
    assert (op.grow, op.feather) == (6, 2)  # the core is the selection grown by 4 already
    assert set(np.unique(selection).tolist()) == {0, 255}
    core = selection == 255  # the selection grown by 4 (a corner pixel the feather rounds up to 255 may join)
    assert core[_grown(4)].all() and not core[~_grown(5)].any()
    weight = masks.blend_weight(selection, op.grow, op.feather)
    wanted = masks.blend_weight(_square(), 10, 2)
    full = weight >= 1.0  # grown by 4 then by 6 is grown by 10, to a pixel
    assert full[_grown(9)].all() and not full[~_grown(11)].any()
    assert np.abs(weight - wanted).mean() < 0.01
    op, selection = again_selection(plan_again(recipe, grow=1), recipe, mask)  # smaller: the core shrinks back
    assert (op.grow, op.feather) == (0, 8)
    assert (selection == 255)[_grown(1) == 0].sum() == 0 and (selection == 255).sum() >= _grown(0).sum()
    wide = dict(recipe, parameters=dict(RECIPE["parameters"], grow=40))
    with pytest.raises(RefineError, match="leaves nothing"):
        again_selection(plan_again(wide, grow=0), wide, mask)


def test_a_hosts_run_again_operation_becomes_the_recipes_action(tmp_path, monkeypatch):
    monkeypatch.setenv("IMAGEN_GIMP_CONFIG", str(tmp_path / "none.toml"))
    mask = _result_mask(4, 8)
    host_op = ops_refine.Again(
        prompt="",
        negative_prompt="-",
        grow=-1,
        feather=12,
        new_tier="fast",
        new_seed=False,
        variations=1,
        recipe=dict(RECIPE, selection_is_mask=True),
    )
    plan = for_job(host_op, load_settings())
    assert plan.selection is None  # no selection sent: nothing to derive
    plan = for_job(host_op, load_settings(), mask)
    op = plan.op
    assert (op.prompt, op.negative_prompt, op.tier, op.model, op.seed) == ("a red hat", "", "fast", "", 123)
    assert (op.grow, op.feather) == (0, 12) and (plan.selection == 255)[_grown(4)].all()
    unchanged = for_job(ops_refine.Again(recipe=dict(RECIPE, selection_is_mask=True)), load_settings(), mask)
    assert unchanged.selection is mask and (unchanged.op.grow, unchanged.op.feather) == (0, 0)
    assert unchanged.op.seed is None  # the host's default: new seeds, "more like this"
    with pytest.raises(ops.OperationError, match="grow"):
        ops_refine.Again(grow=-2, recipe=RECIPE)


def test_the_dialog_opens_with_the_recipe_and_says_what_will_run():
    values = again_line.opening_values(RECIPE)
    assert values == {
        "prompt": "a red hat",
        "negative-prompt": "blur",
        "grow": 4,
        "feather": 8,
        "new-tier": "recipe",
        "new-model": "",
        "new-seed": True,
        "variations": 2,
    }
    shipped = catalogue.load()
    label = shipped.get("gemini-3.1-flash-image").label
    same = dict(values, **{"new-seed": False, "variations": 1})
    assert again_line.summary(RECIPE, same, shipped) == (
        f"Inpaint on gemini-3.1-flash-image ({label}), seed 123, over the result's mask"
    )
    changed = dict(values, **{"new-tier": "quality", "grow": 10})
    quality = shipped.get(shipped.tier("image", "quality").model)
    assert again_line.summary(RECIPE, changed, shipped) == (
        f"Inpaint on {quality.id} ({quality.label}), new seeds, 2 variations, over the result's selection grown "
        "10 px, feathered 8 px"
    )
    edit = {
        "action": "edit",
        "prompt": "snow",
        "seed": 5,
        "model": "m-1",
        "region": [0, 0, 9, 9],
        "parameters": {"negative_prompt": ""},
    }
    assert again_line.opening_values(edit)["grow"] == -1  # no edge: the fields stay "as the result"
    assert again_line.summary(edit, {"new-seed": False}) == "Edit with Prompt on m-1, seed 5, over the result's region"
    offline = dict(RECIPE, backend="local", action="remove")
    assert again_line.summary(offline, values).startswith("Remove Object on this computer (offline engine), new seeds")
    assert again_line.summary({}, values).startswith("Select a result layer")


def test_the_cli_takes_run_agains_changes_only_with_again(tmp_path):
    from plugin import cli, cli_refine, images

    path = tmp_path / "result.png"
    images.write_picture(np.zeros((80, 80, 4), np.uint8), path, recipe=RECIPE)
    base = dict(
        input=str(path),
        prompt="bluer",
        again=False,
        new_seed=False,
        negative_prompt=None,
        grow=3,
        feather=None,
        afresh=False,
        variations=1,
        seed=None,
        tier=None,
        model=None,
        output=None,
        overwrite=False,
        json=False,
        quiet=True,
    )
    with pytest.raises(cli.UserError, match="--grow: only with --again"):
        cli_refine.run(argparse.Namespace(**base))
    with pytest.raises(cli.UserError, match="--seed and --new-seed"):
        cli_refine.run(argparse.Namespace(**dict(base, again=True, grow=None, seed=4, new_seed=True)))
