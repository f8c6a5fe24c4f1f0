"""Job folders (link/jobs.py): the lock and the sweep of folders a killed plug-in left."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from plugin.link import jobfiles, jobs

REPO = Path(__file__).resolve().parents[1]


# -- job folders: the lock and the sweep of folders a killed plug-in left -------------------------

needs_flock = pytest.mark.skipif(jobs.fcntl is None, reason="no fcntl (Windows): no locks, no sweep")

PLUGIN_WITH_A_JOB = """
import sys, tempfile
sys.path.insert(0, {repo!r})
tempfile.tempdir = {tmp!r}
from plugin.link import jobs
folder = jobs.make_job({{"action": "remove"}}, 2, 2, (0, 0), b"\\0" * 16, b"\\xff" * 4)
print(folder)
sys.stdout.flush()
sys.stdin.read()  # holds the job (and its lock) until the test closes stdin or kills it
"""


@pytest.fixture
def job_tmp(monkeypatch, tmp_path):
    """The temp dir make_job uses: an empty folder of the test's own."""
    import tempfile

    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    monkeypatch.delenv("IMAGEN_GIMP_KEEP_JOBS", raising=False)
    return folder


def new_job() -> str:
    return jobs.make_job({"action": "remove"}, 2, 2, (0, 0), b"\0" * 16, b"\xff" * 4)


def start_plugin(job_tmp: Path) -> tuple[subprocess.Popen, Path]:
    """A plug-in process in the middle of a job: its folder exists and its lock is held."""
    code = PLUGIN_WITH_A_JOB.format(repo=str(REPO), tmp=str(job_tmp))
    process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    folder = Path(process.stdout.readline().strip())
    assert (folder / jobfiles.INPUT_FILE).is_file() and (folder / jobfiles.LOCK_FILE).is_file()
    return process, folder


def stale_folder(path: Path) -> Path:
    """What a killed plug-in leaves: a job folder with a lock file nobody holds."""
    path.mkdir()
    (path / jobfiles.LOCK_FILE).write_bytes(b"")
    (path / jobfiles.INPUT_FILE).write_bytes(b"pixels")
    (path / jobfiles.JOB_FILE).write_text("{}")
    return path


def tree(root: Path) -> list[str]:
    """Every path under root, symlinks listed but not followed."""
    found = []
    for folder, dirs, files in os.walk(root):
        found += [os.path.relpath(os.path.join(folder, name), root) for name in dirs + files]
    return sorted(found)


@needs_flock
def test_the_next_job_removes_the_folder_of_a_killed_plugin(job_tmp):
    """GIMP's Cancel SIGKILLs the plug-in, which cannot remove its folder (a copy of the user's
    pixels); the next job, in any GIMP of this user, does."""
    process, left = start_plugin(job_tmp)
    process.kill()
    process.wait()
    process.stdout.close()
    process.stdin.close()
    assert left.is_dir()
    folder = new_job()
    try:
        assert not left.exists()
        assert os.listdir(job_tmp) == [os.path.basename(folder)]
        assert set(os.listdir(folder)) == {
            jobfiles.INPUT_FILE,
            jobfiles.JOB_FILE,
            jobfiles.LOCK_FILE,
            jobfiles.SELECTION_FILE,
        }
    finally:
        jobs.remove_job(folder)
    assert list(job_tmp.iterdir()) == []


@needs_flock
def test_a_job_running_in_another_process_is_left_alone(job_tmp):
    process, running = start_plugin(job_tmp)
    try:
        before = tree(running)
        folder = new_job()
        jobs.remove_job(folder)
        assert jobs.sweep_stale_jobs() == []
        assert tree(running) == before
    finally:
        process.stdin.close()  # the process ends without removing its folder: now it is stale
        process.wait()
        process.stdout.close()
    assert jobs.sweep_stale_jobs() == [str(running)]
    assert list(job_tmp.iterdir()) == []


@needs_flock
def test_a_job_of_this_process_is_left_alone(job_tmp):
    """flock locks belong to the open file: the sweep's own descriptor conflicts with the job's."""
    first = new_job()
    second = new_job()
    try:
        assert os.path.isfile(os.path.join(first, jobfiles.INPUT_FILE))
        assert jobs.sweep_stale_jobs() == []
    finally:
        jobs.remove_job(first)
        jobs.remove_job(second)
    assert list(job_tmp.iterdir()) == [] and first not in jobs._LOCKS and second not in jobs._LOCKS


@needs_flock
def test_a_lock_held_by_someone_else_keeps_the_folder(job_tmp):
    import fcntl

    held = stale_folder(job_tmp / "imagen-gimp-held")
    with open(held / jobfiles.LOCK_FILE) as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        assert jobs.sweep_stale_jobs() == []
        assert (held / jobfiles.INPUT_FILE).exists()
    assert jobs.sweep_stale_jobs() == [str(held)]


