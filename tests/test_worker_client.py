"""The cold worker run (link/worker_client.py): progress, messages, cancel, the venv's Python, the worker's end."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from plugin import errors
from plugin.link import jobs, worker_client

REPO = Path(__file__).resolve().parents[1]


# -- worker ---------------------------------------------------------------------------------------

FAKE = textwrap.dedent("""
    import json, os, sys, time
    folder = sys.argv[1]
    mode = json.load(open(os.path.join(folder, "job.json")))["operation"]["prompt"]
    print(json.dumps({"progress": 0.25, "stage": "working"}), flush=True)
    print("a log line", flush=True)
    if mode == "user":
        print(json.dumps({"error": "fix the thing", "kind": "config"}), flush=True); sys.exit(2)
    if mode == "crash":
        sys.stderr.write("Traceback: boom\\n"); sys.exit(1)
    if mode == "slow":
        for i in range(100):
            print(json.dumps({"progress": i / 100.0, "stage": "slow"}), flush=True); time.sleep(0.05)
    sys.stderr.write("x" * 200000)  # a lot of stderr must not block the worker
    print(json.dumps({"progress": 1.0, "stage": "done"}), flush=True)
""")


def run_fake(tmp_path: Path, prompt: str, on_progress=None) -> worker_client.WorkerOutcome:
    script = tmp_path / "fake_worker.py"
    script.write_text(FAKE)
    folder = jobs.make_job({"action": "remove", "prompt": prompt}, 2, 2, (0, 0), b"\0" * 16, b"\xff" * 4)
    try:
        return worker_client.run_worker(
            sys.executable, str(REPO), folder, on_progress, command=[sys.executable, str(script), folder]
        )
    finally:
        jobs.remove_job(folder)
        assert not os.path.exists(folder)


def test_worker_progress_lines_reach_the_host(tmp_path):
    seen = []
    outcome = run_fake(tmp_path, "ok", lambda fraction, stage: seen.append((fraction, stage)))
    assert outcome.returncode == 0 and not outcome.error and not outcome.cancelled
    assert seen[0] == (0.25, "working") and seen[-1] == (1.0, "done")
    assert worker_client.outcome_error("Remove Object", outcome) is None


def test_user_errors_and_crashes_become_messages(tmp_path):
    outcome = run_fake(tmp_path, "user")
    message = worker_client.outcome_error("Remove Object", outcome)
    assert message.startswith("Remove Object: fix the thing.") and "Credentials" in message
    assert "not changed" in message
    outcome = run_fake(tmp_path, "crash")
    message = worker_client.outcome_error("Remove Object", outcome)
    assert "crashed (exit code 1)" in message and "Traceback: boom" in message
    assert "not something you did" in message and not worker_client.users_to_fix(outcome)


def test_a_crash_is_a_bug_with_its_log_kept(tmp_path, monkeypatch):
    """Anything but a named kind of user error is the plug-in's fault: said so, and the log is kept."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    outcome = worker_client.WorkerOutcome(2, "list index out of range", "ValueError", False, "Traceback: deep", 0.1)
    message = worker_client.outcome_error("Remove Object", outcome)
    log = tmp_path / "cache" / "imagen-gimp" / "last-error.log"
    assert "bug in the plug-in" in message and str(log) in message and log.read_text() == "Traceback: deep"
    assert not worker_client.users_to_fix(outcome)
    named = outcome._replace(kind="selection", error="The selection is empty")
    assert worker_client.users_to_fix(named) and "bug" not in worker_client.outcome_error("Remove Object", named)


def test_cancel_kills_the_worker(tmp_path):
    calls = []

    def cancel_at_third(fraction, stage):
        calls.append(fraction)
        return len(calls) < 3

    outcome = run_fake(tmp_path, "slow", cancel_at_third)
    assert outcome.cancelled and outcome.seconds < 3 and len(calls) == 3
    assert "cancelled" in worker_client.outcome_error("Upscale", outcome)


def test_worker_python_is_the_project_venv(tmp_path):
    with pytest.raises(errors.HostError, match="install.sh"):
        worker_client.worker_python(str(tmp_path), environ={})
    venv_python = tmp_path / ".venv" / "bin" / "python"
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text("")
    assert worker_client.worker_python(str(tmp_path), environ={}) == str(venv_python)
    assert worker_client.worker_python(str(tmp_path), environ={"IMAGEN_GIMP_PYTHON": "/x/python"}) == "/x/python"


def test_repo_root_follows_the_plugin_symlink(tmp_path):
    link_dir = tmp_path / "plug-ins" / "imagen_gimp"
    link_dir.mkdir(parents=True)
    (link_dir / "imagen_gimp.py").symlink_to(REPO / "imagen_gimp.py")
    assert worker_client.repo_root(str(link_dir / "imagen_gimp.py")) == str(REPO)


def test_command_override_for_fault_injection():
    assert worker_client.command_override("py", "/j", environ={}) is None
    assert worker_client.command_override("py", "/j", environ={"IMAGEN_GIMP_WORKER_MODULE": "x.y"}) == [
        "py",
        "-m",
        "x.y",
        "/j",
    ]


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux only")
def test_worker_dies_when_the_plugin_process_is_killed(tmp_path):
    """GIMP's Cancel kills the plug-in process; its worker must not live on."""
    script = tmp_path / "fake_worker.py"
    script.write_text(FAKE)
    pid_file = tmp_path / "worker.pid"
    plugin = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {str(REPO)!r})
        from plugin.link import jobs, worker_client
        job = {{"action": "remove", "prompt": "slow"}}
        folder = jobs.make_job(job, 2, 2, (0, 0), b"\\0" * 16, b"\\xff" * 4)
        def progress(fraction, stage):
            if not os.path.exists({str(pid_file)!r}):
                os.system("pgrep -f 'fake_worker.py " + folder + "' > {pid_file}")
            return True
        worker_client.run_worker(sys.executable, {str(REPO)!r}, folder, progress,
                          command=[sys.executable, {str(script)!r}, folder])
    """)
    parent = subprocess.Popen([sys.executable, "-c", plugin])
    for _ in range(100):
        if pid_file.exists() and pid_file.read_text().strip():
            break
        import time

        time.sleep(0.05)
    worker_pid = int(pid_file.read_text().split()[0])
    parent.kill()
    parent.wait()
    import time

    for _ in range(50):
        if not os.path.exists(f"/proc/{worker_pid}") or "Z" in _proc_state(worker_pid):
            break
        time.sleep(0.05)
    assert not os.path.exists(f"/proc/{worker_pid}") or "Z" in _proc_state(worker_pid)


def _proc_state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1].split()[0]
    except (OSError, IndexError):
        return "gone"
