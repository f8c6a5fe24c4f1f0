"""The warm worker (plugin/link/warm_server.py) through its client (plugin/link/warm_client.py), as a host uses it.

Each test has its own "GIMP": a sleeping process that owns the worker (IMAGEN_GIMP_WORKER_OWNER), so
workers never meet across tests and owner death can be staged. The cold fallback is a function that
fails the test, so every call here surely went through the warm worker (unless a test wants cold).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from emulator import Fault, quick_engine, start_in_thread
from plugin.link import jobfiles, warm_channel, warm_client, worker_client
from tests.conftest import ellipse_mask, photo

REPO = str(Path(__file__).resolve().parents[1])
PYTHON = (
    os.path.join(REPO, ".venv", "bin", "python")
    if os.path.exists(os.path.join(REPO, ".venv", "bin", "python"))
    else sys.executable
)


def went_cold(*_args):
    raise AssertionError("the call did not use the warm worker")


@pytest.fixture
def owner():
    """A stand-in for GIMP: the worker lives while this process does."""
    process = subprocess.Popen(["sleep", "600"])
    yield process
    process.kill()
    process.wait()
    pid = server_pid(environment(process))
    if pid:
        wait_gone(pid, 10)


@pytest.fixture
def short_tmp():
    """A folder with a short path: a socket's path must fit in 100 bytes (longer ones fall back to /tmp)."""
    import shutil

    folder = tempfile.mkdtemp(prefix="warm-", dir="/tmp")
    yield Path(folder)
    shutil.rmtree(folder, ignore_errors=True)


def environment(owner, **extra) -> dict:
    env = dict(os.environ, IMAGEN_GIMP_WORKER_OWNER=str(owner.pid), IMAGEN_GIMP_CONFIG="/nonexistent.toml")
    env.pop("GOOGLE_CLOUD_PROJECT", None)
    env.pop("IMAGEN_GIMP_WARM", None)
    env.update(extra)
    return env


def paths(env) -> warm_channel.Paths:
    return warm_client.Link(PYTHON, REPO, warm_client.job_environment(env, REPO)).paths


def server_pid(env) -> int:
    return int(warm_channel.read_record(paths(env).pid).get("pid") or 0)


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] not in ("Z", "X"):
                found.append(int(entry))
    return found


def remove_job(operation=None):
    folder = tempfile.mkdtemp(prefix="warm-test-")
    image = photo("cat")
    height, width = image.shape[:2]
    selection = ellipse_mask(height, width, 190, 120, 30, 25)
    jobfiles.write_job(
        folder,
        operation or {"action": "remove", "seed": 5, "backend": "local"},
        width,
        height,
        (0, 0),
        image.tobytes(),
        selection.tobytes(),
    )
    return folder


def call(env, folder=None, on_progress=None, cold=went_cold):
    folder = folder or remove_job()
    notes: list[str] = []
    command = worker_client.command_override(PYTHON, folder, env)
    outcome = warm_client.run_worker(
        PYTHON, REPO, folder, on_progress, command, cold=cold, note=notes.append, environ=env
    )
    return outcome, folder, notes


def layer_pixels(folder) -> bytes:
    result = jobfiles.read_result(folder)
    return jobfiles.read_layer_pixels(folder, result["layers"][0])[0]


def test_second_call_reuses_the_worker_and_makes_the_same_pixels_as_a_cold_call(owner):
    env = environment(owner)
    first, folder1, notes = call(env)
    assert first.returncode == 0 and not notes, first.log
    pid = server_pid(env)
    second, folder2, _ = call(env)  # after the warm-up: the parallel kernels run in a forked child
    assert second.returncode == 0 and server_pid(env) == pid and alive(pid)
    log = Path(paths(env).log).read_text()
    assert log.count("libraries imported") == 1 and "kernels warm" in log, log
    cold, folder3, _ = call(dict(env, IMAGEN_GIMP_WARM="0"), cold=worker_client.run_worker)
    assert cold.returncode == 0
    assert layer_pixels(folder1) == layer_pixels(folder2) == layer_pixels(folder3)
    assert jobfiles.read_result(folder2)["complete"]


