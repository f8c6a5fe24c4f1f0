"""One call up to the paste (hosts/job_client.py), on the tests' FakeHost; the shared host code under Python 2.7."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from host_support import FakeHost, values_for

from plugin import errors
from plugin.hosts import job_client
from plugin.link import jobs

REPO = Path(__file__).resolve().parents[1]


def test_progress_fraction_stays_in_the_bar():
    assert job_client.progress_fraction(-1) == 0.05 and job_client.progress_fraction(2) == pytest.approx(0.9)


def _python27_works() -> bool:
    if not shutil.which("python2.7"):
        return False
    env = dict(os.environ, PYENV_VERSION="2.7.18")
    return subprocess.run(["python2.7", "-c", "pass"], env=env, capture_output=True).returncode == 0


@pytest.mark.skipif(not _python27_works(), reason="no Python 2.7 to check GIMP 2.10 compatibility")
def test_shared_host_code_imports_under_python_2_7():
    """GIMP 2.10's Python is 2.7: the shared host code must import and plan there too."""
    code = (
        "from plugin import actions, errors, params, regions; from plugin.geometry import Rect; "
        "from plugin.hosts import pixel_bytes, interface, job_client, paste_plan, procedures; "
        "from plugin.link import jobfiles, jobs, warm_channel, warm_client, worker_client; "
        "from plugin.hosts import operation as host_op; "
        "op = host_op.build_operation('remove', {'prompt': 'x'}); "
        "print(regions.plan_input('remove', op, Rect(0,0,99,99), Rect(0,0,99,99), Rect(10,10,5,5)).rect)"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO), PYENV_VERSION="2.7.18")
    done = subprocess.run(["python2.7", "-c", code], cwd=REPO, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "Rect(x=0, y=0" in done.stdout


def test_run_job_reads_the_roi_runs_the_worker_and_plans_the_paste(monkeypatch):
    monkeypatch.setenv("IMAGEN_GIMP_PYTHON", sys.executable)
    host = FakeHost()
    marks = []
    values = values_for("remove", backend="local", context=20, grow=0, feather=0)
    paste, folder = job_client.run_job("remove", values, host, str(REPO), marks.append)
    try:
        assert ("pixels", (0, 0, 50, 40)) in host.calls and ("selection", (0, 0, 50, 40)) in host.calls
        assert paste.target == "layers" and len(paste.layers) == 1 and paste.group_name.startswith("Remove")
        layer = paste.layers[0]
        assert 0 <= layer.x <= 20 and 30 <= layer.x + layer.width <= 50 and layer.mask_path
        assert [mark for mark in marks if not mark.startswith("worker ")] == ["read", "job folder", "worker"]
        assert host.calls[-1][0] in ("progress", "message")
    finally:
        jobs.remove_job(folder)


def test_run_job_failure_removes_the_job_folder(monkeypatch, tmp_path):
    monkeypatch.setenv("IMAGEN_GIMP_PYTHON", sys.executable)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with pytest.raises(errors.HostError, match="Vertex AI"):
        job_client.run_job("insert", values_for("insert", backend="local", prompt="a hat"), FakeHost(), str(REPO))
    assert list(tmp_path.iterdir()) == []


def test_run_job_sends_the_reference_layers_whole(cloud_worker):
    host = FakeHost()
    values = values_for("customize", prompt="a mug on a beach", reference_layers="Mug, Sketch", variations=2, seed=3)
    paste, folder = job_client.run_job("customize", values, host, str(REPO))
    try:
        assert [c for c in host.calls if c[0] in ("layer", "pixels", "selection")] == [
            ("layer", "Mug"),
            ("layer", "Sketch"),
        ]
        assert paste.target == "new-image" and len(paste.layers) == 2
        assert json.loads(paste.layers[0].parasite)["parameters"]["reference_layers"] == ["Mug", "Sketch"]
    finally:
        jobs.remove_job(folder)
    from tests.gemini_support import picture

    parts = cloud_worker.generate_bodies()[-1]["contents"][0]["parts"]
    sent = [picture(part) for part in parts if "inlineData" in part]
    assert "keep its identity" in parts[-1]["text"]
    assert [p.shape[:2] for p in sent] == [(50, 30), (20, 20)]
    assert tuple(sent[0][5, 5]) == (200, 16, 16)


def test_run_job_without_names_uses_the_selected_layer(cloud_worker):
    host = FakeHost()
    values = values_for("customize", prompt="in this style", kind="style")
    paste, folder = job_client.run_job("customize", values, host, str(REPO))
    jobs.remove_job(folder)
    assert ("layer", "Photo") in host.calls and paste.target == "new-image"
    parts = cloud_worker.generate_bodies()[-1]["contents"][0]["parts"]
    assert len(parts) == 2 and "in the style of the reference" in parts[-1]["text"]


def test_run_job_with_a_wrong_reference_name_reads_nothing(monkeypatch):
    monkeypatch.setenv("IMAGEN_GIMP_PYTHON", sys.executable)
    host = FakeHost()
    with pytest.raises(errors.HostError, match="no layer called 'Mugg'"):
        job_client.run_job("customize", values_for("customize", prompt="x", reference_layers="Mugg"), host, str(REPO))
    assert not [c for c in host.calls if c[0] in ("layer", "pixels")]


def test_run_job_keeps_finished_variations_when_a_later_one_fails(monkeypatch):
    monkeypatch.setenv("IMAGEN_GIMP_PYTHON", sys.executable)
    monkeypatch.setenv("IMAGEN_GIMP_WORKER_MODULE", "tests.partial_worker")
    host = FakeHost()
    values = values_for("remove", backend="local", variations=3)
    paste, folder = job_client.run_job("remove", values, host, str(REPO))
    try:
        assert len(paste.layers) == 1 and paste.layers[0].name == "Remove Object #1 (seed 5)"
        messages = [call[1] for call in host.calls if call[0] == "message"]
        assert any("only 1 of 3 variations were made, then: Quota exceeded" in text for text in messages)
    finally:
        jobs.remove_job(folder)


def test_run_call_pastes_through_the_hosts_writer_and_removes_the_job_folder(monkeypatch, tmp_path):
    """The controller both GIMPs run (job_client.run_call): read, worker, paste through host.writer()."""
    monkeypatch.setenv("IMAGEN_GIMP_PYTHON", sys.executable)
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    host = FakeHost()
    photo = host.layer.pixels
    values = values_for("remove", backend="local", context=20, grow=0, feather=0)
    assert job_client.run_call("remove", values, host, str(REPO)) is host.image
    group = host.image.layers[0]
    assert group.name.startswith("Remove") and host.image.layers[1:] == [host.layer] and host.layer.pixels == photo
    pasted = group.children[0]
    assert pasted.mask is not None and len(pasted.pixels) == pasted.width * pasted.height * 4
    assert host.image.undo_groups == 1 and host.image.outside_group == [] and list(tmp_path.iterdir()) == []
    host = FakeHost()
    before = host.image.tree()
    host.image.fail = ("add_mask", 1)
    with pytest.raises(RuntimeError, match="injected failure in add_mask"):
        job_client.run_call("remove", values, host, str(REPO))
    assert host.image.tree() == before and list(tmp_path.iterdir()) == []
