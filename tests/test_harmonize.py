"""Harmonize: an object cut from one photo (the coffee cup) pasted on another (the rocket), blended in by
Gemini through the real google-genai client against the loopback emulator. Checks the request (two
pictures, the scene last, the instruction), the layers (per variation a shadow and an object layer, masked,
in their own group) and the guarantees (the object holds the model's final picture; farther than the
shadow's reach the picture is the original, bit for bit)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from plugin import framing, harmonize, ops, pipeline
from plugin.backends.gemini_responses import decode
from plugin.geometry import Rect
from tests.conftest import ellipse_mask, photo
from tests.gemini_support import draft_share, gemini_backend, gemini_records, parts, picture

AT = (300, 230)  # where the cup's top-left corner goes on the rocket photo
CUP = (150, 120)  # its size


def cup() -> np.ndarray:
    """The coffee cup cut out of its photo: an ellipse with hard alpha, transparent around it."""
    rgba = photo("coffee")[140 : 140 + CUP[1], 225 : 225 + CUP[0]].copy()
    rgba[..., 3] = ellipse_mask(CUP[1], CUP[0], CUP[0] / 2 - 0.5, CUP[1] / 2 - 0.5, CUP[0] / 2 - 2, CUP[1] / 2 - 2)
    return rgba


def scene_and_object(op: ops.Harmonize) -> tuple[np.ndarray, np.ndarray, np.ndarray, Rect]:
    """(the object over the region, the scene over it, the object's alpha on the whole scene, the region)."""
    from plugin.cli_harmonize import inputs

    scene = photo("rocket")
    region, (under,), origin, _whole = inputs(op, scene, cup(), AT)
    alpha = np.zeros(scene.shape[:2], np.uint8)
    alpha[AT[1] : AT[1] + CUP[1], AT[0] : AT[0] + CUP[0]] = cup()[..., 3]
    return region, under, alpha, Rect(origin[0], origin[1], region.shape[1], region.shape[0])


def far_from(alpha: np.ndarray, reach: int) -> np.ndarray:
    from scipy import ndimage

    return ndimage.distance_transform_edt(alpha == 0) > reach


@pytest.fixture
def backend(emulator):
    emulator.requests.clear()
    emulator.faults.clear()
    return gemini_backend(emulator.url)


def final_picture(record) -> np.ndarray:
    """The answer's last picture that is not a thought (what the model made), as RGBA."""
    answer = [
        p for p in record.reply["candidates"][0]["content"]["parts"] if "inlineData" in p and not p.get("thought")
    ]
    import base64

    return decode(base64.b64decode(answer[-1]["inlineData"]["data"]), "emulator")


def test_the_request_sends_the_object_then_the_scene_and_the_instruction(backend, emulator):
    op = ops.Harmonize(prompt="evening light from the left", seed=7)
    region, under, _alpha, rect = scene_and_object(op)
    pipeline.run(op, region, None, backend, references=[under])
    (record,) = gemini_records(emulator)
    assert record.status == 200 and record.model == "gemini-3.1-flash-image"
    first, last, text = parts(record.body)
    alone, scene = picture(first), picture(last)
    assert alone.shape == scene.shape  # the same framing: "where it is placed" means the same pixels
    config = record.body["generationConfig"]["imageConfig"]
    assert config["aspectRatio"] == framing.nearest_ratio(
        rect.width,
        rect.height,
        ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9", "1:4", "4:1", "1:8", "8:1"),
    )
    inside = harmonize.on_grey(region)[..., 3] > 0
    assert inside.all()
    # the first picture is the object alone on grey; the last the scene with the object in place
    grey = (np.abs(alone.astype(int) - 128) <= 2).all(axis=2)
    assert 0.4 < grey.mean() < 0.95
    assert (np.abs(scene.astype(int) - alone.astype(int)).sum(axis=2) <= 12)[~grey].mean() > 0.95
    assert not (np.abs(scene.astype(int) - 128) <= 2).all(axis=2).mean() > 0.2
    words = text["text"]
    for phrase in (
        "first picture",
        "second picture",
        "shape, size, position",
        "label and text",
        "colour temperature, exposure and contrast",
        "soft contact shadow",
        "Change nothing else",
        "evening light from the left",
        "Do not change the input aspect ratio",
    ):
        assert phrase in words, phrase


def test_each_variation_is_a_shadow_and_an_object_layer_and_far_away_stays_the_scene(backend, emulator):
    op = ops.Harmonize(variations=2, seed=11)
    region, under, alpha, rect = scene_and_object(op)
    output = pipeline.run(op, region, None, backend, references=[under])
    assert len(gemini_records(emulator)) == 2
    seed = output.layers[0].provenance["seed"]
    assert seed in (11, 12)
    assert [(layer.provenance["role"], layer.group) for layer in output.layers[:2]] == [
        ("shadow", f"Harmonize #1 (seed {seed})"),
        ("object", f"Harmonize #1 (seed {seed})"),
    ]
    groups = {layer.group for layer in output.layers}
    assert len(output.layers) == 4 and len(groups) == 2
    before = harmonize.composite(region, under)
    region_alpha = region[..., 3]
    far = far_from(region_alpha, op.shadow)
    records = {r.body["generationConfig"]["seed"]: r for r in gemini_records(emulator)}
    for shadow, obj in (output.layers[0:2], output.layers[2:4]):
        assert draft_share(obj.pixels) < 0.001
        # the object layer: masked by the object's alpha, over its box
        box = harmonize.footprint_box(region_alpha)
        assert (obj.x, obj.y, obj.pixels.shape[1], obj.pixels.shape[0]) == tuple(box)
        assert np.array_equal(obj.mask, region_alpha[box.y : box.y + box.height, box.x : box.x + box.width])
        # the shadow: under the object (darker than the scene was), none far away, none under the solid cup
        full = np.zeros(region_alpha.shape, np.uint8)
        h, w = shadow.mask.shape
        full[shadow.y : shadow.y + h, shadow.x : shadow.x + w] = shadow.mask
        assert not full[far].any() and not full[region_alpha == 255].any()
        below = full[box.y + box.height - 10 : box.y + box.height + 20, box.x : box.x + box.width]
        above = full[max(0, box.y - 30) : box.y, box.x : box.x + box.width]
        assert below.mean() > 40 and above.mean() < 5, (below.mean(), above.mean())
        # as GIMP shows the group: the model's colours on the cup, the scene far away bit for bit
        shown = harmonize.shown(
            before,
            [
                harmonize.Piece("shadow", shadow.x, shadow.y, shadow.pixels, shadow.mask),
                harmonize.Piece("object", obj.x, obj.y, obj.pixels, obj.mask),
            ],
        )
        assert np.array_equal(shown[far], before[far])
        # inside the footprint: the model's final picture, cut back to the region
        model = pipeline_fit(records[shadow.provenance["seed"]], rect)
        solid = region_alpha == 255
        assert np.abs(shown[solid][:, :3].astype(int) - model[solid][:, :3].astype(int)).max() == 0
        assert np.abs(shown[solid][:, :3].astype(int) - before[solid][:, :3].astype(int)).mean() > 8


def pipeline_fit(record, rect: Rect) -> np.ndarray:
    """The record's final picture cut back to the region, as the service's answers are read."""
    from plugin.backends.gemini_requests import GeminiCall
    from plugin.backends.gemini_responses import fit
    from plugin.config import Settings

    model = Settings().load_catalogue().get(record.model, "image")
    frame = framing.frame_region(model, rect.width, rect.height, "2K")
    return fit(final_picture(record), GeminiCall(None, [], None, frame=frame))


def test_offline_says_harmonize_needs_vertex_ai():
    from plugin.backends.base import UnsupportedOperation
    from plugin.backends.local import LocalBackend

    with pytest.raises(
        UnsupportedOperation,
        match="cannot do matching a pasted object's light.*Harmonize needs Google's image models on Vertex AI",
    ):
        LocalBackend().check_supported(ops.Harmonize())


def run_cli(*args: str, cwd, env: dict):
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[1]
    base = {"HOME": str(cwd), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(repo), "XDG_CONFIG_HOME": str(cwd / "c")}
    return subprocess.run(
        [sys.executable, "-m", "plugin", *args, "--quiet"],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**base, **env},
        timeout=300,
    )


