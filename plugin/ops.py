"""The operations a user can ask for, one validated dataclass each.

Hosts, the CLI and the worker all build operations through `from_dict`, so every entry point
rejects bad parameters with the same message: which field, what was given, what is allowed.
The shared machinery (checks, the base class, the table) lives in ops_base.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from plugin import params as P
from plugin.ops_base import (  # noqa: F401  (re-exported: callers name them from here)
    ASPECT_RATIOS,
    BACKEND_ALIASES,
    BACKENDS,
    MAX_PROMPT_CHARS,
    MAX_SEED,
    MAX_SIZES,
    OPERATIONS,
    TIERS,
    Operation,
    OperationError,
    _check_text,
    field_names,
    from_dict,
    register,
)

# Ranges, choices and defaults are the parameter table's (plugin/params.py): Operation.__post_init__
# checks every field the table declares; validate() below holds only what the table cannot say.


@dataclass(frozen=True)
class BlendedOperation(Operation):
    """An edit blended back through a mask: how the mask bleeds and how much context is sent.

    The mask is the user's selection (Insert, Remove: `uses_mask`, they need one), the new margins
    (Expand Canvas) or the subject, found or hinted by a selection (Replace Background).
    """

    uses_mask: ClassVar[bool] = True  # the user's selection is required

    grow: int = P.GROW.default
    feather: int = P.FEATHER.default
    context: int = P.CONTEXT.default

    @property
    def bleed(self) -> int:
        """How far past the selection the blend can reach, in pixels."""
        return self.grow + self.feather


@dataclass(frozen=True)
class Prompted(Operation):
    """An action the prompt drives: what to make (required) and what to avoid (optional)."""

    prompt: str = ""
    negative_prompt: str = ""

    def validate(self) -> None:
        _check_prompts(self)


def _check_prompts(op: Operation) -> None:
    _check_text("prompt", op.prompt, required=True)
    _check_text("negative_prompt", op.negative_prompt, required=False)


@dataclass(frozen=True)
class Generate(Prompted):
    action: ClassVar[str] = "generate"
    takes_picture: ClassVar[bool] = False

    aspect_ratio: str = P.default_value(P.ASPECT)


@dataclass(frozen=True)
class InpaintInsert(Prompted, BlendedOperation):  # fields: the mask's, then the prompts (as before)
    action: ClassVar[str] = "insert"


@dataclass(frozen=True)
class InpaintRemove(BlendedOperation):
    action: ClassVar[str] = "remove"

    prompt: str = ""


@dataclass(frozen=True)
class Outpaint(BlendedOperation):
    """Grow the canvas by margins; the new area is the mask, the original is never repainted."""

    action: ClassVar[str] = "outpaint"
    uses_mask: ClassVar[bool] = False

    prompt: str = ""
    left: int = 0
    top: int = 0
    right: int = 0
    bottom: int = 0

    def validate(self) -> None:
        if not (self.left or self.top or self.right or self.bottom):
            raise OperationError("margins", "all four are 0; give at least one side to expand")

    @property
    def margins(self) -> tuple[int, int, int, int]:
        return self.left, self.top, self.right, self.bottom


@dataclass(frozen=True)
class Background(BlendedOperation):
    """Cut the subject out, or put something else behind it.

    The selection, when there is one, marks the subject; without one the backend finds it.
    """

    action: ClassVar[str] = "background"
    uses_mask: ClassVar[bool] = False  # a selection helps but is not needed

    mode: str = "transparent"
    color: str = "#ffffff"
    blur_radius: int = 24
    image_path: str = ""
    prompt: str = ""

    def validate(self) -> None:
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", self.color):
            raise OperationError("color", f"{self.color!r} is not a colour; write it as #rrggbb")
        if self.mode == "image" and not self.image_path:
            raise OperationError("image_path", "is required when mode is 'image'; name a picture")
        _check_text("prompt", self.prompt, required=self.mode == "prompt")


@dataclass(frozen=True)
class Edit(Prompted):
    """Mask-free edit: the prompt describes the whole desired picture."""

    action: ClassVar[str] = "edit"


@dataclass(frozen=True)
class Upscale(Operation):
    action: ClassVar[str] = "upscale"

    factor: int = P.default_value(P.FACTOR)
    offline_model: str = P.default_value(P.OFFLINE_MODEL)  # the local engine's (plugin/upscale_cost.py)


@dataclass(frozen=True)
class Describe(Operation):
    """A caption, or the answer to a question about the picture."""

    action: ClassVar[str] = "describe"

    question: str = ""


@dataclass(frozen=True)
class Customize(Operation):
    """A new picture guided by reference layers: a subject, a style, or a scribble/edge drawing.

    The references are the layers named in `reference_layers` (the host passes them as
    EditRequest.references); with none named, the current layer is the reference. Gemini takes
    them as pictures beside the instruction (Google names Gemini image models as the successor of
    Imagen's customization); the legacy Imagen backend sends Imagen's reference images.
    """

    action: ClassVar[str] = "customize"
    takes_picture: ClassVar[bool] = False

    prompt: str = ""
    kind: str = "subject"
    description: str = ""  # "a red mug", "watercolor painting" (subject / style description)
    subject_type: str = "default"
    compute_control: bool = False  # True: the layer is a photo; its edges/sketch are drawn from it first
    negative_prompt: str = ""
    aspect_ratio: str = P.default_value(P.ASPECT)
    reference_layers: tuple[str, ...] = ()

    def validate(self) -> None:
        _check_prompts(self)
        if not isinstance(self.reference_layers, (tuple, list)) or not all(
            isinstance(name, str) for name in self.reference_layers
        ):
            raise OperationError("reference_layers", "give a list of layer names")
        if len(self.reference_layers) > P.MAX_REFERENCES:
            raise OperationError("reference_layers", f"at most {P.MAX_REFERENCES} reference layers are allowed")
        if self.kind != "subject" and len(self.reference_layers) > 1:
            raise OperationError("reference_layers", f"a {self.kind} reference is one layer")
        object.__setattr__(self, "reference_layers", tuple(self.reference_layers))


@dataclass(frozen=True)
class Harmonize(Operation):
    """Blend a pasted object into the scene under it: its light, colour and a soft contact shadow.

    The input is the object over its box plus `context` pixels of scene (transparent where the object is
    not); the scene under it comes as the one reference. Only the object's footprint and, around it, the
    places the model darkened within `shadow` pixels change; farther away the scene stays bit for bit.
    """

    action: ClassVar[str] = "harmonize"

    prompt: str = ""
    context: int = 96
    shadow: int = 48


@dataclass(frozen=True)
class Subject(Operation):
    """Find the subject of the picture (or of the selected area) and make it the selection.

    Offline only: the engine's cut-out (U-2-Net-p refined at full resolution, or classical cues when
    the model is not installed). On the command line the result is a greyscale mask, white = subject.
    """

    action: ClassVar[str] = "subject"

    backend: str = "local"

    def validate(self) -> None:
        if self.backend == "auto":  # nothing else serves it: auto never reaches for the cloud here
            object.__setattr__(self, "backend", "local")
        if self.backend != "local":
            raise OperationError(
                "backend", f"{self.backend!r}: {self.title} runs on the local engine only; choose local (or auto)"
            )


for _cls in (
    Generate,
    InpaintInsert,
    InpaintRemove,
    Outpaint,
    Background,
    Edit,
    Upscale,
    Describe,
    Customize,
    Harmonize,
    Subject,
):
    register(_cls)

# The Imagen (legacy) backend's own actions (automatic masks, watermark checks) register themselves.
# So do Refine Result and Run Again, which a host sends with a result layer's recipe.
# The Imagen wing's first: the table's order is the command line's.
# isort: off
from plugin.legacy.imagen import ops as imagen_ops  # noqa: E402,F401
from plugin import ops_refine  # noqa: E402,F401
# isort: on
