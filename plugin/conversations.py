"""The conversations behind cloud results, kept per user so a result can be refined later.

Google's image models keep no session: a follow-up request carries the whole history, every model
turn exactly as it came back (each signed part byte for byte with its thoughtSignature). Those turns
hold pictures (megabytes), so they live here, one JSON file per exchange, and a result only names its
exchange (the recipe's "conversation"). An exchange points at the one it continues, so variations of a
follow-up are branches of the same conversation and never overwrite each other.

The folder is ~/.cache/imagen-gimp/conversations (XDG_CACHE_HOME respected), or `[conversations]
folder`, or $IMAGEN_GIMP_CONVERSATIONS. It is pruned on every write: exchanges untouched for longer
than max_age_days go, then the least recently used until the whole is under max_megabytes. Reading
an exchange touches it, so a conversation in use survives. Nothing secret is stored: pictures, the
words sent and the model's answer, the model ID and the tier.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from plugin.errors import log_folder

SUFFIX = ".json"
ID = re.compile(r"^[0-9a-f]{8,64}$")


@dataclass
class Exchange:
    """One request and the answer kept from it: the user turn as sent, the model turn as returned.

    Both are google-genai Content objects in their own JSON form (bytes as base64), so loading them
    gives back the very bytes and signatures the service sent."""

    id: str
    parent: str  # the exchange this one continues; "" for the action that started the conversation
    depth: int  # 1 for that action, 2 for the first follow-up, ...
    model: str
    tier: str
    action: str
    user: dict
    answer: dict
    instruction: str = ""  # the follow-up's own words ("" for the first action)
    created: float = field(default_factory=time.time)


def new_id() -> str:
    return secrets.token_hex(12)


def default_folder(environ: dict | None = None) -> Path:
    environ = os.environ if environ is None else environ
    explicit = environ.get("IMAGEN_GIMP_CONVERSATIONS")
    if explicit:
        return Path(explicit)
    return Path(log_folder(environ)) / "conversations"


class Store:
    """The folder of exchanges, with its limits."""

    def __init__(self, folder: Path, max_age_days: float = 30.0, max_megabytes: float = 500.0):
        self.folder = Path(folder)
        self.max_age = max_age_days * 86400.0
        self.max_bytes = int(max_megabytes * 2**20)

    @classmethod
    def from_settings(cls, settings, environ: dict | None = None) -> Store:
        options = settings.conversations
        environ = os.environ if environ is None else environ
        folder = (
            Path(options.folder).expanduser()
            if options.folder and not environ.get("IMAGEN_GIMP_CONVERSATIONS")
            else default_folder(environ)
        )
        return cls(folder, options.max_age_days, options.max_megabytes)

    def _path(self, exchange_id: str) -> Path | None:
        return self.folder / (exchange_id + SUFFIX) if ID.match(exchange_id or "") else None

    def save(self, exchange: Exchange) -> None:
        """Write through a temporary file renamed into place (never half an exchange), then prune."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(exchange.id)
        if path is None:
            raise ValueError(f"not an exchange id: {exchange.id!r}")
        handle, temporary = tempfile.mkstemp(prefix=".", suffix=".part", dir=str(self.folder))
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(asdict(exchange), out)
            os.chmod(temporary, 0o600)  # the user's own pictures: not for other accounts on the machine
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self.prune(keep=exchange.id)

    def load(self, exchange_id: str) -> Exchange | None:
        """The exchange, or None when the store no longer holds it (pruned, another computer, damaged)."""
        path = self._path(exchange_id)
        if path is None or not path.is_file():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            exchange = Exchange(**data)
        except (OSError, ValueError, TypeError):
            return None
        try:
            os.utime(path)  # in use: the last to be pruned
        except OSError:
            pass
        return exchange

    def chain(self, exchange_id: str) -> list[Exchange] | None:
        """The conversation up to and including `exchange_id`, oldest first; None if any link is gone."""
        out: list[Exchange] = []
        current = exchange_id
        while current:
            exchange = self.load(current)
            if exchange is None or len(out) > 100:
                return None
            out.append(exchange)
            current = exchange.parent
        out.reverse()
        return out

    def prune(self, keep: str = "", now: float | None = None) -> list[str]:
        """Remove what is past the age limit, then the least recently used past the size limit."""
        now = time.time() if now is None else now
        try:
            entries = [(p.stat().st_mtime, p.stat().st_size, p) for p in self.folder.glob("*" + SUFFIX)]
        except OSError:
            return []
        removed: list[str] = []
        entries.sort()
        total = sum(size for _, size, _ in entries)
        for mtime, size, path in entries:
            if path.stem == keep:
                continue
            if now - mtime > self.max_age or total > self.max_bytes:
                try:
                    path.unlink()
                except OSError:
                    continue
                total -= size
                removed.append(path.stem)
        return removed

    def size(self) -> int:
        return sum(p.stat().st_size for p in self.folder.glob("*" + SUFFIX)) if self.folder.is_dir() else 0