def test_the_command_writes_the_harmonized_composite(tmp_path, emulator):
    """No settings file, only GOOGLE_CLOUD_PROJECT (and the loopback service's address)."""
    from PIL import Image

    from plugin import images

    emulator.requests.clear()
    emulator.faults.clear()
    images.write_picture(cup(), tmp_path / "cup.png")
    scene = photo("rocket")
    images.write_picture(scene, tmp_path / "rocket.png")
    done = run_cli(
        "harmonize",
        "rocket.png",
        "--object",
        "cup.png",
        "--at",
        f"{AT[0]},{AT[1]}",
        "--prompt",
        "warm evening light",
        "--seed",
        "5",
        "-o",
        "out.png",
        cwd=tmp_path,
        env={"GOOGLE_CLOUD_PROJECT": "test-project", "IMAGEN_GIMP_ENDPOINT": emulator.url},
    )
    assert done.returncode == 0, done.stderr
    assert "wrote out.png (seed 5)" in done.stdout
    assert not list(tmp_path.glob("*.toml")) and not (tmp_path / "c").exists()
    (record,) = gemini_records(emulator)
    assert record.status == 200 and record.project == "test-project"
    out = np.asarray(Image.open(tmp_path / "out.png").convert("RGBA"))
    alpha = np.zeros(scene.shape[:2], np.uint8)
    alpha[AT[1] : AT[1] + CUP[1], AT[0] : AT[0] + CUP[0]] = cup()[..., 3]
    far = far_from(alpha, 48)
    assert np.array_equal(out[far], scene[far])
    assert not np.array_equal(out[~far], scene[~far])
    op = ops.Harmonize()
    _region, _under, _alpha, rect = scene_and_object(op)
    model = pipeline_fit(record, rect)
    solid = alpha[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width] == 255
    inside = out[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width]
    assert np.array_equal(inside[solid][:, :3], model[solid][:, :3])


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--at", "12"), "--at '12': give the object's top-left corner on the scene as X,Y"),
        (("--at", "5000,10"), "--at 5000,10 puts the 150x120 object outside the 640x427 scene"),
        (
            ("--at", "10,10", "--reference", "cup.png"),
            "harmonize takes the object with --object FILE and no --reference",
        ),
        (
            ("--at", "10,10", "--backend", "local"),
            "The local engine works offline and cannot do matching a pasted "
            "object's light to its scene and casting its shadow (Harmonize)",
        ),
    ],
)
def test_command_mistakes_are_one_line_and_exit_2(tmp_path, args, words):
    from plugin import images

    images.write_picture(cup(), tmp_path / "cup.png")
    images.write_picture(photo("rocket"), tmp_path / "rocket.png")
    done = run_cli("harmonize", "rocket.png", "--object", "cup.png", *args, "-o", "out.png", cwd=tmp_path, env={})
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and words in done.stderr, done.stderr
    assert not (tmp_path / "out.png").exists()


