"""The model catalogue: plugin/models.toml, with the user's [catalogue] changes from config.toml laid over it.

Model IDs, their limits, prices and lifecycle are data because Google keeps changing them: when a
model is retired, the catalogue names its replacement and the code needs no release. Standard library
only (tomllib), so GIMP's own Python can read it for the dialog's cost line.
"""

from __future__ import annotations

import dataclasses
import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plugin import params
from plugin.errors import UserError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

CATALOGUE_FILE = Path(__file__).with_name("models.toml")
TIERS = params.choice_values(params.TIER)  # the parameter table's (plugin/params.py)
TIER_LABELS = {"quality": "Quality", "standard": "Standard", "fast": "Fast"}
SIZE_ORDER = ("512", "1K", "2K", "4K")
SIZE_SCALE = {"512": 0.5, "1K": 1.0, "2K": 2.0, "4K": 4.0}
IMAGE = "gemini-image"
TEXT = "gemini-text"
IMAGEN = "imagen"
FAMILIES = (IMAGE, TEXT, IMAGEN)
ENTRY_KEYS = {
    "label",
    "family",
    "actions",
    "locations",
    "aspect_ratios",
    "sizes",
    "grid",
    "thinking",
    "max_images",
    "max_inline_bytes",
    "price",
    "released",
    "retires",
    "shut_down",
    "replacement",
    "like",
    "input_price",
}


class CatalogueError(UserError, ValueError):
    """An entry of the catalogue (or of the user's [catalogue] table) is malformed; says which."""

    kind = "config"


@dataclass(frozen=True)
class Model:
    """One model ID and what the plug-in needs to know to call it well."""

    id: str
    family: str
    label: str = ""
    actions: frozenset[str] = frozenset()
    locations: tuple[str, ...] = ("global",)
    aspect_ratios: tuple[str, ...] = ()
    sizes: tuple[str, ...] = ()  # imageSize tiers the model takes; () = one size, the field is not sent
    grid: dict[str, tuple[int, int]] = field(default_factory=dict)  # ratio -> (w, h) at 1K
    thinking: tuple[str, ...] = ()  # thinkingLevel values it takes; () = not sent
    max_images: int = 14
    max_inline_bytes: int = 7 * 1024 * 1024
    price: dict[str, float] = field(default_factory=dict)  # output size tier -> US$ per image
    input_price: float | None = None  # US$ per picture sent (input image tokens); a follow-up re-sends its history
    released: datetime.date | None = None
    retires: datetime.date | None = None
    shut_down: datetime.date | None = None
    replacement: str = ""
    known: bool = True  # False: not in the catalogue, limits guessed from a similar model

    @property
    def makes_images(self) -> bool:
        return self.family in (IMAGE, IMAGEN)

    def is_shut_down(self, today: datetime.date | None = None) -> bool:
        return self.shut_down is not None and self.shut_down <= (today or datetime.date.today())

    def offered_sizes(self) -> tuple[str, ...]:
        """The size tiers to choose from; a model with one size is treated as 1K (never sent)."""
        return self.sizes or ("1K",)

    def output_size(self, ratio: str, size: str) -> tuple[int, int]:
        """The answer's pixel size at this ratio and tier (Google's grid; 2K doubles 1K, 4K quadruples)."""
        base = self.grid.get(ratio)
        if base is None:
            w, h = (int(x) for x in ratio.split(":"))
            scale = (1024 * 1024 / (w * h)) ** 0.5
            base = (int(round(w * scale / 16)) * 16, int(round(h * scale / 16)) * 16)
        factor = SIZE_SCALE.get(size, 1.0) if self.sizes else 1.0
        return int(round(base[0] * factor)), int(round(base[1] * factor))

    def price_for(self, size: str) -> float | None:
        return self.price.get(size if self.sizes else "1K", self.price.get("1K"))

    def serves(self, location: str) -> bool:
        return location in self.locations

    def lifecycle(self, today: datetime.date | None = None) -> str:
        """'shut down on 2026-08-17' / 'Google retires it on 2027-03-15' / ''."""
        today = today or datetime.date.today()
        if self.is_shut_down(today):
            return f"shut down by Google on {self.shut_down.isoformat()}"
        if self.shut_down is not None:
            return f"to be shut down by Google on {self.shut_down.isoformat()}"
        if self.replacement and self.retires is not None:
            return f"Google retires it on {self.retires.isoformat()}"
        return ""


@dataclass(frozen=True)
class Tier:
    """What Quality / Standard / Fast mean for one kind of answer (pictures or text)."""

    name: str
    model: str
    thinking: str = ""


