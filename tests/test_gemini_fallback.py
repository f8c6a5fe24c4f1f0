"""`auto` on Vertex AI: Imagen first, Gemini when the emulator answers that the Imagen model is retired
or unknown, told once; through the real client and plugin.pipeline.run."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("google.cloud.aiplatform_v1")

from plugin import ops, pipeline  # noqa: E402
from plugin.backends import make_backend  # noqa: E402
from plugin.backends.base import EditRequest  # noqa: E402
from plugin.backends.emulator import Fault  # noqa: E402
from plugin.backends.fallback import FallbackBackend  # noqa: E402
from plugin.backends.vertex import Backoff, VertexBackend  # noqa: E402
from plugin.backends.vertex_errors import ModelUnavailable, QuotaExhausted  # noqa: E402
from plugin.config import Settings  # noqa: E402
from tests.gemini_support import (  # noqa: E402
    box,
    gemini_backend,
    gemini_records,
    gradient,
    outside_feather,
    parts,
    shown_over,
)

RETIRED = {"imagen-4.0-generate-001", "imagen-3.0-capability-001", "imagen-4.0-upscale-preview"}


EMULATOR_OPTIONS = {"retired": RETIRED}


@pytest.fixture
def emu(emulator):
    emulator.requests.clear()
    emulator.faults.clear()
    emulator.retired = set(RETIRED)
    emulator.retired_code = 404
    return emulator


def auto(emulator, state) -> FallbackBackend:
    settings = Settings(project="test-project", endpoint=emulator.url)
    primary = VertexBackend(settings, backoff=Backoff(0.01, 0.05))
    secondary = gemini_backend(emulator.url)
    secondary.settings = settings
    return FallbackBackend(settings, primary, secondary, state=state)


def calls(emulator) -> list[tuple[str, int]]:
    return [(r.path.rsplit(":", 1)[1] + " " + r.model, r.status) for r in emulator.requests]


def once_notes(output) -> list[str]:
    return [n for n in output.notes if "retired or not offered here" in n]


@pytest.mark.parametrize("code", [404, 400])
def test_retired_imagen_generate_falls_back_to_gemini_and_says_so_once(emu, tmp_path, code):
    emu.retired_code = code
    backend = auto(emu, tmp_path / "retired.json")
    op = ops.Generate(prompt="a lighthouse", variations=2, seed=5)
    output = pipeline.run(op, None, None, backend)
    assert calls(emu) == [("predict imagen-4.0-generate-001", code),
                          ("generateContent gemini-2.5-flash-image", 200),
                          ("generateContent gemini-2.5-flash-image", 200)]
    assert len(output.layers) == 2 and output.model == "gemini-2.5-flash-image" and output.backend == "auto"
    assert [layer.provenance["seed"] for layer in output.layers] == [5, 6]
    (note,) = once_notes(output)
    assert note.startswith("Imagen model imagen-4.0-generate-001 is retired") and "[models] generate" in note
    assert parts(gemini_records(emu)[0].body) == [{"text": "Create a picture: a lighthouse."}]

    emu.requests.clear()
    again = pipeline.run(op, None, None, backend)  # the same session: straight to Gemini, no second note
    assert [c for c, _ in calls(emu)] == ["generateContent gemini-2.5-flash-image"] * 2
    assert not once_notes(again)

    emu.requests.clear()
    later = pipeline.run(op, None, None, auto(emu, tmp_path / "retired.json"))  # a later job (new process)
    assert [c for c, _ in calls(emu)] == ["generateContent gemini-2.5-flash-image"] * 2
    assert not once_notes(later)


def test_retired_edit_model_falls_back_for_inpaint_and_keeps_outside(emu, tmp_path):
    backend = auto(emu, tmp_path / "retired.json")
    image, selection = gradient(), box(400, 300, 120, 90, 260, 210)
    op = ops.InpaintInsert(prompt="a red ball", variations=2, seed=3)
    output = pipeline.run(op, image, selection, backend)
    assert [c for c, _ in calls(emu)] == ["predict imagen-3.0-capability-001"] + \
        ["generateContent gemini-2.5-flash-image"] * 2
    assert len(parts(gemini_records(emu)[0].body)) == 3  # picture, mask, instruction
    assert len(once_notes(output)) == 1 and "[models] edit" in once_notes(output)[0]
    keep = outside_feather(selection, op)
    for shown in shown_over(image, output.layers):
        assert np.array_equal(shown[keep], image[keep])


def test_a_working_imagen_model_is_used_and_gemini_is_not_called(emu, tmp_path):
    emu.retired = set()
    output = pipeline.run(ops.Generate(prompt="a lighthouse", seed=1), None, None,
                          auto(emu, tmp_path / "retired.json"))
    assert [c for c, _ in calls(emu)] == ["predict imagen-4.0-generate-001"]
    assert output.model == "imagen-4.0-generate-001" and not once_notes(output)


def test_other_failures_do_not_fall_back(emu, tmp_path):
    emu.retired = set()
    emu.faults.append(Fault("429", count=10))
    with pytest.raises(QuotaExhausted):
        auto(emu, tmp_path / "retired.json").run(EditRequest(op=ops.Generate(prompt="a fox"), image=None))
    assert not gemini_records(emu)


def test_an_action_gemini_cannot_do_still_reports_the_retired_model(emu, tmp_path):
    with pytest.raises(ModelUnavailable, match="imagen-4.0-upscale-preview"):
        pipeline.run(ops.Upscale(factor=2), gradient(64, 48), None, auto(emu, tmp_path / "retired.json"))
    assert not gemini_records(emu)


def test_make_backend_auto_is_the_fallback_when_vertex_is_configured(emu, tmp_path, monkeypatch):
    monkeypatch.setenv("IMAGEN_GIMP_CONFIG", str(tmp_path / "config.toml"))
    backend = make_backend("auto", Settings(project="test-project", endpoint=emu.url))
    assert isinstance(backend, FallbackBackend)
    output = pipeline.run(ops.Describe(), gradient(), None, backend)  # imagetext@001 is not retired
    assert output.model == "imagetext@001"
    emu.retired.add("imagetext@001")
    output = pipeline.run(ops.Describe(), gradient(), None, backend)
    assert output.model == "gemini-2.5-flash" and output.texts
    assert (tmp_path / "retired-models.json").exists()


def test_progress_never_runs_backwards_across_the_fallback(emu, tmp_path):
    seen: list[float] = []
    pipeline.run(ops.Generate(prompt="a fox", variations=2, seed=1), None, None,
                 auto(emu, tmp_path / "retired.json"), progress=lambda fraction, stage: seen.append(fraction))
    assert seen == sorted(seen) and seen[-1] == 1.0
