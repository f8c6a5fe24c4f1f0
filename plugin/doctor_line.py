"""One Check Setup line: the shape both halves of Check Setup (this computer, Google's side) report in.

A module of its own so that plugin/doctor.py (this computer, the report) and plugin/doctor_cloud.py
(credentials, project, the Vertex AI probe) share it without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    """One check: ok True (fine), False (a problem, `fix` says what to do) or None (skipped)."""

    name: str
    ok: bool | None
    text: str
    fix: str = ""

    def render(self) -> str:
        mark = {True: "OK     ", False: "PROBLEM", None: "skipped"}[self.ok]
        fix = f". Fix: {self.fix}" if self.fix else ""
        return f"{mark} {self.name}: {self.text}{fix}"
