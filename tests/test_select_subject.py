"""Select Subject end to end without GIMP: the action table entry, the command line's mask file, the paste
plan the one paste executor applies (hosts/paste_exec.py), and Check Setup's model lines."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PIL import Image

from plugin import actions, doctor, regions
from plugin.geometry import Rect
from plugin.hosts import paste_plan
from plugin.link import jobfiles

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


def cli(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        IMAGEN_GIMP_CONFIG=os.devnull + ".toml",
        IMAGEN_GIMP_WARM="0",
        **(env_extra or {}),
    )
    env.pop("GOOGLE_CLOUD_PROJECT", None)
    return subprocess.run(
        [sys.executable, "-m", "plugin", *args], capture_output=True, text=True, env=env, cwd=str(ROOT), timeout=300
    )


def test_the_action_table_entry():
    entry = actions.BY_NAME["subject"]
    assert entry in actions.MENU and entry.result == "selection" and entry.served == ("local",)
    assert "selection" in actions.RESULTS and entry.params == ()


def test_cli_writes_a_grey_mask_of_the_whole_picture(tmp_path):
    out = tmp_path / "mask.png"
    done = cli("subject", str(DATA / "astronaut.jpg"), "-o", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    mask = Image.open(out)
    assert mask.mode == "L" and mask.size == (512, 512)
    m = np.asarray(mask)
    assert m[60:100, 200:260].min() == 255  # her face
    assert m[5:40, 480:510].max() == 0  # the backdrop in the top-right corner
    assert ((m > 0) & (m < 255)).any()  # soft edges


def test_cli_with_a_selection_finds_the_subject_of_its_box_only(tmp_path):
    box = np.zeros((512, 512), np.uint8)
    box[300:512, 260:512] = 255  # around the helmet
    Image.fromarray(box).save(tmp_path / "box.png")
    out = tmp_path / "helmet.png"
    done = cli("subject", str(DATA / "astronaut.jpg"), "--mask", str(tmp_path / "box.png"), "-o", str(out), "--quiet")
    assert done.returncode == 0, done.stderr
    m = np.asarray(Image.open(out))
    assert m[box == 0].max() == 0
    assert (m[400:480, 320:460] >= 128).mean() > 0.9  # the helmet


def test_cli_without_the_model_says_so_and_still_selects(tmp_path):
    out = tmp_path / "mask.png"
    done = cli("subject", str(DATA / "cat.jpg"), "-o", str(out), env_extra={"IMAGEN_GIMP_MODELS": str(tmp_path)})
    assert done.returncode == 0, done.stderr
    assert "not installed" in done.stdout + done.stderr
    assert np.asarray(Image.open(out)).max() == 255


def test_paste_plan_targets_the_selection(tmp_path):
    grey = bytes(v for i in range(4 * 3) for v in (i * 20, i * 20, i * 20, 255))
    (tmp_path / "layer-0.rgba").write_bytes(grey)
    result = {
        "group": "Select Subject",
        "texts": [],
        "notes": [],
        "layers": [
            {
                "name": "Select Subject #1",
                "pixels": "layer-0.rgba",
                "mask": None,
                "x": 0,
                "y": 0,
                "width": 4,
                "height": 3,
                "provenance": {},
            }
        ],
    }
    jobfiles.write_json(str(tmp_path / "result.json"), result)
    where = regions.placement("subject", regions.InputPlan(Rect(10, 20, 4, 3), True, False, False))
    plan = paste_plan.plan_paste("subject", {}, str(tmp_path), result, where)
    assert plan.target == "selection" and len(plan.layers) == 1
    assert (plan.layers[0].x, plan.layers[0].y) == (10, 20)
    assert paste_plan.selection_bytes(plan.layers[0]) == bytes(i * 20 for i in range(12))


def test_check_setup_lists_each_model(monkeypatch, tmp_path):
    lines = {line.name: line for line in doctor._models()}
    assert lines["model u2netp"].ok and lines["model waifu2x-photo"].ok
    monkeypatch.setenv("IMAGEN_GIMP_MODELS", str(tmp_path))
    missing = doctor._models()
    assert all(line.ok is False and "install.sh" in line.fix for line in missing)
