"""The GIMP 2.10 adapter's stub tests under a real Python 2.7 (a Debian 11 root; see tests/py27_root.sh).

Debian 12 has no Python 2.7, GIMP 2.10's Python-Fu is 2.7: this catches Python 3-only code in
plugin/hosts/gimp2.py, the link's client half (plugin/link/), geometry.py and the entry file. The root is built
once (debootstrap, about two minutes) and cached in ~/.cache/imagen-gimp/py27-root.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from gimp3.rootfs import unavailable_reason  # the same needs as the GIMP 3 root: Linux, root, debootstrap

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "tests" / "py27_root.sh"


def test_adapter_stub_tests_pass_under_python_27():
    reason = unavailable_reason()  # never in CI, which runs as root on Linux
    if reason:
        pytest.skip(reason)
    started = time.time()
    done = subprocess.run(["bash", str(SCRIPT), "run"], capture_output=True, text=True, timeout=1800)
    seconds = time.time() - started
    output = done.stdout + done.stderr
    summary = re.search(r"PY27-RESULT python=(\S+) ran=(\d+) failures=(\d+) errors=(\d+)", output)
    assert summary, f"no result line (exit {done.returncode}):\n{output[-4000:]}"
    version, ran, failures, errors = summary.group(1), *map(int, summary.groups()[1:])
    print(f"\npy27: {ran} tests under Python {version} in {seconds:.1f}s")
    assert version.startswith("2.7."), version
    assert (failures, errors) == (0, 0), output[-6000:]
    assert ran >= 31
    assert done.returncode == 0, output[-4000:]


def test_the_same_suite_passes_under_python_3():
    """The 2.7 suite is plain unittest: it must hold under the venv's Python too (fake worker)."""
    done = subprocess.run(
        [sys.executable, "-B", str(REPO / "tests" / "py27" / "run.py")],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=REPO,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-6000:]
    assert "failures=0 errors=0" in done.stdout