@needs_flock
def test_the_sweep_touches_nothing_but_our_unlocked_folders(job_tmp, tmp_path):
    ours = stale_folder(job_tmp / "imagen-gimp-ours")
    (ours / "sub").mkdir()
    (ours / "sub" / "file").write_bytes(b"x")
    outside = stale_folder(tmp_path / "outside")
    (ours / "link-out").symlink_to(outside)  # removing ours removes the link, not what it points to
    stale_folder(job_tmp / "other-app-1234")  # not our prefix
    stale_folder(job_tmp / "imagen-gimpish")  # nearly
    (job_tmp / "imagen-gimp-link").symlink_to(outside)  # a symlink to a stale-looking folder
    lock_link = job_tmp / "imagen-gimp-lock-link"
    lock_link.mkdir()
    (lock_link / jobfiles.LOCK_FILE).symlink_to(outside / jobfiles.LOCK_FILE)  # the lock file a symlink
    (lock_link / jobfiles.INPUT_FILE).write_bytes(b"x")
    old = job_tmp / "imagen-gimp-old"  # no lock file: an older version's, a kept one, or being made
    old.mkdir()
    (old / jobfiles.INPUT_FILE).write_bytes(b"x")
    (job_tmp / "imagen-gimp-py27-abc123").mkdir()  # tests/py27_root.sh's work folder
    (job_tmp / "imagen-gimp-file").write_bytes(b"x")
    (job_tmp / "imagen-gimp-dir-lock").mkdir()
    (job_tmp / "imagen-gimp-dir-lock" / jobfiles.LOCK_FILE).mkdir()  # a lock "file" that is a folder
    everything = tree(tmp_path)
    assert jobs.sweep_stale_jobs() == [str(ours)]
    assert tree(tmp_path) == [path for path in everything if not path.startswith("tmp/imagen-gimp-ours")]


@needs_flock
def test_another_users_folder_is_left_alone(job_tmp, monkeypatch):
    theirs = stale_folder(job_tmp / "imagen-gimp-theirs")
    monkeypatch.setattr(jobs.os, "getuid", lambda: os.stat(theirs).st_uid + 1)
    assert jobs.sweep_stale_jobs() == []
    monkeypatch.undo()
    assert jobs.sweep_stale_jobs(str(job_tmp)) == [str(theirs)]


@needs_flock
def test_a_failing_sweep_does_not_stop_the_job(job_tmp, monkeypatch, capsys):
    stale = stale_folder(job_tmp / "imagen-gimp-stale")

    def broken(path):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(jobs, "_remove_if_stale", broken)
    folder = new_job()
    assert os.path.isfile(os.path.join(folder, jobfiles.JOB_FILE)) and stale.is_dir()
    jobs.remove_job(folder)
    assert f"cannot remove the old job folder {stale}" in capsys.readouterr().err
    assert jobs.sweep_stale_jobs(str(job_tmp / "missing")) == []
    assert "cannot look for old job folders" in capsys.readouterr().err


@needs_flock
def test_kept_jobs_are_never_swept(job_tmp, monkeypatch):
    stale = stale_folder(job_tmp / "imagen-gimp-stale")
    monkeypatch.setenv("IMAGEN_GIMP_KEEP_JOBS", "1")
    kept = new_job()
    assert stale.is_dir()  # keeping jobs: no sweep either, a cancelled job's folder stays to look at
    jobs.remove_job(kept)
    assert set(os.listdir(kept)) == {jobfiles.INPUT_FILE, jobfiles.JOB_FILE, jobfiles.SELECTION_FILE}
    monkeypatch.delenv("IMAGEN_GIMP_KEEP_JOBS")
    folder = new_job()
    jobs.remove_job(folder)
    assert os.listdir(job_tmp) == [os.path.basename(kept)]


def test_a_job_that_cannot_be_written_leaves_nothing(job_tmp):
    with pytest.raises(ValueError, match="pixel data"):
        jobs.make_job({"action": "remove"}, 2, 2, (0, 0), b"\0" * 15, None)
    assert list(job_tmp.iterdir()) == [] and not jobs._LOCKS


def test_without_fcntl_jobs_work_as_before(job_tmp, monkeypatch):
    """Windows has no flock: no lock file, no sweep; each job still removes its own folder."""
    stale = stale_folder(job_tmp / "imagen-gimp-stale")
    monkeypatch.setattr(jobs, "fcntl", None)
    folder = new_job()
    assert not os.path.exists(os.path.join(folder, jobfiles.LOCK_FILE)) and stale.is_dir()
    jobs.remove_job(folder)
    assert os.listdir(job_tmp) == [stale.name]