class ObjectHost:
    """tests/host_support.FakeHost with a pasted object: a 16x12 layer at (20, 12), an opaque ellipse in it,
    over the fake's scene (flat blue-grey, nothing right of x = 50)."""

    def __new__(cls):
        from host_support import FakeHost

        class Host(FakeHost):
            def layer_rect(self):
                return Rect(20, 12, 16, 12)

            def read_pixels(self, rect, transparent_outside):
                self.calls.append(("pixels", tuple(rect)))
                inside = ellipse_mask(rect.height, rect.width, 27.5 - rect.x, 17.5 - rect.y, 7.5, 5.5)
                return bytes(v for m in inside.ravel() for v in ((200, 40, 30, 255) if m else (0, 0, 0, 0)))

        return Host()


def test_the_host_reads_object_and_scene_and_pastes_a_group_per_variation(cloud_worker):
    import json
    from pathlib import Path

    from plugin.hosts import job_client, procedures
    from plugin.link import jobs

    emulator = cloud_worker
    values = {param.name: param.default for param in procedures.PROCEDURE_BY_ACTION["harmonize"].params}
    values.update({"variations": 2, "seed": 4, "context": 8, "shadow": 6})
    host = ObjectHost()
    paste, folder = job_client.run_job("harmonize", values, host, str(Path(__file__).resolve().parents[1]))
    try:
        reads = [c for c in host.calls if c[0] in ("pixels", "scene", "selection", "layer")]
        assert reads == [("pixels", (12, 4, 32, 28)), ("scene", (12, 4, 32, 28))]
        assert paste.target == "harmonized" and len(paste.layers) == 2
        first, second = paste.layers
        assert first.visible and not second.visible and first.name.startswith("Harmonize #1 (seed ")
        for group in paste.layers:
            obj, shadow = group.layers
            assert obj.name.startswith("Harmonized object #") and shadow.name.startswith("Shadow #")
            assert obj.visible and shadow.visible and obj.mask_path and shadow.mask_path
            alpha = ellipse_mask(28, 32, 27.5 - 12, 17.5 - 4, 7.5, 5.5)
            box = harmonize.footprint_box(alpha)  # the ellipse's box, in image coordinates below
            assert (obj.x, obj.y, obj.width, obj.height) == (box.x + 12, box.y + 4, box.width, box.height)
            assert json.loads(obj.parasite)["role"] == "object" and json.loads(shadow.parasite)["role"] == "shadow"
            mask = np.frombuffer(Path(obj.mask_path).read_bytes(), np.uint8).reshape(box.height, box.width)
            assert np.array_equal(mask, alpha[box.y : box.y + box.height, box.x : box.x + box.width])
            assert shadow.x <= obj.x and shadow.x + shadow.width >= obj.x + obj.width
    finally:
        jobs.remove_job(folder)
    assert len(gemini_records(emulator)) == 2


