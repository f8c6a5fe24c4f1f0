"""Real-ESRGAN, the offline Upscale's opt-in model: it runs, tiles join, its cost is said before it runs
(dialog cost line, CLI), regions over its limit are refused before any work, and a missing model
falls back to the classical upscale with a note. Needs the model files from ./install.sh; the
pictures are tiny because the model costs about half a minute per 100 x 100 pixels on two cores.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from plugin import model_files, ops, upscale_cost
from plugin.backends.base import BackendError, EditRequest
from plugin.backends.local import LocalBackend
from plugin.engine import ncnn_tiles, upscale_esrgan
from plugin.hosts import procedures
from ui import cost as costs

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


@pytest.fixture(autouse=True)
def _model_installed(monkeypatch):
    monkeypatch.delenv("IMAGEN_GIMP_MODELS", raising=False)
    assert model_files.paths("realesrgan-x4plus"), "Real-ESRGAN missing; run ./install.sh (it fetches it)"


def _small_photo(side: int = 32) -> np.ndarray:
    """A side x side piece of the cat photo at a quarter size: fur, eyes, edges."""
    cat = Image.open(DATA / "cat.jpg").convert("RGBA").reduce(4)
    return np.ascontiguousarray(np.asarray(cat)[16 : 16 + side, 24 : 24 + side])


def _sharpness(rgb: np.ndarray) -> float:
    grey = rgb[..., :3].astype(np.float64).mean(axis=2)
    return float(np.mean(np.abs(np.diff(grey, axis=0))) + np.mean(np.abs(np.diff(grey, axis=1))))


def _op(**fields) -> ops.Operation:
    return ops.from_dict({"action": "upscale", "backend": "local", "offline_model": "realesrgan", **fields})


def test_realesrgan_keeps_the_picture_and_is_sharper_than_lanczos():
    rgba = _small_photo()
    result = LocalBackend().run(EditRequest(op=_op(factor=4), image=rgba))
    out = result.images[0]
    assert result.notes == [] and out.shape == (128, 128, 4) and (out[..., 3] == 255).all()
    back = np.asarray(Image.fromarray(out).reduce(4)).astype(float)  # reduced again: the same picture
    assert np.abs(back[..., :3] - rgba[..., :3]).mean() < 8
    lanczos = np.asarray(Image.fromarray(rgba).resize((128, 128), Image.Resampling.LANCZOS))
    assert _sharpness(out) > 1.2 * _sharpness(lanczos)


def test_x2_is_the_x4_answer_reduced_and_tiles_join(monkeypatch):
    rgba = _small_photo(24)
    whole, _ = upscale_esrgan.upscale(rgba, 2)
    monkeypatch.setattr(upscale_esrgan, "TILE", 12)
    tiled, note = upscale_esrgan.upscale(rgba, 2)
    assert note == "" and whole.shape == tiled.shape == (48, 48, 4)
    assert np.abs(whole.astype(int) - tiled.astype(int)).mean() < 2.0


def test_a_region_over_the_limit_is_refused_before_any_work(monkeypatch):
    monkeypatch.setattr(ncnn_tiles, "open_model", lambda *args: pytest.fail("the model was loaded"))
    big = np.zeros((600, 600, 4), np.uint8)
    with pytest.raises(BackendError, match=r"600x600 .* limit is 0\.25 MP .* smaller area, or choose the waifu2x"):
        LocalBackend().run(EditRequest(op=_op(factor=2), image=big))


def test_without_the_model_the_classical_upscale_runs_and_says_so(monkeypatch, tmp_path):
    monkeypatch.setenv("IMAGEN_GIMP_MODELS", str(tmp_path / "none"))
    rgba = _small_photo()
    result = LocalBackend().run(EditRequest(op=_op(factor=2), image=rgba))
    assert result.images[0].shape == (64, 64, 4)
    assert any("Real-ESRGAN" in note and "install.sh" in note for note in result.notes)


def test_an_unknown_offline_model_is_refused():
    with pytest.raises(ops.OperationError, match="offline_model"):
        _op(offline_model="esrgan")


def _dialog_values(**overrides) -> dict:
    values = {p.name: p.default for p in procedures.PROCEDURE_BY_ACTION["upscale"].params}
    values.update(overrides)
    return values


def test_the_cost_line_states_time_and_memory_or_the_refusal():
    seconds, megabytes = upscale_cost.estimate(200, 150)
    line = costs.run_cost(
        "upscale", _dialog_values(backend="local", **{"offline-model": "realesrgan"}), None, (200, 150)
    )
    assert line.startswith("Runs offline on this computer: no charge. Real-ESRGAN: about ")
    took = f"{round(seconds)} s" if seconds < 90 else f"{round(seconds / 60)} min"
    assert seconds > 60 and f"{took} and {megabytes / 1000:.1f} GB of memory for this 200x150 area" in line
    over = costs.run_cost(
        "upscale", _dialog_values(backend="local", **{"offline-model": "realesrgan"}), None, (800, 600)
    )
    assert "800x600 area" in over and "limit is 0.25 MP" in over
    plain = costs.run_cost("upscale", _dialog_values(backend="local"), None, (800, 600))
    assert plain == "Runs offline on this computer: no charge."


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {
        "HOME": str(cwd),
        "PATH": "/usr/bin:/bin",
        "IMAGEN_GIMP_CONFIG": str(cwd / "none.toml"),
        "PYTHONPATH": str(ROOT),
        "IMAGEN_GIMP_WARM": "0",
    }
    return subprocess.run(
        [sys.executable, "-m", "plugin", *args, "--quiet"],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=600,
    )


def test_the_cli_says_the_cost_before_it_runs_and_refuses_a_large_region(tmp_path):
    Image.fromarray(_small_photo(20)).save(tmp_path / "small.png")
    Image.new("RGB", (700, 400), "grey").save(tmp_path / "large.png")
    done = _cli(
        "upscale",
        "small.png",
        "--backend",
        "local",
        "--offline-model",
        "realesrgan",
        "--factor",
        "4",
        "-o",
        "out.png",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "Real-ESRGAN: about " in done.stderr and "for this 20x20 area (on the local engine)" in done.stderr
    assert Image.open(tmp_path / "out.png").size == (80, 80)
    refused = _cli(
        "upscale", "large.png", "--backend", "local", "--offline-model", "realesrgan", "-o", "big.png", cwd=tmp_path
    )
    assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "700x400 area" in refused.stderr and "waifu2x" in refused.stderr
    assert not (tmp_path / "big.png").exists()
