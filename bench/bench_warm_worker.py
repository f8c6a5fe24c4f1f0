"""Per-call overhead of the worker, cold (a Python per call) against warm (plugin/link/warm_server.py).

Each call runs a small Remove Object (local engine) through plugin/link/warm_client.run_worker, as
hosts/job_client.run_job does; overhead = the call's wall time - the compute the job reports. The warm calls
start with the worker's own first call (which starts it), then wait a moment so its kernels are warm.

    .venv/bin/python bench/bench_warm_worker.py [--calls 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plugin.link import jobfiles, warm_client  # noqa: E402
from tests.conftest import ellipse_mask, photo  # noqa: E402

PYTHON = str(ROOT / ".venv" / "bin" / "python")


def one_call(env: dict) -> tuple[float, float, dict]:
    folder = tempfile.mkdtemp(prefix="bench-warm-")
    try:
        image = photo("cat")
        height, width = image.shape[:2]
        selection = ellipse_mask(height, width, 190, 120, 30, 25)
        jobfiles.write_job(
            folder,
            {"action": "remove", "seed": 5, "backend": "local"},
            width,
            height,
            (0, 0),
            image.tobytes(),
            selection.tobytes(),
        )
        marks: dict[str, float] = {}
        last = [time.perf_counter()]

        def mark(stage: str) -> None:
            now = time.perf_counter()
            marks[stage] = round(now - last[0], 3)
            last[0] = now

        started = time.perf_counter()
        outcome = warm_client.run_worker(PYTHON, str(ROOT), folder, None, None, mark=mark, environ=env)
        wall = time.perf_counter() - started
        assert outcome.returncode == 0, outcome.log
        compute = jobfiles.read_result(folder)["compute_seconds"]
        return wall, compute, marks
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=5)
    calls = parser.parse_args().calls
    owner = subprocess.Popen(["sleep", "3600"])  # the worker's "GIMP": it ends with this
    env = dict(os.environ, IMAGEN_GIMP_WORKER_OWNER=str(owner.pid), IMAGEN_GIMP_CONFIG="/nonexistent.toml")
    try:
        rows = {"cold": [], "warm": []}
        for _ in range(calls):
            rows["cold"].append(one_call(dict(env, IMAGEN_GIMP_WARM="0")))
        first = one_call(env)
        time.sleep(8)  # the worker warms its kernels after its first job
        for _ in range(calls):
            rows["warm"].append(one_call(env))
        print(
            f"warm worker's first call (starts it): wall {first[0]:.3f} s, compute {first[1]:.3f} s, "
            f"overhead {first[0] - first[1]:.3f} s, stages {first[2]}"
        )
        for name, data in rows.items():
            overhead = [wall - compute for wall, compute, _ in data]
            print(
                f"{name}: {calls} calls, overhead per call median {statistics.median(overhead):.3f} s "
                f"(min {min(overhead):.3f}, max {max(overhead):.3f}); compute median "
                f"{statistics.median(c for _, c, _ in data):.3f} s; stages of the last {data[-1][2]}"
            )
    finally:
        owner.kill()
        owner.wait()


if __name__ == "__main__":
    main()
