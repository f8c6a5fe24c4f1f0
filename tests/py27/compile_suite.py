"""Every file declared 2.7-syntax in pyproject.toml compiles under this interpreter (Python 2.7 in CI).

The formatter (ruff format) knows no Python 2: a call it splits gains a trailing comma, which after
`**kwargs` is a syntax error under 2.7. The list is the one ruff's per-file-ignores keep for "UP", so
a file that is added there is checked here too.
"""
# ruff: noqa: UP004, UP020, UP031  (Python 2.7 syntax: this file also runs under 2.7)

import glob
import io
import os
import re
import unittest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def two_seven_files():
    """The paths matched by pyproject.toml's per-file-ignores entries that ignore "UP"."""
    with io.open(os.path.join(REPO, "pyproject.toml"), encoding="utf-8") as handle:
        text = handle.read()
    section = text.split("[tool.ruff.lint.per-file-ignores]", 1)[1].split("\n[", 1)[0]
    paths = []
    for pattern in re.findall(r'^"([^"]+)"\s*=\s*\[[^\]]*"UP"', section, re.M):
        paths.extend(sorted(glob.glob(os.path.join(REPO, pattern))))
    return paths


class TwoSevenSyntax(unittest.TestCase):
    def test_the_list_is_found(self):
        names = [os.path.relpath(path, REPO) for path in two_seven_files()]
        self.assertIn(os.path.join("plugin", "link", "warm_client.py"), names)
        self.assertIn(os.path.join("entries", "gimp2.py"), names)
        self.assertTrue(len(names) >= 20, names)

    def test_each_file_compiles(self):
        for path in two_seven_files():
            with io.open(path, "rb") as handle:
                source = handle.read()
            try:
                compile(source, path, "exec")
            except SyntaxError as error:
                self.fail("%s does not compile here: %s" % (os.path.relpath(path, REPO), error))


if __name__ == "__main__":
    unittest.main()
