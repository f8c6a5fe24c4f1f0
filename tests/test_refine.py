"""Refine Result below the command line: the conversation store (limits, links), the plan (depth cap, model
change, a lost conversation), and the Gemini backend on the emulator (a blocked follow-up is not kept, a
history the model refuses is never retried and says to start afresh, the emulator's strict replay)."""

from __future__ import annotations

import os
import time

import pytest

from emulator import Fault
from plugin import ops, pipeline
from plugin.backends.base import Followup, SafetyFiltered
from plugin.backends.gemini_conversation import HistoryRefused
from plugin.conversations import Exchange, Store, new_id
from plugin.refine import RefineError, plan_refine
from tests.conftest import photo
from tests.gemini_support import box, gemini_backend, gemini_records


def exchange(
    store: Store, parent: str = "", depth: int = 1, model: str = "gemini-3.1-flash-image", size: int = 10
) -> Exchange:
    item = Exchange(
        new_id(),
        parent,
        depth,
        model,
        "standard",
        "insert",
        {"role": "user", "parts": [{"text": "x" * size}]},
        {"role": "model", "parts": [{"text": "ok"}]},
    )
    store.save(item)
    return item


def test_the_store_links_exchanges_and_prunes_by_age_then_size(tmp_path):
    store = Store(tmp_path / "c", max_age_days=1, max_megabytes=1)
    root = exchange(store)
    child = exchange(store, root.id, 2)
    assert [e.id for e in store.chain(child.id)] == [root.id, child.id]
    old = store.folder / f"{root.id}.json"
    os.utime(old, (time.time() - 3 * 86400,) * 2)
    assert store.prune() == [root.id]  # older than max_age_days
    assert store.chain(child.id) is None  # a lost link: the conversation cannot be continued
    big = [exchange(store, size=400_000) for _ in range(3)]  # 1.2 MB in a 1 MB store
    ids = {p.stem for p in store.folder.glob("*.json")}
    assert big[-1].id in ids and big[0].id not in ids and store.size() <= 2**20
    assert store.load("../etc/passwd") is None and store.load("") is None
    assert oct(os.stat(store.folder / f"{big[-1].id}.json").st_mode & 0o777) == "0o600"


def recipe_of(item: Exchange, **extra) -> dict:
    return {
        "action": "insert",
        "prompt": "a hat",
        "seed": 3,
        "model": item.model,
        "conversation": item.id,
        "parameters": {"tier": "standard", "grow": 4, "feather": 8, "context": 64},
        **extra,
    }


def test_the_plan_caps_the_depth_and_starts_afresh_on_another_model(tmp_path):
    store = Store(tmp_path / "c")
    chain = [exchange(store)]
    for depth in range(2, 4):
        chain.append(exchange(store, chain[-1].id, depth))
    plan = plan_refine(recipe_of(chain[-1]), "bluer", store, max_follow_ups=5)
    assert plan.followup.parent == chain[-1].id and plan.followup.depth == 3
    assert len(plan.followup.history) == 6 and plan.op.model == chain[-1].model and not plan.notes
    with pytest.raises(RefineError, match="2 follow-ups deep.*--afresh"):
        plan_refine(recipe_of(chain[-1]), "bluer", store, max_follow_ups=2)
    other = plan_refine(recipe_of(chain[-1]), "bluer", store, max_follow_ups=5, tier="quality")
    assert other.followup.history == () and other.op.tier == "quality" and "new conversation" in other.notes[0]
    lost = plan_refine(recipe_of(chain[-1], conversation="ab" * 12), "bluer", store, max_follow_ups=5)
    assert lost.followup.history == () and "no longer in the store" in lost.notes[0]
    new_picture = plan_refine(
        {**recipe_of(chain[0]), "action": "generate", "parameters": {}}, "bluer", store, 5, afresh=True
    )
    assert isinstance(new_picture.op, ops.Edit) and new_picture.op.prompt == "bluer"
    with pytest.raises(RefineError, match="cannot be refined"):
        plan_refine({**recipe_of(chain[0]), "action": "upscale"}, "bluer", store, 5)


def first_edit(emulator):
    image = photo("cat")
    selection = box(image.shape[1], image.shape[0], 150, 100, 260, 200)
    op = ops.InpaintInsert(prompt="a red hat", seed=1)
    backend = gemini_backend(emulator.url)
    emulator.requests.clear()
    emulator.faults.clear()
    output = pipeline.run(op, image, selection, backend)
    return image, selection, op, backend, output.layers[0].provenance


def follow(backend, op, image, selection, provenance, words="make it blue"):
    store = backend.store()
    plan = plan_refine({**provenance, "parameters": {**provenance["parameters"]}}, words, store, 5)
    return pipeline.run(plan.op, image, selection, backend, followup=plan.followup)


def test_a_blocked_follow_up_is_reported_and_not_kept(emulator):
    image, selection, op, backend, provenance = first_edit(emulator)
    before = set(backend.store().folder.glob("*.json"))
    emulator.faults.append(Fault("IMAGE_SAFETY"))
    with pytest.raises(SafetyFiltered, match="safety filter"):
        follow(backend, op, image, selection, provenance)
    assert set(backend.store().folder.glob("*.json")) == before
    output = follow(backend, op, image, selection, provenance, "make it green")  # the next one continues
    body = gemini_records(emulator)[-1].body
    assert len(body["contents"]) == 3  # the blocked turn is not in what is sent
    assert "make it green" in body["contents"][2]["parts"][0]["text"]
    assert output.layers[0].provenance["turn"] == 2 and output.layers[0].provenance["history_turns"] == 2


