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
from plugin import params as P
from plugin.errors import UserError

# The choices and ranges are the parameter table's (plugin/params.py), named here for the worker's callers
ASPECT_RATIOS = P.choice_values(P.ASPECT)
"""Every shape some model offers; each backend refuses (with the list) those its model does not."""
BACKENDS = P.choice_values(P.BACKEND)
BACKEND_ALIASES = P.CHOICE_ALIASES  # the Imagen backend's name before Google retired Imagen
TIERS = P.choice_values(P.TIER)
"""Google's models in a retoucher's words: Quality (gemini-3-pro-image), Standard (gemini-3.1-flash-image),
Fast (gemini-3.1-flash-lite-image); the IDs behind them are settings (plugin/models.toml, [models])."""
MAX_SIZES = P.choice_values(P.MAX_SIZE)
"""The largest answer a cloud model may be asked for; auto = what the region needs, up to the settings'
[gemini] max_image_size (new pictures: 1K)."""
MAX_SEED = P.SEED.extra[1]
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


def check(name: str, value: Any, param: P.Param) -> None:
    """A field against its parameter in the table: a whole number in range, one of the choices, true or false,
    text (of a length a prompt may have)."""
    if param.kind == "int":
        _check_int(name, value, *param.extra)
    elif param.kind == "choice":
        _check_choice(name, value, P.choice_values(param))
    elif param.kind == "bool" and not isinstance(value, bool):
        raise OperationError(name, f"{value!r} is not true or false")
    elif param.kind in ("text", "string"):  # a required one: the operation's validate() says when
        _check_text(name, value, required=False)


def param_for(action: str, field: str) -> P.Param | None:
    """The table's parameter behind an operation's field: the action's own (plugin/actions.py), else the
    one every operation has (params.COMMON); None for a field the table does not declare."""
    entry = actions.BY_NAME.get(action)
    for param in entry.params if entry is not None else ():
        if not param.host_only and P.field_name(param.name) == field:
            return param
    return P.COMMON.get(field)


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
    # the input picture is what the operation works on (sent as its canvas); Generate and Customize
    # make a new picture instead. Not actions.needs_image, which says GIMP needs an open image.
    takes_picture: ClassVar[bool] = True
    uses_mask: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.action:
            cls.title = actions.title(cls.action)

    variations: int = P.default_value(P.VARIATIONS)
    seed: int | None = None  # None = random (GIMP's 0)
    backend: str = P.default_value(P.BACKEND)
    model: str = ""  # a model ID instead of the tier's (empty = the tier's)
    tier: str = P.default_value(P.TIER)
    max_size: str = P.default_value(P.MAX_SIZE)

    def __post_init__(self) -> None:
        if self.backend in BACKEND_ALIASES:
            object.__setattr__(self, "backend", BACKEND_ALIASES[self.backend])
        if not isinstance(self.model, str):
            raise OperationError("model", f"{self.model!r} is not a model ID")
        for field in dataclasses.fields(self):  # ranges and choices: the parameter table's
            param = param_for(self.action, field.name)
            value = getattr(self, field.name)
            if param is not None and not (value is None and field.default is None):
                check(field.name, value, param)
        self.validate()

    def validate(self) -> None:
        """Per-action checks beyond the table's ranges and choices; subclasses extend."""

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
