"""Refine Result and Run Again in real GIMP 3.0 and 3.2 against the loopback emulator (strict replay):
refine_scenario.py runs inside GIMP with driver.py's helpers; here its checks are asserted, and the
requests the emulator received show the conversation replayed (3 turns, then 5 after reopening)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from emulator import quick_engine, start_in_thread

from .test_gimp3 import read_report

HERE = Path(__file__).parent


@pytest.fixture(scope="module")
def refine_report(gimp_root):
    server, url = start_in_thread(engine=quick_engine)
    report = f"/tmp/imagen-report-refine-{os.getpid()}-{time.time_ns()}.json"
    driver = (HERE / "driver.py").read_text().rsplit("main(CONFIG)", 1)[0]  # helpers, without its run
    code = (
        f"CONFIG = {json.dumps({'report': report, 'scenarios': ['refine']})}\n"
        + driver
        + (HERE / "refine_scenario.py").read_text()
        + "\nmain(CONFIG)\n"
    )
    try:
        done = gimp_root.gimp_batch(
            code, env={"GOOGLE_CLOUD_PROJECT": "test-project", "IMAGEN_GIMP_ENDPOINT": url}, timeout=900
        )
    finally:
        server.stop()
    data = read_report(gimp_root, report, done)
    data["records"] = [
        (len(r.body["contents"]), r.status) for r in server.requests if r.path.endswith(":generateContent")
    ]
    data["bodies"] = server.generate_bodies()
    return data


def test_gimp3_refine_result_and_run_again(refine_report):
    assert not refine_report["errors"], refine_report["errors"]
    failed = [c for c in refine_report["checks"] if not c["ok"]]
    assert refine_report["checks"] and not failed, failed
    # inpaint, refine (3 turns), run again (a new one-shot), refine after reopening the .xcf (5 turns), then
    # Start afresh (a new conversation: the picture as shown, the mask, the follow-up's words)
    assert refine_report["records"] == [(1, 200), (3, 200), (1, 200), (5, 200), (1, 200)]
    afresh = refine_report["bodies"][-1]["contents"][0]["parts"]
    assert len(afresh) == 3 and afresh[-1]["text"].startswith("Using the first picture, change only the area")
    assert "in green" in afresh[-1]["text"]
