"""The worker process: job folder in, JSON progress lines and result files out."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from plugin.link import jobfiles
from tests.conftest import ellipse_mask, photo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_worker(folder):
    env = dict(os.environ, IMAGEN_GIMP_CONFIG=os.path.join(folder, "none.toml"), PYTHONPATH=ROOT)
    env.pop("GOOGLE_CLOUD_PROJECT", None)
    done = subprocess.run(
        [sys.executable, "-m", "plugin.link.worker", folder],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    messages = [jobfiles.parse_message(line) for line in done.stdout.splitlines()]
    return done.returncode, messages, done.stderr


def write_remove_job(folder, operation, selection=None, origin=(10, 20)):
    """A job folder for the cat photo: an ellipse selected unless another `selection` (or a function of
    the photo's height and width giving one) is given."""
    image = photo("cat")
    height, width = image.shape[:2]
    if selection is None:
        selection = ellipse_mask(height, width, 190, 120, 30, 25)
    elif callable(selection):
        selection = selection(height, width)
    jobfiles.write_job(str(folder), operation, width, height, origin, image.tobytes(), selection.tobytes())
    return image, selection


LOCAL_REMOVE = {"action": "remove", "backend": "local"}


def _nothing(height, width):
    return np.zeros((height, width), np.uint8)


def _everything(height, width):
    return np.full((height, width), 255, np.uint8)


def _square(height, width):
    selection = np.zeros((height, width), np.uint8)
    selection[10:30, 10:30] = 255
    return selection


def test_worker_runs_a_removal_and_reports_progress(tmp_path):
    job = {"action": "remove", "variations": 2, "seed": 5, "backend": "local"}
    image, _ = write_remove_job(tmp_path, job)
    code, messages, stderr = run_worker(str(tmp_path))
    assert code == 0, stderr
    fractions = [m["progress"] for m in messages if "progress" in m]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) >= 4
    assert messages[-1]["done"] is True and messages[-1]["layers"] == 2
    result = jobfiles.read_result(str(tmp_path))
    assert result["complete"] and result["group"] == "Remove Object" and result["backend"] == "local"
    assert [layer["provenance"]["seed"] for layer in result["layers"]] == [5, 6]
    first = result["layers"][0]
    pixels, mask = jobfiles.read_layer_pixels(str(tmp_path), first)
    rgba = np.frombuffer(pixels, np.uint8).reshape(first["height"], first["width"], 4)
    layer_mask = np.frombuffer(mask, np.uint8).reshape(first["height"], first["width"])
    original = image[first["y"] : first["y"] + first["height"], first["x"] : first["x"] + first["width"]]
    keep = layer_mask == 0
    assert keep.any() and np.array_equal(rgba[keep], original[keep])
    assert not np.array_equal(rgba[layer_mask == 255], original[layer_mask == 255])


def test_worker_rejects_bad_parameters_with_exit_2(tmp_path):
    write_remove_job(tmp_path, {"action": "remove", "variations": 9})
    code, messages, _ = run_worker(str(tmp_path))
    assert code == 2
    assert messages[-1]["error"].startswith("variations: 9 is out of range; give 1 to 4")


def test_worker_explains_what_needs_the_cloud(tmp_path):
    write_remove_job(tmp_path, {"action": "insert", "prompt": "a hat", "backend": "local"})
    code, messages, _ = run_worker(str(tmp_path))
    assert code == 2
    assert "cannot do painting new content from a prompt" in messages[-1]["error"]
    assert "GOOGLE_CLOUD_PROJECT" in messages[-1]["error"]
    assert jobfiles.read_result(str(tmp_path))["layers"] == []


def test_worker_empty_selection_message(tmp_path):
    write_remove_job(tmp_path, LOCAL_REMOVE, _nothing, (0, 0))
    code, messages, _ = run_worker(str(tmp_path))
    assert code == 2 and "selection is empty" in messages[-1]["error"]


def test_job_files_refuse_wrong_sizes(tmp_path):
    import pytest

    with pytest.raises(ValueError, match="expected 16"):
        jobfiles.write_job(str(tmp_path), {}, 2, 2, (0, 0), b"123", None)
    assert json.loads(json.dumps(jobfiles.parse_message("not json"))) == {"log": "not json"}


def test_worker_full_selection_is_the_users_mistake_not_a_crash(tmp_path):
    write_remove_job(tmp_path, LOCAL_REMOVE, _everything, (0, 0))
    code, messages, stderr = run_worker(str(tmp_path))
    errors = [m for m in messages if "error" in m]
    assert code == jobfiles.EXIT_USER and len(errors) == 1 and "Traceback" not in stderr
    assert "nothing left to copy the fill from" in errors[0]["error"]


def test_worker_tells_a_bug_from_a_mistake(tmp_path):
    """A selection of another size than the pixels can only come from a host bug: exit 1, not 2."""
    write_remove_job(tmp_path, LOCAL_REMOVE, _nothing, (0, 0))
    with open(os.path.join(str(tmp_path), jobfiles.SELECTION_FILE), "wb") as handle:
        handle.write(b"\xff" * 10)  # truncated: the host wrote a wrong selection
    code, messages, stderr = run_worker(str(tmp_path))
    assert code == jobfiles.EXIT_BUG and any(m.get("kind") == "bug" for m in messages), (code, messages)


def test_an_os_error_inside_the_job_is_a_bug_not_the_users_fault(tmp_path, monkeypatch):
    """Only plugin.errors.UserError is the user's to fix; an OSError from deep inside is reported as a bug."""
    from plugin.link import job_runner

    write_remove_job(tmp_path, LOCAL_REMOVE, _square, (0, 0))

    def broken(*args, **kwargs):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(job_runner, "run", broken)
    with pytest.raises(OSError):  # not caught as a user error: plugin/link/worker.py reports it as a bug
        job_runner.run_job(str(tmp_path), lambda message: None, 0.0)