def test_each_call_gets_its_own_environment(owner, tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("this is = = not toml")
    other = tmp_path / "other.toml"
    other.write_text("unknown_key = 1\n")
    env = environment(owner, IMAGEN_GIMP_WORKER_WARMUP="0")
    insert = {"action": "insert", "prompt": "a hat", "backend": "auto"}
    outcome, _, _ = call(dict(env, IMAGEN_GIMP_CONFIG=str(broken)), remove_job(insert))
    assert outcome.returncode == jobfiles.EXIT_USER and str(broken) in outcome.error
    pid = server_pid(env)
    outcome, _, _ = call(dict(env, IMAGEN_GIMP_CONFIG=str(other)), remove_job(insert))
    assert outcome.returncode == jobfiles.EXIT_USER and "unknown_key" in outcome.error
    outcome, _, _ = call(env, remove_job(insert))  # no settings, no project: the cloud is named
    assert outcome.returncode == jobfiles.EXIT_USER and "GOOGLE_CLOUD_PROJECT" in outcome.error
    outcome, folder, _ = call(
        dict(env, GOOGLE_CLOUD_PROJECT="p", IMAGEN_GIMP_ENDPOINT="http://127.0.0.1:9"),
        remove_job(dict(insert, backend="gemini")),
    )
    assert outcome.returncode == jobfiles.EXIT_USER and "127.0.0.1:9" in outcome.error + outcome.log
    assert server_pid(env) == pid


def test_cancel_kills_the_job_and_the_next_call_works(owner):
    env = environment(owner, IMAGEN_GIMP_WORKER_WARMUP="0")
    call(env)
    pid = server_pid(env)
    seen = []

    def cancel_once_running(fraction, stage):
        seen.append((fraction, stage, children(pid)))
        return fraction <= 0.0

    outcome, folder, _ = call(env, on_progress=cancel_once_running)
    assert outcome.cancelled and seen[-1][2], seen  # the job's process ran when the cancel came
    job = seen[-1][2][0]
    assert wait_gone(job, 5) and not children(pid)
    assert not jobfiles.read_result(folder)["layers"]
    again, _, _ = call(env)
    assert again.returncode == 0 and server_pid(env) == pid


CLIENT = textwrap.dedent("""
    import json, os, sys
    sys.path.insert(0, {repo!r})
    from plugin.link import warm_client
    env = json.loads(os.environ["TEST_ENV"])
    def progress(fraction, stage):
        print(json.dumps([fraction, stage]), flush=True)
    outcome = warm_client.run_worker({python!r}, {repo!r}, sys.argv[1], progress, None, cold=None, environ=env)
    print(json.dumps(list(outcome)), flush=True)
""")


def test_a_killed_client_ends_its_job_at_once(owner):
    """GIMP's Cancel SIGKILLs the plug-in: the worker sees its connection close and kills the job."""
    server, url = start_in_thread(faults=[Fault("slow", 1, seconds=60)], engine=quick_engine)
    try:
        env = environment(owner, IMAGEN_GIMP_WORKER_WARMUP="0", GOOGLE_CLOUD_PROJECT="p", IMAGEN_GIMP_ENDPOINT=url)
        call(env)
        pid = server_pid(env)
        folder = remove_job({"action": "remove", "seed": 5, "backend": "gemini"})
        client = subprocess.Popen(
            [sys.executable, "-c", CLIENT.format(repo=REPO, python=PYTHON), folder],
            env=dict(os.environ, TEST_ENV=json.dumps(env)),
            stdout=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while not server.generate_bodies() and time.monotonic() < deadline:
            time.sleep(0.05)
        jobs = children(pid)
        assert server.generate_bodies() and jobs, "the job never reached the service"
        client.kill()
        client.wait()
        assert wait_gone(jobs[0], 5), "the job outlived its client"
        again, _, notes = call(env)
        assert again.returncode == 0 and server_pid(env) == pid and not notes
    finally:
        server.stop()


def test_a_killed_worker_is_replaced_and_the_call_says_so(owner):
    env = environment(owner, IMAGEN_GIMP_WORKER_WARMUP="0")
    call(env)
    pid = server_pid(env)
    os.kill(pid, signal.SIGKILL)
    assert wait_gone(pid, 5)
    outcome, _, notes = call(env)
    assert outcome.returncode == 0 and notes == [warm_client.STOPPED_NOTE]
    assert server_pid(env) not in (0, pid)


def test_a_hung_worker_is_replaced(owner):
    env = environment(owner, IMAGEN_GIMP_WORKER_WARMUP="0", IMAGEN_GIMP_WORKER_PING="1")
    call(env)
    pid = server_pid(env)
    os.kill(pid, signal.SIGSTOP)  # alive, listening (the kernel accepts), answering nothing
    try:
        outcome, _, notes = call(env)
    finally:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
    assert outcome.returncode == 0 and notes == [warm_client.HUNG_NOTE]
    assert wait_gone(pid, 5) and server_pid(env) != pid


def test_an_idle_worker_exits(owner):
    env = environment(owner, IMAGEN_GIMP_WORKER_IDLE="1")
    call(env)
    pid = server_pid(env)
    assert wait_gone(pid, 10) and not os.path.exists(paths(env).socket)
    outcome, _, notes = call(env)  # a worker that left cleanly is started again without a note
    assert outcome.returncode == 0 and not notes


def test_warm_off_in_the_settings_serves_one_job(owner, tmp_path):
    settings = tmp_path / "config.toml"
    settings.write_text("warm_worker = false\n")
    env = environment(owner, IMAGEN_GIMP_CONFIG=str(settings))
    outcome, _, _ = call(env)
    assert outcome.returncode == 0
    assert wait_gone(server_pid(env), 5)


def test_the_worker_ends_with_its_gimp(owner):
    env = environment(owner)
    call(env)
    pid = server_pid(env)
    owner.kill()
    owner.wait()
    assert wait_gone(pid, 10) and not children(pid)
    assert not os.path.exists(paths(env).socket) and not os.path.exists(paths(env).pid)


def test_changed_plugin_files_get_a_fresh_worker(owner):
    env = environment(owner, IMAGEN_GIMP_WORKER_WARMUP="0")
    call(env)
    pid = server_pid(env)
    source = Path(REPO, "plugin", "actions.py")
    before = source.stat()
    os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))
    try:
        outcome, _, notes = call(env)
    finally:
        os.utime(source, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert outcome.returncode == 0 and not notes
    assert wait_gone(pid, 5) and server_pid(env) not in (0, pid)


def test_a_worker_started_from_the_old_layout_exits_as_stale(owner, tmp_path):
    """An upgrade that only moves files (plugin/warm_server.py -> plugin/link/, same size and time, as
    `git mv` leaves them) still retires the worker running the old layout: the next call gets a fresh one."""
    import shutil

    repo = tmp_path / "repo"
    for top in ("plugin", "emulator"):  # with __pycache__: the engine's compiled kernels stay valid
        shutil.copytree(Path(REPO, top), repo / top)
    moved, old = repo / "plugin" / "link" / "warm_server.py", repo / "plugin" / "warm_server.py"
    os.rename(moved, old)  # the layout before the link had a package of its own
    env = environment(owner, IMAGEN_GIMP_WORKER_WARMUP="0")
    link = warm_client.Link(PYTHON, str(repo), warm_client.job_environment(env, str(repo)))
    warm_channel.secure_folder(link.paths.folder)
    subprocess.run(
        [
            PYTHON,
            "-m",
            "plugin.warm_server",
            link.paths.folder,
            link.paths.key,
            str(link.owner),
            link.owner_start,
            str(repo),
        ],
        cwd=repo,
        env=link.env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=60,
        check=True,
    )
    deadline = time.monotonic() + 60
    while not os.path.exists(link.paths.socket) and time.monotonic() < deadline:
        time.sleep(0.05)
    old_pid = int(warm_channel.read_record(link.paths.pid).get("pid") or 0)
    assert old_pid and "plugin.warm_server" in Path(f"/proc/{old_pid}/cmdline").read_text()
    os.rename(old, moved)  # the upgrade

    notes: list[str] = []
    folder = remove_job()
    outcome = warm_client.run_worker(
        PYTHON,
        str(repo),
        folder,
        None,
        worker_client.command_override(PYTHON, folder, env),
        cold=went_cold,
        note=notes.append,
        environ=env,
    )
    assert outcome.returncode == 0 and not outcome.error and not notes
    assert wait_gone(old_pid, 10)
    new_pid = int(warm_channel.read_record(link.paths.pid).get("pid") or 0)
    assert new_pid not in (0, old_pid) and alive(new_pid)
    assert "plugin.link.warm_server" in Path(f"/proc/{new_pid}/cmdline").read_text().replace("\0", " ")
    layer = jobfiles.read_result(folder)["layers"][0]  # and it did the job
    assert len(layer_pixels(folder)) == layer["width"] * layer["height"] * 4 > 0


def test_two_gimps_get_two_workers(owner):
    other = subprocess.Popen(["sleep", "600"])
    try:
        first, second = environment(owner, IMAGEN_GIMP_WORKER_WARMUP="0"), environment(other)
        assert call(first)[0].returncode == 0 and call(second)[0].returncode == 0
        assert server_pid(first) != server_pid(second) and alive(server_pid(first))
    finally:
        other.kill()
        other.wait()


@pytest.mark.parametrize("problem", ["open to others", "symlink", "other owner"])
def test_an_unsafe_socket_folder_is_refused(owner, short_tmp, problem):
    tmp_path = short_tmp
    runtime = tmp_path / "run"
    runtime.mkdir()
    (tmp_path / "elsewhere").mkdir(mode=0o700)
    folder = runtime / "imagen-gimp"
    if problem == "open to others":
        folder.mkdir(mode=0o755)
        folder.chmod(0o755)
    elif problem == "symlink":
        folder.symlink_to(tmp_path / "elsewhere")
    else:
        if os.getuid() != 0:
            pytest.skip("needs root to give a folder to another user")
        folder.mkdir(mode=0o700)
        os.chown(folder, 65534, 65534)
    with pytest.raises(warm_channel.ChannelError):
        warm_channel.socket_folder({"XDG_RUNTIME_DIR": str(runtime)})
    env = environment(owner, XDG_RUNTIME_DIR=str(runtime))
    outcome, _, _ = call(env, cold=worker_client.run_worker)  # the call still works, cold
    assert outcome.returncode == 0
    assert not list((tmp_path / "elsewhere").iterdir())  # nothing was put where the symlink points


def test_a_new_socket_folder_is_private(short_tmp):
    folder = warm_channel.socket_folder({"XDG_RUNTIME_DIR": str(short_tmp)})
    assert folder == str(short_tmp / "imagen-gimp")
    info = os.lstat(folder)
    assert info.st_uid == os.getuid() and info.st_mode & 0o777 == 0o700


def test_fault_injection_and_warm_off_go_cold(owner):
    env = environment(owner, IMAGEN_GIMP_WORKER_MODULE="tests.gimp3.fault_worker")
    used = []
    call(env, cold=lambda *args: used.append(args[4]) or "cold")
    call(environment(owner, IMAGEN_GIMP_WARM="0"), cold=lambda *args: used.append(args[4]) or "cold")
    assert used[0][-2:] == ["tests.gimp3.fault_worker", used[0][-1]] and used[1] is None
    assert not server_pid(environment(owner))


def test_secrets_never_reach_the_workers_log(owner):
    env = environment(owner, IMAGEN_GIMP_WORKER_WARMUP="0", GOOGLE_API_KEY="secret-value-123")
    outcome, _, _ = call(env)
    assert outcome.returncode == 0
    assert "secret-value-123" not in Path(paths(env).log).read_text()


def test_the_command_line_starts_a_worker_and_its_next_call_uses_it(owner, tmp_path):
    """The CLI's first call runs in its own process (as quick as ever) and leaves a worker behind; the next
    call hands its job to that worker (a job folder appears only then), with the very same pixels."""
    from PIL import Image

    image = photo("cat")
    Image.fromarray(image).save(tmp_path / "cat.png")
    Image.fromarray(ellipse_mask(image.shape[0], image.shape[1], 230, 140, 40, 30)).save(tmp_path / "mask.png")
    jobs_dir = tmp_path / "jobs"
    jobs_dir.mkdir()
    env = environment(owner, TMPDIR=str(jobs_dir), IMAGEN_GIMP_KEEP_JOBS="1", PYTHONPATH=REPO)

    def cli(output, **extra):
        done = subprocess.run(
            [
                PYTHON,
                "-m",
                "plugin",
                "remove",
                "cat.png",
                "--mask",
                "mask.png",
                "-o",
                output,
                "--backend",
                "local",
                "--seed",
                "7",
                "--quiet",
            ],
            cwd=tmp_path,
            env=dict(env, **extra),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return np.asarray(Image.open(tmp_path / output))

    first = cli("first.png")
    assert list(jobs_dir.iterdir()) == []  # ran in its own process
    deadline = time.monotonic() + 120
    while not os.path.exists(paths(env).socket) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive(server_pid(env))
    second = cli("second.png")
    assert len([p for p in jobs_dir.iterdir() if p.name.startswith("imagen-gimp-")]) == 1  # went to the worker
    cold = cli("cold.png", IMAGEN_GIMP_WARM="0")
    assert np.array_equal(first, second) and np.array_equal(second, cold)
    from plugin.images import read_recipe  # the warm path writes the same recipe into its PNG (Refine Result)

    warm, here = read_recipe(str(tmp_path / "second.png")), read_recipe(str(tmp_path / "first.png"))
    assert warm["action"] == "remove" and warm["seed"] == 7 and warm["backend"] == "local"
    assert [warm[k] for k in ("region", "selection", "source")] == [here[k] for k in ("region", "selection", "source")]
