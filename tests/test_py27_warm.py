"""GIMP 2.10's path as a user takes it: a real Python 2.7, the project's real .venv worker, default settings.

The stub suite (tests/py27) swaps the worker for a pure-Python fake, which sends every job down the cold
path; that hid a client that failed on every call under 2.7 (socket.error and flock's failures are IOError
there, not OSError). Here nothing is swapped: the 2.7 interpreter is Debian 11's (the root that
tests/py27_root.sh builds), run on this machine through its own loader so that it can start the venv's
Python 3 like GIMP 2.10 does, with PYTHONHOME and PYTHONPATH set for itself as an embedding GIMP sets them
(they must not reach the worker). Each call is a new process, as GIMP starts a plug-in per call; the test
process plays GIMP (the worker's owner).
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from gimp3.rootfs import unavailable_reason

REPO = Path(__file__).resolve().parents[1]
CALL = REPO / "tests" / "py27" / "warm_call.py"
VENV_PYTHON = REPO / ".venv" / "bin" / "python"


def debian11_python27() -> list[str]:
    """The command that runs Debian 11's python2.7 here, on this machine's files (its loader and libraries)."""
    done = subprocess.run(
        ["bash", str(REPO / "tests" / "py27_root.sh"), "build"], capture_output=True, text=True, timeout=1800
    )
    assert done.returncode == 0, done.stderr[-3000:]
    root = done.stdout.strip().splitlines()[-1]
    libraries = ":".join(f"{root}{folder}" for folder in ("/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"))
    return [
        f"{root}/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
        "--library-path",
        libraries,
        f"{root}/usr/bin/python2.7",
    ]


@pytest.fixture(scope="module")
def python27():
    reason = unavailable_reason() or (None if os.uname().machine == "x86_64" else "the root's loader is x86_64")
    if reason:
        pytest.skip(reason)
    if not VENV_PYTHON.exists():
        pytest.skip("no .venv: run ./install.sh first")  # never in CI, which installs before testing
    return debian11_python27()


@pytest.fixture
def gimp_session(tmp_path, python27):
    """What one GIMP 2.10 session gives its plug-ins: a home without settings, a private runtime folder."""
    home = tmp_path / "home"
    home.mkdir()
    runtime = Path(tempfile.mkdtemp(prefix="i27-", dir="/tmp"))  # short: a socket path holds ~100 bytes
    root_usr = str(Path(python27[-1]).parents[1])
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "LANG": "C.UTF-8",
        "PYTHONHOME": root_usr,
        "PYTHONPATH": f"{REPO / 'tests' / 'gimpfu_stub'}:{REPO}",
    }
    session = {"env": env, "runtime": runtime, "python": python27, "home": home, "tmp": tmp_path, "n": 0}
    yield session
    for record in glob.glob(str(runtime / "imagen-gimp" / "w-*.pid")):
        _kill(json.loads(Path(record).read_text()).get("pid"))
    shutil.rmtree(runtime, ignore_errors=True)


def _kill(pid) -> None:
    try:
        os.kill(int(pid), signal.SIGKILL)
    except (OSError, TypeError, ValueError):
        pass


def call(session: dict) -> dict:
    session["n"] += 1
    out = session["tmp"] / f"call{session['n']}.json"
    done = subprocess.run(
        [*session["python"], "-B", str(CALL), str(out)],
        env=session["env"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=session["tmp"],
    )
    assert done.returncode == 0 and out.exists(), done.stderr[-3000:]
    report = json.loads(out.read_text())
    report["stderr"] = done.stderr
    assert report["python"].startswith("2.7."), report["python"]
    log = session["home"] / ".cache" / "imagen-gimp" / "last-error.log"
    assert report["ok"], (
        report.get("messages"),
        report.get("traceback"),
        done.stderr[-2000:],
        log.read_text()[-3000:] if log.exists() else "",
    )
    return report


def worker_pid(session: dict) -> int:
    records = glob.glob(str(session["runtime"] / "imagen-gimp" / "w-*.pid"))
    assert len(records) == 1, records
    return int(json.loads(Path(records[0]).read_text())["pid"])


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()[0]
    return state not in ("Z", "X")


def assert_removed(report: dict) -> None:
    """The result layers came in one group, the fill changed the selected area, the source layer did not."""
    assert report["before"] == report["after"]
    assert len(report["groups"]) == 1 and report["groups"][0].startswith("Remove Object")
    assert len(report["layers"]) == 1 and report["layers"][0]["mask"]
    assert report["layers"][0]["changed_inside"] > 50
    assert "cannot be used" not in report["stderr"], report["stderr"]  # no fallback to a cold run


def test_remove_object_twice_then_after_the_worker_died(gimp_session):
    first = call(gimp_session)
    assert_removed(first)
    pid = worker_pid(gimp_session)
    assert alive(pid)  # the first call started the worker and handed it the job

    second = call(gimp_session)
    assert_removed(second)
    assert worker_pid(gimp_session) == pid and alive(pid)  # the same worker served the second call
    placed = [{k: v for k, v in layer.items() if k not in ("name", "changed_inside")} for layer in first["layers"]]
    assert [
        {k: v for k, v in layer.items() if k not in ("name", "changed_inside")} for layer in second["layers"]
    ] == placed  # each call picks a new seed; the placement is the same

    os.kill(pid, signal.SIGKILL)
    deadline = time.time() + 10
    while alive(pid) and time.time() < deadline:
        time.sleep(0.05)
    third = call(gimp_session)
    assert_removed(third)
    assert worker_pid(gimp_session) != pid
    assert any("had stopped" in message for message in third["messages"]), third["messages"]


def test_gimps_own_python_settings_never_reach_the_worker(gimp_session):
    """PYTHONHOME points at Debian 11's 2.7 library: a venv Python 3 that got it would not even start."""
    call(gimp_session)
    pid = worker_pid(gimp_session)
    environ = dict(item.split("=", 1) for item in Path(f"/proc/{pid}/environ").read_text().split("\0") if "=" in item)
    assert "PYTHONHOME" not in environ
    assert environ["PYTHONPATH"] == str(REPO)


def test_a_hung_worker_is_replaced(gimp_session):
    call(gimp_session)
    pid = worker_pid(gimp_session)
    os.kill(pid, signal.SIGSTOP)  # alive, holding its lock and socket, answering nothing
    gimp_session["env"]["IMAGEN_GIMP_WORKER_PING"] = "1"
    try:
        report = call(gimp_session)
    finally:
        _kill(pid)
    assert_removed(report)
    assert worker_pid(gimp_session) != pid
    assert any("did not answer" in message for message in report["messages"]), report["messages"]


def test_an_unsafe_socket_folder_runs_the_job_cold(gimp_session):
    """A folder others may enter is refused (never repaired): the call still succeeds, in a worker of its own."""
    folder = gimp_session["runtime"] / "imagen-gimp"
    folder.mkdir(mode=0o700)
    folder.chmod(0o755)
    report = call(gimp_session)
    assert report["before"] == report["after"] and len(report["layers"]) == 1
    assert "cannot be used" in report["stderr"] and "0700" in report["stderr"]
    assert not list(folder.iterdir())  # no worker was started there