def test_a_blocked_variation_costs_only_itself(backend, emulator):
    from emulator import Fault

    emulator.faults.append(Fault("IMAGE_SAFETY", count=1))
    op = ops.Harmonize(variations=2, seed=21)
    region, under, _alpha, _rect = scene_and_object(op)
    output = pipeline.run(op, region, None, backend, references=[under])
    assert [layer.provenance["role"] for layer in output.layers] == ["shadow", "object"]
    assert any("1 of 2 variations failed" in note for note in output.notes), output.notes
    assert any("1 of 2 variations did not come back" in note for note in output.notes), output.notes


@pytest.mark.parametrize(
    ("what", "words"),
    [
        ("scene", "scene: there is nothing visible under the object"),
        ("object", "object: the object layer is empty (fully transparent) where it lies"),
    ],
)
def test_a_missing_scene_or_object_is_explained_before_any_call(what, words):
    from tests.conftest import FakeBackend

    fake_backend = FakeBackend(actions=frozenset({"harmonize"}))
    op = ops.Harmonize()
    region, under, _alpha, _rect = scene_and_object(op)
    if what == "scene":
        under = np.zeros_like(under)
    else:
        region = np.zeros_like(region)
    with pytest.raises(ops.OperationError, match=re.escape(words)):
        pipeline.run(op, region, None, fake_backend, references=[under])
    assert not fake_backend.requests
