"""Every Imagen procedure in a real GIMP 3.0 (Debian 13 root, headless), on the shipped photos.

One GIMP start runs all the main scenarios (driver.py) and a second one the fault scenarios (with
a misbehaving worker); each test below asserts one scenario's checks. They need root and
debootstrap (installed with apt-get when missing): CI has both, so there they run, never skip.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import time
from pathlib import Path

import pytest
from PIL import Image

from plugin.backends.emulator import Fault, start_in_thread
from plugin.backends.emulator_answers import quick_engine

from . import rootfs

HERE = Path(__file__).parent
MAIN_SCENARIOS = ["registration", "remove", "offset-layer", "cloud-only", "invalid", "expand", "background",
                  "upscale", "last-values", "formats"]
FAULT_SCENARIOS = ["fault"]
VERTEX_SCENARIOS = ["vertex-blocked", "vertex", "vertex-refs"]  # the emulator blocks its first request


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
        # the chroot shares our loopback; the quick engine: these scenarios test the plug-in, not the engine
        server, url = start_in_thread(faults=[Fault("blocked", 1)], engine=quick_engine)
        try:
            vertex = _drive(root, VERTEX_SCENARIOS, env={
                "GOOGLE_CLOUD_PROJECT": "test-project", "IMAGEN_GIMP_ENDPOINT": url})
        finally:
            server.stop()
        vertex["bodies"] = server.predict_bodies()
    print(f"\nGIMP 3 suite: root+install {prepared:.1f}s, main session {main['seconds']:.1f}s, "
          f"fault session {faults['seconds']:.1f}s, vertex session {vertex['seconds']:.1f}s; "
          f"timings {main['timings']} {vertex['timings']}")
    return {"main": main, "fault": faults, "vertex": vertex}


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


@pytest.mark.parametrize("prompt", ["a mug on a beach", "a cat with a mug"])
def test_gimp3_reference_layers_reach_the_service(gimp_reports, prompt):
    """The emulator received the reference layers' own pixels, whole, as the driver read them in GIMP."""
    vertex = gimp_reports["vertex"]
    bodies = [b for b in vertex["bodies"] if b["instances"][0].get("prompt", "").startswith(prompt)]
    assert len(bodies) == 1, [b["instances"][0].get("prompt") for b in vertex["bodies"]]
    references = bodies[0]["instances"][0]["referenceImages"]
    assert {ref["referenceType"] for ref in references} == {"REFERENCE_TYPE_SUBJECT"}
    sent = [_rgb_digest(ref["referenceImage"]["bytesBase64Encoded"]) for ref in references]
    assert sent == vertex["references"][prompt]


def test_gimp3_verdicts_are_shown_as_messages(gimp_reports):
    console = gimp_reports["vertex"]["console"]
    assert "SynthID watermark detected: this picture" in console  # the layer Imagen (the emulator) made
    assert "No SynthID watermark detected" in console  # the photo


def _rgb_digest(data: str) -> str:
    picture = Image.open(io.BytesIO(base64.b64decode(data))).convert("RGB")
    return hashlib.sha1(picture.tobytes()).hexdigest()


def test_gimp3_messages_reach_the_console(gimp_reports):
    """Gimp.message text (what the user sees) is printed in batch mode; the cloud-only hint is there."""
    assert "Vertex AI" in gimp_reports["main"]["console"]