@dataclass
class Catalogue:
    models: dict[str, Model]
    tiers: dict[tuple[str, str], Tier]  # (kind "image"/"text", tier name) -> Tier

    def get(self, model_id: str, kind: str = "image") -> Model:
        """The entry, or for an ID the catalogue does not know, a guess modelled on the standard tier's
        model of that kind (a newer model usually takes at least what its predecessor took)."""
        known = self.models.get(model_id)
        if known is not None:
            return known
        if model_id.startswith("imagen") or model_id.startswith("image"):
            return Model(model_id, IMAGEN, known=False)
        kind = "image" if "image" in model_id else kind
        like = self.models[self.tiers[(kind, "standard")].model]
        return dataclasses.replace(like, id=model_id, label="", known=False, released=None, retires=None)

    def tier(self, kind: str, name: str) -> Tier:
        try:
            return self.tiers[(kind, name)]
        except KeyError:
            shown = ", ".join(TIERS)
            raise CatalogueError(f"no {kind} tier called {name!r}; choose one of {shown}") from None

    def replacement_for(self, model_id: str) -> str:
        """The model to use instead of `model_id`, following a chain of retirements to its end."""
        seen = {model_id}
        current = self.models.get(model_id)
        while current is not None and current.replacement and current.replacement not in seen:
            seen.add(current.replacement)
            nxt = self.models.get(current.replacement)
            if nxt is None or not nxt.is_shut_down():
                return current.replacement
            current = nxt
        return ""


def load(
    overrides: dict[str, Any] | None = None, tiers: dict[str, str] | None = None, path: Path = CATALOGUE_FILE
) -> Catalogue:
    """The shipped catalogue with `overrides` ({model id: entry fields}, from config.toml [catalogue])
    merged in, and `tiers` ({"quality": id, "text_fast": id, ...}, from config.toml [models])."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    grids = {
        name: {ratio: (int(v[0]), int(v[1])) for ratio, v in table.items()}
        for name, table in data.get("grids", {}).items()
    }
    raw = {model_id: dict(entry) for model_id, entry in data.get("models", {}).items()}
    for model_id, entry in (overrides or {}).items():
        if not isinstance(entry, dict):
            raise CatalogueError(f"catalogue.{model_id} must be a table of fields")
        unknown = sorted(set(entry) - ENTRY_KEYS)
        if unknown:
            raise CatalogueError(
                f"catalogue.{model_id}.{unknown[0]} is not a catalogue field; known: {', '.join(sorted(ENTRY_KEYS))}"
            )
        like = entry.get("like")
        if like:
            if like not in raw:
                raise CatalogueError(f"catalogue.{model_id}.like names {like!r}, which the catalogue does not know")
            base = {k: v for k, v in raw[like].items() if k not in ("label", "shut_down", "replacement")}
        else:
            base = raw.get(model_id, {})
        raw[model_id] = {**base, **{k: v for k, v in entry.items() if k != "like"}}
    models = {model_id: _model(model_id, entry, grids) for model_id, entry in raw.items()}
    table: dict[tuple[str, str], Tier] = {}
    for kind in ("image", "text"):
        for name, entry in data.get("tiers", {}).get(kind, {}).items():
            table[(kind, name)] = Tier(name, str(entry["model"]), str(entry.get("thinking", "")))
    for key, model_id in (tiers or {}).items():
        kind, name = ("text", key[5:]) if key.startswith("text_") else ("image", key)
        if name in TIERS and model_id:
            old = table.get((kind, name))
            thinking = old.thinking if old and old.model == model_id else ""
            table[(kind, name)] = Tier(name, model_id, thinking)
    return Catalogue(models, table)


def _model(model_id: str, entry: dict, grids: dict) -> Model:
    family = entry.get("family", IMAGE if "image" in model_id else TEXT)
    if family not in FAMILIES:
        raise CatalogueError(f"catalogue.{model_id}.family = {family!r}; choose one of {', '.join(FAMILIES)}")
    grid_name = entry.get("grid", "gemini3")
    if grid_name not in grids and family == IMAGE:
        raise CatalogueError(f"catalogue.{model_id}.grid = {grid_name!r}; known: {', '.join(grids)}")
    sizes = tuple(str(s) for s in entry.get("sizes", ()))
    bad = [s for s in sizes if s not in SIZE_ORDER]
    if bad:
        raise CatalogueError(f"catalogue.{model_id}.sizes: {bad[0]!r} is not one of {', '.join(SIZE_ORDER)}")
    try:
        return Model(
            id=model_id,
            family=family,
            label=str(entry.get("label", "")),
            actions=frozenset(entry.get("actions", ())),
            locations=tuple(entry.get("locations", ("global",))),
            aspect_ratios=tuple(entry.get("aspect_ratios", ())),
            sizes=sizes,
            grid=grids.get(grid_name, {}),
            thinking=tuple(entry.get("thinking", ())),
            max_images=int(entry.get("max_images", 14)),
            max_inline_bytes=int(entry.get("max_inline_bytes", 7 * 1024 * 1024)),
            price={str(k): float(v) for k, v in entry.get("price", {}).items()},
            input_price=float(entry["input_price"]) if entry.get("input_price") is not None else None,
            released=_date(entry.get("released")),
            retires=_date(entry.get("retires")),
            shut_down=_date(entry.get("shut_down")),
            replacement=str(entry.get("replacement", "")),
        )
    except (TypeError, ValueError) as exc:
        raise CatalogueError(f"catalogue.{model_id}: {exc}") from exc


def _date(value: Any) -> datetime.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(str(value))


def size_rank(size: str) -> int:
    return SIZE_ORDER.index(size) if size in SIZE_ORDER else 1
