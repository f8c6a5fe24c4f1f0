"""The real GIMP hosts the tests in this folder run on: every test runs once per GIMP version.

`gimp_root` is session-scoped and parametrized by rootfs.HOSTS ("3.0": Debian 13 with GIMP 3.0.4,
"3.2": Debian forky with GIMP 3.2.6), so pytest runs all tests of one version, then all of the
next, and each root is locked, synced and installed (with the real install.sh) once per run. Test
ids name the version: test_gimp3_scenario[gimp3.2-remove].
"""

from __future__ import annotations

import os
import time

import pytest

from . import rootfs

DISPLAY_PACKAGES = ["xvfb", "xauth"]  # the dialog scenario's display


def skip_or_fail(reason: str) -> None:
    """Skip where a root cannot be built; in CI (CI=1) that is a failure, never a skip."""
    if os.environ.get("CI"):
        pytest.fail(f"GIMP 3 tests cannot run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session", params=sorted(rootfs.HOSTS), ids=lambda version: f"gimp{version}")
def gimp_root(request):
    """The root of one GIMP version, inside rootfs.session (locked, /proc mounted, repo installed)."""
    reason = rootfs.unavailable_reason()
    if reason:
        skip_or_fail(reason)
    started = time.time()
    with rootfs.session(extra_packages=DISPLAY_PACKAGES, version=request.param) as root:
        root.prepared = time.time() - started
        yield root
