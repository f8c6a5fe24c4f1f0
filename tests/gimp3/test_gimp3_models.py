"""The offline engine's neural models in a real GIMP 3.0 and 3.2: Select Subject leaves a selection and no
layer; Replace Background and Upscale give what the models give outside GIMP; with the model files
pointed away, both still work (classically) and say so. One GIMP start per case, apart from the main
suite (test_gimp3.py), so these run alone with -k."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from plugin.engine import cutout_neural, upscale_esrgan, upscale_neural
from plugin.engine.upscale import upscale as classical_upscale

from .test_gimp3 import _assert_scenario, _drive

DATA = Path(__file__).resolve().parents[1] / "data"
NOTE = "model is not installed"


@pytest.fixture(scope="module")
def model_reports(gimp_root):
    def drive(scenarios: list[str], env: dict) -> dict:
        report = _drive(gimp_root, scenarios, env={"IMAGEN_GIMP_WARM": "0", **env})
        report["results"] = {}
        for name, (path, width, height) in report.get("models", {}).items():
            raw = gimp_root.inside(path)  # read before the next session writes the same file
            report["results"][name] = np.frombuffer(raw.read_bytes(), np.uint8).reshape(height, width, 4)
            raw.unlink()
        return report

    return {
        "present": drive(["subject", "models"], {}),
        "missing": drive(["models"], {"IMAGEN_GIMP_MODELS": "/nonexistent"}),
    }


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return float("inf") if mse == 0 else float(10 * np.log10(255.0**2 / mse))


def test_gimp3_select_subject_leaves_a_selection_and_no_layer(model_reports):
    _assert_scenario(model_reports["present"], "subject")


def test_gimp3_background_and_upscale_use_the_models(model_reports):
    report = model_reports["present"]
    _assert_scenario(report, "models")
    assert NOTE not in report["console"]
    # the pixels as GIMP decoded them: GrabCut's call on the dark stand beside the helmet can turn on a
    # level's difference in the JPEG decoding (Pillow's against GIMP's), so compare like with like
    astronaut = np.ascontiguousarray(report["results"]["background-source"][..., :3])
    neural, note = cutout_neural.find_subject(astronaut)
    assert note == ""
    alpha = report["results"]["background"][..., 3]
    agree = ((alpha >= 128) == (neural >= 128)).mean()
    assert agree > 0.99, agree
    cat = np.asarray(Image.open(DATA / "cat.jpg").convert("RGBA"))
    waifu, _ = upscale_neural.upscale(cat, 2)
    got = report["results"]["upscale"][..., :3]
    # the model's answer is a fifth classical, so the two are close (~44 dB on the cat); GIMP's must be
    # far closer to the model's than to the classical one
    assert _psnr(got, waifu[..., :3]) > _psnr(got, classical_upscale(cat, 2)[..., :3]) + 6
    corner = np.ascontiguousarray(cat[100:124, 200:224])  # the selection the driver made
    esrgan, _ = upscale_esrgan.upscale(corner, 4)
    got = report["results"]["upscale-esrgan"][..., :3]
    assert got.shape == (96, 96, 3)
    assert _psnr(got, esrgan[..., :3]) > _psnr(got, classical_upscale(corner, 4)[..., :3]) + 6


def test_gimp3_without_the_models_the_actions_work_classically_and_say_so(model_reports):
    report = model_reports["missing"]
    _assert_scenario(report, "models")
    assert "U-2-Net-p cut-out " + NOTE in report["console"] and "waifu2x photo " + NOTE in report["console"]
    assert "Real-ESRGAN x4plus " + NOTE in report["console"]
    cat = np.asarray(Image.open(DATA / "cat.jpg").convert("RGBA"))
    waifu, _ = upscale_neural.upscale(cat, 2)
    got = report["results"]["upscale"][..., :3]
    assert _psnr(got, classical_upscale(cat, 2)[..., :3]) > _psnr(got, waifu[..., :3]) + 6
