"""The worker: runs one job folder outside GIMP's interpreter and reports progress as JSON lines.

GIMP's Python has neither NumPy nor the Google client; the project's venv has both. A host writes
a job folder (plugin/link/jobfiles.py), starts `python -m plugin.link.worker FOLDER`, reads our stdout line
by line to move its progress bar, and reads result.json (see plugin/link/job_runner.py).

This module stays light: it says "starting" before the heavy imports, so the host's progress bar
moves within a fraction of a second of the click.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback

from plugin import errors
from plugin.link import jobfiles

STARTED = time.perf_counter()


def emit(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def progress(fraction: float, stage: str) -> None:
    emit({"progress": round(fraction, 4), "stage": stage})


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["--check"]:  # Check Setup: the heavy imports a job needs, nothing else
        return check()
    if len(argv) != 1 or not os.path.isdir(argv[0]):
        sys.stderr.write("usage: python -m plugin.link.worker JOB_FOLDER\n")
        return jobfiles.EXIT_USER
    progress(0.0, "starting")
    try:
        from plugin.link.job_runner import run_job  # the heavy imports (NumPy, SciPy, clients) happen here

        return run_job(argv[0], emit, STARTED)
    except Exception as exc:  # a bug: the host keeps the log and says it is not the user's doing
        traceback.print_exc()
        emit({"error": f"{type(exc).__name__}: {' '.join(str(exc).split())}", "kind": errors.BUG})
        return jobfiles.EXIT_BUG


def check() -> int:
    """Import what a job imports (NumPy, SciPy, OpenCV, Numba, the Google clients); say how long it took."""
    from plugin.backends import gemini, local  # noqa: F401
    from plugin.legacy.imagen import backend  # noqa: F401
    from plugin.link import job_runner  # noqa: F401

    emit({"ok": True, "seconds": round(time.perf_counter() - STARTED, 3)})
    return jobfiles.EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
