"""Harmonize in real GIMP 3.0 and 3.2 (Debian roots, headless) against the loopback emulator: a pasted
layer gets a group per variation with the harmonized object and its shadow layer, both masked, and the
original layers stay as they were (harmonize_scenario.py, run inside driver.py)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from emulator import quick_engine, start_in_thread

from .test_gimp3 import _assert_scenario, read_report

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def harmonize_report(gimp_root):
    server, url = start_in_thread(engine=quick_engine)
    report = f"/tmp/imagen-report-{os.getpid()}-{time.time_ns()}.json"
    driver = (HERE / "driver.py").read_text()
    head, tail = driver.rsplit("\nmain(CONFIG)", 1)
    code = (
        f"CONFIG = {json.dumps({'report': report, 'scenarios': ['harmonize']})}\n"
        + head
        + "\n"
        + (HERE / "harmonize_scenario.py").read_text()
        + "\nmain(CONFIG)"
        + tail
    )
    try:
        done = gimp_root.gimp_batch(
            code,
            env={"PYTHONWARNINGS": "default", "GOOGLE_CLOUD_PROJECT": "test-project", "IMAGEN_GIMP_ENDPOINT": url},
            timeout=900,
        )
    finally:
        server.stop()
    data = read_report(gimp_root, report, done)
    data["bodies"] = server.generate_bodies()
    data["statuses"] = [r.status for r in server.requests if r.path.endswith(":generateContent")]
    return data


def test_gimp3_harmonize_adds_object_and_shadow_layers(harmonize_report):
    _assert_scenario(harmonize_report, "harmonize")


def test_gimp3_harmonize_requests_are_accepted_with_the_scene_last(harmonize_report):
    assert harmonize_report["statuses"] == [200, 200, 200]
    for body in harmonize_report["bodies"]:
        parts = body["contents"][0]["parts"]
        assert ["inlineData" in p for p in parts] == [True, True, False]
        assert "second picture" in parts[-1]["text"] and "contact shadow" in parts[-1]["text"]
