"""Which model IDs answered 404 where, and what `auto` used instead: so the next job (each runs in its
own worker process) goes straight to the replacement instead of paying the doomed round trip again.

Keyed by the API host and project, so a model missing for one project or endpoint is not skipped for
another. Calls to a plain-http endpoint (the loopback emulator, a test server) are remembered in this
process only: trying a local server never changes what a later real call does.
"""

from __future__ import annotations

import datetime
import json
import threading
from pathlib import Path

from plugin.config import config_path, is_local_endpoint

STATE_FILE = "replaced-models.json"


def state_path() -> Path:
    return config_path().parent / STATE_FILE


class ModelMemory:
    def __init__(self, host: str, project: str, path: Path | None = None):
        self.key = f"{host} {project}"
        self.path = None if is_local_endpoint(host) else (path or state_path())
        self._lock = threading.Lock()
        self._table: dict[str, dict] = self._load()

    def replacement(self, model: str) -> str:
        entry = self._table.get(model)
        return str(entry.get("replacement", "")) if isinstance(entry, dict) else ""

    def remember(self, model: str, replacement: str) -> None:
        with self._lock:
            self._table[model] = {"replacement": replacement, "since": datetime.date.today().isoformat()}
            self._save()

    def _load(self) -> dict[str, dict]:
        if self.path is None:
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        table = data.get("endpoints", {}).get(self.key, {}) if isinstance(data, dict) else {}
        return dict(table) if isinstance(table, dict) else {}

    def _save(self) -> None:
        if self.path is None:
            return
        try:
            data = json.loads(self.path.read_text(encoding="utf-8")) if self.path.exists() else {}
            if not isinstance(data, dict):
                data = {}
        except (OSError, ValueError):
            data = {}
        data.setdefault("endpoints", {})[self.key] = self._table
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            temporary = self.path.with_name(self.path.name + ".tmp")
            temporary.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
            temporary.replace(self.path)
        except OSError:
            pass  # only a saved round trip depends on it
