"""The command line on real photos: the README's main command, file errors, JSON output."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from plugin import masks
from plugin.ops import InpaintRemove
from tests.conftest import DATA, ellipse_mask, photo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def cli(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=ROOT, IMAGEN_GIMP_CONFIG=os.devnull + ".toml")
    env.pop("GOOGLE_CLOUD_PROJECT", None)
    return subprocess.run(
        [sys.executable, "-m", "plugin", *args], capture_output=True, text=True, env=env, cwd=cwd or ROOT, timeout=300
    )


def read(path):
    return np.asarray(Image.open(path).convert("RGBA"))


def feathered_outside(selection):
    """Pixels the default removal may not touch: outside the grown, feathered mask."""
    defaults = InpaintRemove()
    weight = masks.weight_to_u8(masks.blend_weight(selection, defaults.grow, defaults.feather))
    return weight == 0


def edge_energy(rgba, where):
    """Mean horizontal step between neighbours inside `where`: high on a lattice, low on sky."""
    grey = rgba[..., :3].astype(float).mean(axis=2)
    steps = np.abs(np.diff(grey, axis=1))
    both = where[:, 1:] & where[:, :-1]
    return steps[both].mean()


def test_readme_main_command_removes_the_tower(tmp_path):
    out = tmp_path / "rocket-no-tower.png"
    done = cli(
        "remove", str(DATA / "rocket.jpg"), "--mask", str(DATA / "rocket-tower-mask.png"), "-o", str(out), "--seed", "1"
    )
    assert done.returncode == 0, done.stderr
    original, result = photo("rocket"), read(out)
    selection = read(DATA / "rocket-tower-mask.png")[..., 0]
    outside = feathered_outside(selection)
    assert np.array_equal(result[outside], original[outside])
    # the lattice was a dark-and-bright structure on smooth sky: the fill is smooth sky now
    hole = selection > 0
    hole[350:, :] = False  # the lights near the ground are busy in the original too
    assert edge_energy(result, hole) < 0.5 * edge_energy(original, hole)
    sky = original[150:300, 230:280, :3].reshape(-1, 3).astype(float).mean(axis=0)
    filled = result[130:300, 190:204, :3].reshape(-1, 3).astype(float).mean(axis=0)
    assert np.abs(filled - sky).max() < 25


@pytest.mark.parametrize("name,centre", [("cat", (330, 230)), ("coffee", (470, 120)), ("astronaut", (90, 420))])
def test_a_pasted_object_is_gone_and_nothing_else_changed(tmp_path, name, centre):
    image = photo(name).copy()
    height, width = image.shape[:2]
    selection = ellipse_mask(height, width, centre[0], centre[1], 24, 18)
    image[selection > 0] = (0, 255, 0, 255)  # a vivid green object no real photo here contains
    Image.fromarray(image).save(tmp_path / "in.png")
    Image.fromarray(selection).save(tmp_path / "mask.png")
    done = cli("remove", "in.png", "--mask", "mask.png", "-o", "out.png", "--seed", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    result = read(tmp_path / "out.png")
    outside = feathered_outside(selection)
    assert np.array_equal(result[outside], image[outside])
    green = (result[..., 1].astype(int) - np.maximum(result[..., 0], result[..., 2]).astype(int)) > 120
    assert green.sum() == 0


def test_variations_and_json_output(tmp_path):
    selection = ellipse_mask(300, 451, 200, 150, 20, 20)
    Image.fromarray(selection).save(tmp_path / "mask.png")
    done = cli(
        "remove",
        str(DATA / "cat.jpg"),
        "--mask",
        "mask.png",
        "--variations",
        "2",
        "--seed",
        "7",
        "-o",
        "cat.png",
        "--json",
        "--quiet",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert [item["path"] for item in summary["written"]] == ["cat-1.png", "cat-2.png"]
    assert [item["seed"] for item in summary["written"]] == [7, 8]
    assert summary["backend"] == "local"
    first, second = read(tmp_path / "cat-1.png"), read(tmp_path / "cat-2.png")
    assert not np.array_equal(first, second)  # different seeds, different fills


def test_outpaint_writes_the_grown_canvas(tmp_path):
    done = cli(
        "outpaint", str(DATA / "cat.jpg"), "--left", "40", "--bottom", "30", "-o", "wide.png", "--quiet", cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    result = read(tmp_path / "wide.png")
    assert result.shape == (330, 491, 4)
    assert np.array_equal(result[0:300, 40:491], photo("cat"))
    assert result[..., 3].min() == 255  # the new area is filled, not transparent


def test_bad_input_gets_one_line_and_exit_2(tmp_path):
    (tmp_path / "broken.png").write_bytes(b"not a picture")
    Image.fromarray(np.zeros((10, 10), np.uint8)).save(tmp_path / "small-mask.png")
    cat, tower = str(DATA / "cat.jpg"), str(DATA / "rocket-tower-mask.png")
    cases = [
        (("remove", "missing.jpg", "--mask", "small-mask.png"), "missing.jpg: no such file"),
        (("remove", "broken.png", "--mask", "small-mask.png"), "broken.png: not a readable picture"),
        (("remove", cat, "--mask", "small-mask.png"), "the mask is 10x10 but the image is 451x300"),
        (("remove", str(DATA / "cat.jpg")), "The selection is empty"),
        (("insert", cat, "--mask", tower), "prompt: is required"),
        (("generate", "--prompt", "a cat", "--backend", "local"), "cannot do creating a picture"),
        (("remove", str(DATA / "cat.jpg"), "--variations", "5"), "variations: 5 is out of range"),
    ]
    for args, expected in cases:
        done = cli(*args, cwd=tmp_path)
        assert done.returncode == 2, (args, done.stderr)
        assert expected in done.stderr, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "Traceback" not in done.stderr
