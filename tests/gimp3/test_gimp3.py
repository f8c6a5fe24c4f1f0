"""Every Imagen procedure in a real GIMP 3.0 (Debian 13 root, headless), on the shipped photos.

One GIMP start runs all the main scenarios (driver.py) and a second one the fault scenarios (with
a misbehaving worker); each test below asserts one scenario's checks. They need root and
debootstrap (installed with apt-get when missing): CI has both, so there they run, never skip.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

import pytest

from . import rootfs

HERE = Path(__file__).parent
MAIN_SCENARIOS = ["registration", "remove", "offset-layer", "cloud-only", "invalid", "expand", "background",
                  "upscale", "last-values", "formats"]
FAULT_SCENARIOS = ["fault"]
VERTEX_SCENARIOS = ["vertex-blocked", "vertex"]  # the emulator blocks its first request


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"GIMP 3 tests cannot run in CI: {reason}")
    pytest.skip(reason)


def _drive(root: rootfs.Root, scenarios: list[str], env: dict | None = None, before: str = "") -> dict:
    report = f"/tmp/imagen-report-{os.getpid()}-{time.time_ns()}.json"
    config = {"report": report, "scenarios": scenarios}
    code = f"CONFIG = {json.dumps(config)}\n" + (HERE / "driver.py").read_text()
    started = time.time()
    done = root.gimp_batch(code, env=env, timeout=900, before=before)
    path = root.inside(report)
    if not path.exists():
        raise AssertionError(f"GIMP wrote no report (exit {done.returncode}):\n{done.stdout[-4000:]}\n"
                             f"{done.stderr[-4000:]}")
    data = json.loads(path.read_text())
    path.unlink()
    data["console"] = done.stdout + done.stderr
    data["seconds"] = time.time() - started
    return data


@pytest.fixture(scope="module")
def gimp_reports():
    reason = rootfs.unavailable_reason()
    if reason:
        _skip_or_fail(reason)
    started = time.time()
    with rootfs.session() as root:
        prepared = time.time() - started
        main = _drive(root, MAIN_SCENARIOS)
        faults = _drive(root, FAULT_SCENARIOS, env={"IMAGEN_GIMP_WORKER_MODULE": "tests.gimp3.fault_worker"})
        port = _free_port()
        vertex = _drive(root, VERTEX_SCENARIOS, env={
            "GOOGLE_CLOUD_PROJECT": "test-project", "IMAGEN_GIMP_ENDPOINT": f"http://127.0.0.1:{port}"},
            before=_emulator(port))
    print(f"\nGIMP 3 suite: root+install {prepared:.1f}s, main session {main['seconds']:.1f}s, "
          f"fault session {faults['seconds']:.1f}s, vertex session {vertex['seconds']:.1f}s; "
          f"timings {main['timings']} {vertex['timings']}")
    return {"main": main, "fault": faults, "vertex": vertex}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _emulator(port: int) -> str:
    """Shell lines that start the project's Vertex emulator in the root (stopped when the shell exits)."""
    wait = f"(echo > /dev/tcp/127.0.0.1/{port}) 2>/dev/null && break; sleep 0.2"
    return (f"cd {rootfs.REPO_IN_ROOT}; .venv/bin/python -m plugin.backends.emulator --port {port} --quiet "
            f"--fault blocked:1 >/tmp/emulator.log 2>&1 & "
            f"for i in $(seq 1 100); do {wait}; done; cd /; ")


def _assert_scenario(report: dict, scenario: str) -> None:
    errors = [e for e in report["errors"] if e["scenario"] == scenario]
    assert not errors, errors[0]["traceback"] + "\n" + report["console"][-3000:]
    checks = [c for c in report["checks"] if c["scenario"].split("/")[0] == scenario]
    assert checks, f"scenario {scenario} recorded no checks\n{report['console'][-3000:]}"
    failed = [c for c in checks if not c["ok"]]
    assert not failed, "\n".join(f"{c['scenario']}: {c['name']}: {c['detail']}" for c in failed) + (
        "\n--- console ---\n" + report["console"][-3000:])


@pytest.mark.parametrize("scenario", MAIN_SCENARIOS)
def test_gimp3_scenario(gimp_reports, scenario):
    _assert_scenario(gimp_reports["main"], scenario)


@pytest.mark.parametrize("scenario", VERTEX_SCENARIOS)
def test_gimp3_vertex_emulator(gimp_reports, scenario):
    _assert_scenario(gimp_reports["vertex"], scenario)


@pytest.mark.parametrize("scenario", FAULT_SCENARIOS)
def test_gimp3_faults(gimp_reports, scenario):
    _assert_scenario(gimp_reports["fault"], scenario)


def test_gimp3_messages_reach_the_console(gimp_reports):
    """Gimp.message text (what the user sees) is printed in batch mode; the cloud-only hint is there."""
    assert "Vertex AI" in gimp_reports["main"]["console"]
