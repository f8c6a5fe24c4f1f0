"""Run the GIMP 2.10 adapter's stub tests (tests/py27/*_suite.py) with this interpreter: Python 2.7 in CI.

Puts the repository, the gimpfu stub and this folder on sys.path, points the adapter at the fake
worker (pure Python, so no NumPy is needed under 2.7) run by this same interpreter, and prints a
last line `PY27-RESULT python=X.Y.Z ran=N failures=F errors=E skipped=S` for tests/test_py27.py.
"""
# ruff: noqa: UP003, UP004, UP025, UP028, UP031  (Python 2.7 syntax: this file also runs under 2.7)

import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def main():
    for path in (HERE, os.path.join(REPO, "tests", "gimpfu_stub"), REPO):
        if path not in sys.path:
            sys.path.insert(0, path)
    os.environ["IMAGEN_GIMP_PYTHON"] = sys.executable
    os.environ["IMAGEN_GIMP_WORKER_MODULE"] = "fake_worker"
    os.environ["IMAGEN_GIMP_WORKER_PATH"] = HERE  # where the fake worker lives, after the repository
    os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
    suite = unittest.defaultTestLoader.discover(HERE, pattern="*_suite.py", top_level_dir=HERE)
    result = unittest.TextTestRunner(verbosity=2).run(suite)
    print("PY27-RESULT python=%d.%d.%d ran=%d failures=%d errors=%d skipped=%d" % (
        sys.version_info[:3] + (result.testsRun, len(result.failures), len(result.errors),
                                len(result.skipped))))
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
