"""Seconds per stage of one GIMP 3 call, printed when IMAGEN_GIMP_TIMING is set (bench/, debugging)."""

from __future__ import annotations

import json
import os
import sys
import time


def process_age() -> float:
    """Seconds since this process started (Linux; else 0): the plug-in's start-up, imports included."""
    try:
        with open("/proc/self/stat") as stat, open("/proc/uptime") as uptime:
            ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
            return round(float(uptime.read().split()[0]) - ticks / os.sysconf("SC_CLK_TCK"), 3)
    except (OSError, ValueError, IndexError):
        return 0.0


class Stages:
    """Seconds per stage, printed to stderr when IMAGEN_GIMP_TIMING is set (bench, debugging)."""

    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.seconds: dict[str, float] = {}
        self.parts: dict[str, float] = {"process age": process_age()}

    def mark(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = round(now - self.last, 4)
        self.last = now

    def part(self, name: str, started: float) -> None:
        """Seconds since `started` added to a part of a stage (reported under "parts")."""
        self.parts[name] = round(self.parts.get(name, 0.0) + time.perf_counter() - started, 4)

    def report(self, title: str) -> None:
        if os.environ.get("IMAGEN_GIMP_TIMING"):
            record = {"action": title, **self.seconds, "parts": self.parts}
            sys.stderr.write("imagen-gimp timing " + json.dumps(record) + "\n")
