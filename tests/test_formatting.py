"""The formatter stays away from files that also run under Python 2.7, and only from those."""

from __future__ import annotations

from pathlib import Path

import tomllib

REPO = Path(__file__).resolve().parents[1]


def _globbed(patterns: list[str]) -> set[str]:
    return {str(path.relative_to(REPO)) for pattern in patterns for path in REPO.glob(pattern)}


def test_every_two_seven_file_is_kept_from_the_formatter():
    ruff = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["ruff"]
    two_seven = _globbed([name for name, rules in ruff["lint"]["per-file-ignores"].items() if "UP" in rules])
    unformatted = _globbed(ruff["format"]["exclude"])
    # entries/gimp3.py shares the entries/ glob of the lint rule but runs under GIMP 3's Python 3
    assert two_seven - unformatted == {"entries/gimp3.py"}
    # the 2.7 runner, its suites and the gimpfu stub run under 2.7 too, without being product files
    extra = {name for name in unformatted - two_seven if not name.startswith(("tests/py27/", "tests/gimpfu_stub/"))}
    assert extra == {"imagen_gimp_2.py"}, extra
