"""Run Again's dialog in real GIMP 3.0 and 3.2 under Xvfb: again_dialog_scenario.py builds it inside GIMP with
driver.py's helpers (a recipe given, as ui/dialogs.run_dialog reads it from the layer); its checks are
asserted here."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from .test_gimp3 import START_DISPLAY, read_report

HERE = Path(__file__).parent


def test_gimp3_run_again_dialog_opens_with_the_recipe(gimp_root):
    report = f"/tmp/imagen-report-again-{os.getpid()}-{time.time_ns()}.json"
    driver = (HERE / "driver.py").read_text().rsplit("main(CONFIG)", 1)[0]
    code = (
        f"CONFIG = {json.dumps({'report': report, 'scenarios': ['again-dialog']})}\n"
        + driver
        + (HERE / "again_dialog_scenario.py").read_text()
        + "\nmain(CONFIG)\n"
    )
    done = gimp_root.gimp_batch(code, env={"GOOGLE_CLOUD_PROJECT": "my-proj"}, timeout=600, before=START_DISPLAY)
    data = read_report(gimp_root, report, done)
    assert not data["errors"], data["errors"]
    failed = [c for c in data["checks"] if not c["ok"]]
    assert data["checks"] and not failed, failed
    print("\nRun Again's line:", data["dialog"]["again"], "| changed:", data["dialog"]["again changed"])
