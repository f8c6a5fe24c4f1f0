"""Refine Result and Run Again through the shared host code (job_client) and the real worker on the
emulator, with the tests' fake host: what is read (the recipe, the pixels under the result over its
region, the result's mask), what is sent, and where the answer goes (into the result's group)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from host_support import values_for

from plugin.geometry import Rect
from plugin.hosts import job_client, paste_plan
from plugin.link import jobs
from tests.host_support import FakeHost

REPO = Path(__file__).resolve().parents[1]


def run(action, host, **values):
    paste, folder = job_client.run_job(action, values_for(action, **values), host, str(REPO))
    jobs.remove_job(folder)
    return paste


def test_refine_result_continues_the_conversation_into_the_group(cloud_worker):
    host = FakeHost()
    first = run("insert", host, prompt="a red hat", grow=0, feather=0, context=8)
    (layer,) = first.layers
    recipe = json.loads(first.layers[0].parasite)
    assert recipe["region"] == [12, 2, 26, 26] and recipe["conversation"] and recipe["turn"] == 1
    host.recipe, host.mask, host.calls = recipe, Rect(layer.x, layer.y, layer.width, layer.height), []
    refined = run("refine", host, prompt="make it dark blue")
    assert refined.target == "into-group" and len(refined.layers) == 1
    assert [c for c in host.calls if c[0] in ("recipe", "pixels", "mask", "selection")] == [
        ("recipe",),
        ("pixels", (12, 2, 26, 26)),
        ("mask", (12, 2, 26, 26)),
    ]
    new = refined.layers[0]
    assert (new.x, new.y, new.width, new.height) == (layer.x, layer.y, layer.width, layer.height)
    assert new.mask_path and new.name.startswith("Refine Result: make it dark blue #1")
    second = json.loads(new.parasite)
    assert second["turn"] == 2 and second["instruction"] == "make it dark blue"
    assert second["region"] == recipe["region"] and second["action"] == "insert"
    bodies = cloud_worker.generate_bodies()
    assert [len(b["contents"]) for b in bodies] == [1, 3]
    assert "make it dark blue" in bodies[-1]["contents"][-1]["parts"][0]["text"]
    # the selection the blend goes through is the result's mask as it is (grown and feathered already)
    assert second["parameters"]["grow"] == 0 and second["parameters"]["feather"] == 0


def test_run_again_is_the_recipe_as_a_new_action_with_new_seeds(cloud_worker):
    host = FakeHost()
    first = run("insert", host, prompt="a red hat", seed=11)
    recipe = json.loads(first.layers[0].parasite)
    layer = first.layers[0]
    host.recipe, host.mask = recipe, Rect(layer.x, layer.y, layer.width, layer.height)
    again = run("again", host, variations=2)
    assert again.target == "layers" and len(again.layers) == 2 and again.group_name.startswith("Inpaint: a red")
    bodies = cloud_worker.generate_bodies()
    assert [len(b["contents"]) for b in bodies] == [1, 1, 1]
    seeds = sorted(b["generationConfig"]["seed"] for b in bodies[1:])
    assert 11 not in seeds and seeds[1] == seeds[0] + 1  # "more like this": new seeds, counting up
    same = run("again", host, new_seed=False)
    assert json.loads(same.layers[0].parasite)["seed"] == 11
    other = run("again", host, new_tier="quality")  # "ready to change": another tier, the same recipe
    assert json.loads(other.layers[0].parasite)["model"] == "gemini-3-pro-image"
    assert cloud_worker.requests[-1].path.endswith("/gemini-3-pro-image:generateContent")


def test_a_layer_without_a_recipe_is_explained_before_anything_is_read(cloud_worker):
    host = FakeHost()
    with pytest.raises(job_client.HostError, match="select one such layer"):
        run("refine", host, prompt="bluer")
    assert not [c for c in host.calls if c[0] in ("pixels", "mask")]
    assert cloud_worker.generate_bodies() == []


def test_start_afresh_is_a_new_conversation_from_the_pixels_sent(cloud_worker):
    host = FakeHost()
    first = run("insert", host, prompt="a red hat")
    recipe = json.loads(first.layers[0].parasite)
    layer = first.layers[0]
    host.recipe, host.mask = recipe, Rect(layer.x, layer.y, layer.width, layer.height)
    fresh = run("refine", host, prompt="in green", afresh=True)
    body = cloud_worker.generate_bodies()[-1]
    assert len(body["contents"]) == 1 and len(body["contents"][0]["parts"]) == 3  # picture, mask, words
    assert body["contents"][0]["parts"][-1]["text"].startswith("Using the first picture, change only the area")
    data = json.loads(fresh.layers[0].parasite)
    assert data["turn"] == 1 and data["conversation"] != recipe["conversation"] and fresh.target == "into-group"


def test_run_again_restores_the_selection_from_the_results_mask_and_takes_the_changes(cloud_worker):
    host = FakeHost()
    first = run("insert", host, prompt="a red hat", **{"negative-prompt": "blurry"}, seed=11, grow=2, feather=0)
    recipe = json.loads(first.layers[0].parasite)
    region = Rect(*recipe["region"])
    host.recipe, host.mask = recipe, Rect(20, 10, 10, 10)
    paste, folder = job_client.run_job(
        "again",
        values_for("again", **{"negative-prompt": "-", "new-seed": False, "grow": -1, "feather": -1}),
        host,
        str(REPO),
    )
    try:
        restored = paste.selection
        assert paste.target == "layers" and restored is not None
        assert (restored.x, restored.y, restored.width, restored.height) == tuple(region)
        assert paste_plan.selection_bytes(restored) == host.read_layer_mask(region)  # what it was made over
    finally:
        jobs.remove_job(folder)
    data = json.loads(paste.layers[0].parasite)
    assert data["seed"] == 11 and data["parameters"]["negative_prompt"] == "" and data["prompt"] == "a red hat"
    bodies = cloud_worker.generate_bodies()
    assert "blurry" in json.dumps(bodies[0]["contents"]) and "blurry" not in json.dumps(bodies[-1]["contents"])
    wider = run("again", host, grow=6)  # grown by 6 instead of 2: the mask's core grown 4 more
    assert json.loads(wider.layers[0].parasite)["parameters"]["grow"] == 4