def test_a_changed_signed_part_is_refused_once_and_says_start_afresh(emulator):
    image, selection, op, backend, provenance = first_edit(emulator)
    store = backend.store()
    kept = store.load(provenance["conversation"])
    signed = [p for p in kept.answer["parts"] if "thought_signature" in p]
    assert signed  # the answer's signature was kept with its part
    signed[0]["inline_data"]["data"] = signed[0]["inline_data"]["data"][:-8] + "AAAAAAA="  # the picture changed
    history = (kept.user, kept.answer)
    emulator.requests.clear()
    with pytest.raises(HistoryRefused, match="start afresh"):
        pipeline.run(op, image, selection, backend, followup=Followup("bluer", history, kept.id, 1))
    assert [r.status for r in gemini_records(emulator)] == [400]  # never retried
    assert "Corrupted thought signature in content position 2" in str(gemini_records(emulator)[0].reply)
    del signed[0]["thought_signature"]  # a lost signature: Google's documented 400
    with pytest.raises(HistoryRefused, match="missing a thought_signature"):
        pipeline.run(op, image, selection, backend, followup=Followup("bluer", history, kept.id, 1))


def test_variations_are_branches_of_the_same_conversation(emulator):
    image, selection, op, backend, provenance = first_edit(emulator)
    plan = plan_refine(provenance, "bluer", backend.store(), 5, variations=2)
    output = pipeline.run(plan.op, image, selection, backend, followup=plan.followup)
    ids = {layer.provenance["conversation"] for layer in output.layers}
    assert len(ids) == 2
    for layer_id in ids:
        chain = backend.store().chain(layer_id)
        assert [e.id for e in chain][0] == provenance["conversation"] and len(chain) == 2
    for layer in output.layers:
        assert layer.provenance["instruction"] == "bluer"


def test_the_cost_line_counts_the_history_billed_again():
    from plugin.config import Settings
    from ui.cost import CloudSetup, follow_up_cost

    setup = CloudSetup("auto", "my-project", "", True, "", Settings().load_catalogue())
    recipe = {"action": "insert", "model": "gemini-3.1-flash-image", "size": "1K", "turn": 1}
    first = follow_up_cost(recipe, {"variations": 1}, setup)
    # region + mask + the first answer: 3 pictures at 1120 input tokens, $0.50 per million
    assert first == (
        "About $0.07: 1 image at 1K on gemini-3.1-flash-image, plus the conversation re-sent as "
        "input (3 pictures, about $0.0017), billed to project my-project."
    )
    deeper = follow_up_cost({**recipe, "turn": 4}, {"variations": 2}, setup)
    assert "2 images" in deeper and "(6 pictures, about $0.0067)" in deeper and deeper.startswith("About $0.14")
    local = CloudSetup("auto", "p", "http://127.0.0.1:9", True, "", setup.catalogue)
    assert "no charge" in follow_up_cost(recipe, {}, local)


def test_the_dialogs_cost_line_for_refine_and_run_again_reads_the_recipe():
    from plugin.config import Settings
    from ui.cost import CloudSetup, run_cost

    setup = CloudSetup("auto", "my-project", "", True, "", Settings().load_catalogue())
    recipe = {"action": "insert", "model": "gemini-3-pro-image", "size": "2K", "turn": 2, "backend": "gemini"}
    refine = run_cost("refine", {"variations": 1}, setup, None, recipe)
    assert refine.startswith("About $0.14: 1 image at 2K on gemini-3-pro-image, plus the conversation re-sent")
    assert "(4 pictures, about $0.0045)" in refine
    assert run_cost("again", {"variations": 3}, setup, None, recipe) == (
        "About $0.40: 3 images at 2K on gemini-3-pro-image."
    )
    assert "select a result layer" in run_cost("again", {}, setup, None, None)
    assert run_cost("again", {"variations": 1, "new-tier": "fast"}, setup, None, recipe) == (
        "About $0.03: 1 image at 1K on gemini-3.1-flash-lite-image."
    )  # Fast makes 1K only


def test_the_conversations_table_in_the_settings(tmp_path):
    from plugin.config import ConfigError, load_settings

    path = tmp_path / "config.toml"
    path.write_text(
        f'[conversations]\nmax_follow_ups = 3\nmax_age_days = 7\nmax_megabytes = 50\nfolder = "{tmp_path / "store"}"\n'
    )
    settings = load_settings(path, environ={})
    store = Store.from_settings(settings, environ={})
    assert settings.conversations.max_follow_ups == 3
    assert (store.folder, store.max_age, store.max_bytes) == (tmp_path / "store", 7 * 86400, 50 * 2**20)
    assert Store.from_settings(settings, environ={"IMAGEN_GIMP_CONVERSATIONS": "/x"}).folder.as_posix() == "/x"
    path.write_text("[conversations]\nmax_follow_ups = 30\n")
    with pytest.raises(ConfigError, match="max_follow_ups = 30 is out of range 1 to 10"):
        load_settings(path, environ={})


def test_a_conversation_past_googles_request_size_advice_starts_afresh(tmp_path, monkeypatch):
    from plugin import refine

    store = Store(tmp_path / "c")
    root = exchange(store, size=2 * 2**20)
    monkeypatch.setattr(refine, "MAX_REQUEST_BYTES", 2**20)
    with pytest.raises(RefineError, match="is 2 MB .* at most 1 MB per request; start afresh"):
        plan_refine(recipe_of(root), "bluer", store, 5)
    assert plan_refine(recipe_of(root), "bluer", store, 5, afresh=True).followup.history == ()
