"""What every operation shares: the field checks, the base dataclass and the table of operations.

Kept apart from the operations themselves (plugin/ops.py) so that operations defined elsewhere
(Refine Result in ops_refine.py, the Imagen wing's in plugin/legacy/imagen/ops.py) register into
the table without importing ops.py, which imports them: no import circle.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from plugin import actions
from plugin.errors import UserError

ASPECT_RATIOS = ("1:1", "3:4", "4:3", "9:16", "16:9", "2:3", "3:2", "4:5", "5:4", "21:9", "1:4", "4:1", "1:8", "8:1")
"""Every shape some model offers; each backend refuses (with the list) those its model does not."""
BACKENDS = ("auto", "local", "gemini", "imagen")
BACKEND_ALIASES = {"vertex": "imagen"}  # the Imagen backend's name before Google retired Imagen
TIERS = ("quality", "standard", "fast")
"""Google's models in a retoucher's words: Quality (gemini-3-pro-image), Standard (gemini-3.1-flash-image),
Fast (gemini-3.1-flash-lite-image); the IDs behind them are settings (plugin/models.toml, [models])."""
MAX_SIZES = ("auto", "512", "1K", "2K", "4K")
"""The largest answer a cloud model may be asked for; auto = what the region needs, up to the settings'
[gemini] max_image_size (new pictures: 1K)."""
CUSTOMIZE_KINDS = ("subject", "style", "scribble", "canny")
SUBJECT_TYPES = ("default", "person", "animal", "product")
BACKGROUND_MODES = ("transparent", "color", "blur", "image", "prompt")
UPSCALE_FACTORS = (2, 4)
MAX_SEED = 2**31 - 1
MAX_PROMPT_CHARS = 4000


class OperationError(UserError, ValueError):
    """A parameter is out of range; the message names the field and what is allowed."""

    kind = "operation"

    def __init__(self, field_name: str, message: str):
        super().__init__(f"{field_name}: {message}")
        self.field = field_name


def _check_choice(name: str, value: Any, allowed: tuple) -> None:
    if value not in allowed:
        shown = ", ".join(str(a) for a in allowed)
        raise OperationError(name, f"{value!r} is not allowed; choose one of {shown}")


def _check_int(name: str, value: Any, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise OperationError(name, f"{value!r} is not a whole number; give {low} to {high}")
    if not low <= value <= high:
        raise OperationError(name, f"{value} is out of range; give {low} to {high}")


def _check_text(name: str, value: Any, required: bool) -> None:
    if not isinstance(value, str):
        raise OperationError(name, f"{value!r} is not text")
    if required and not value.strip():
        raise OperationError(name, "is required for this action; describe what you want")
    if len(value) > MAX_PROMPT_CHARS:
        raise OperationError(name, f"is {len(value)} characters; keep it under {MAX_PROMPT_CHARS}")


@dataclass(frozen=True)
class Operation:
    """Fields every action shares."""

    action: ClassVar[str] = ""
    title: ClassVar[str] = ""  # the action table's (plugin/actions.py), set for each operation below
    needs_image: ClassVar[bool] = True
    uses_mask: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.action:
            cls.title = actions.title(cls.action)

    variations: int = 1
    seed: int | None = None
    backend: str = "auto"
    model: str = ""  # a model ID instead of the tier's (empty = the tier's)
    tier: str = "standard"
    max_size: str = "auto"

    def __post_init__(self) -> None:
        _check_int("variations", self.variations, 1, 4)
        if self.seed is not None:
            _check_int("seed", self.seed, 0, MAX_SEED)
        if self.backend in BACKEND_ALIASES:
            object.__setattr__(self, "backend", BACKEND_ALIASES[self.backend])
        _check_choice("backend", self.backend, BACKENDS)
        _check_choice("tier", self.tier, TIERS)
        _check_choice("max_size", self.max_size, MAX_SIZES)
        if not isinstance(self.model, str):
            raise OperationError("model", f"{self.model!r} is not a model ID")
        self.validate()

    def validate(self) -> None:
        """Per-action checks; subclasses extend."""

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, **dataclasses.asdict(self)}

    @property
    def prompt_text(self) -> str:
        return getattr(self, "prompt", "")


OPERATIONS: dict[str, type[Operation]] = {}
"""Every operation by its action; each registers itself with `register`."""


def register(cls: type[Operation]) -> type[Operation]:
    """Add an operation to the table (ops.py's own, Refine Result's, the Imagen wing's)."""
    OPERATIONS[cls.action] = cls
    return cls


def from_dict(data: dict[str, Any]) -> Operation:
    """Build and validate an operation from plain data (JSON job files, CLI arguments)."""
    data = dict(data)
    action = data.pop("action", None)
    if action not in OPERATIONS:
        _check_choice("action", action, tuple(OPERATIONS))
    cls = OPERATIONS[action]
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise OperationError(unknown[0], f"is not a parameter of {action}; known: {', '.join(sorted(known))}")
    try:
        return cls(**data)
    except TypeError as exc:  # a wrongly typed value that the checks did not catch first
        raise OperationError(action, str(exc)) from exc


def field_names(action: str) -> list[str]:
    return [f.name for f in dataclasses.fields(OPERATIONS[action])]
