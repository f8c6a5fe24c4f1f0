"""Operations only Imagen on Vertex AI offers: customization from reference layers, edits through
an automatic (server-computed) mask, and SynthID watermark verification.

They live apart from plugin/ops.py so the core table stays small; importing this module registers
them (plugin.backends.vertex imports it). Visual question answering is the existing Describe
operation with a question.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from plugin.ops import (
    ASPECT_RATIOS,
    Operation,
    OperationError,
    _check_choice,
    _check_text,
    register,
)

CUSTOMIZE_KINDS = ("subject", "style", "scribble", "canny")
SUBJECT_TYPES = ("default", "person", "animal", "product")
AUTO_MASK_EDITS = ("insert", "remove", "background")
AUTO_MASK_MODES = ("background", "foreground", "semantic")


@register
@dataclass(frozen=True)
class Customize(Operation):
    """A new picture guided by reference layers: a subject, a style, or a scribble/edge drawing.

    The references are the layers named in `reference_layers` (the host passes them as
    EditRequest.references); with none named, the current layer is the reference. The prompt can
    point at them as [1]; when it does not, the backend appends the tag.
    """

    action: ClassVar[str] = "customize"
    title: ClassVar[str] = "Generate from References"
    needs_image: ClassVar[bool] = False

    prompt: str = ""
    kind: str = "subject"
    description: str = ""  # "a red mug", "watercolor painting" (subject / style description)
    subject_type: str = "default"
    compute_control: bool = False  # True: the layer is a photo; the service derives edges/scribble
    negative_prompt: str = ""
    aspect_ratio: str = "1:1"
    reference_layers: tuple[str, ...] = ()

    def validate(self) -> None:
        _check_text("prompt", self.prompt, required=True)
        _check_choice("kind", self.kind, CUSTOMIZE_KINDS)
        _check_text("description", self.description, required=False)
        _check_choice("subject_type", self.subject_type, SUBJECT_TYPES)
        _check_text("negative_prompt", self.negative_prompt, required=False)
        _check_choice("aspect_ratio", self.aspect_ratio, ASPECT_RATIOS)
        if not isinstance(self.compute_control, bool):
            raise OperationError("compute_control", f"{self.compute_control!r} is not true or false")
        if not isinstance(self.reference_layers, (tuple, list)) or not all(
                isinstance(name, str) for name in self.reference_layers):
            raise OperationError("reference_layers", "give a list of layer names")
        if len(self.reference_layers) > 4:
            raise OperationError("reference_layers", "at most 4 reference layers are allowed")
        if self.kind != "subject" and len(self.reference_layers) > 1:
            raise OperationError("reference_layers", f"a {self.kind} reference is one layer")
        object.__setattr__(self, "reference_layers", tuple(self.reference_layers))


@register
@dataclass(frozen=True)
class AutoMaskEdit(Operation):
    """Insert, remove or replace the background where the service finds it: the whole
    background, the foreground, or objects of named classes ("car, person")."""

    action: ClassVar[str] = "auto_mask"
    title: ClassVar[str] = "Edit by Automatic Mask"

    edit: str = "insert"
    mask_mode: str = "semantic"
    classes: str = ""  # class names or IDs, comma-separated; semantic mode only
    prompt: str = ""
    negative_prompt: str = ""
    dilation: float = -1.0  # share of the image width to grow the mask; -1 = Google's default

    def validate(self) -> None:
        _check_choice("edit", self.edit, AUTO_MASK_EDITS)
        _check_choice("mask_mode", self.mask_mode, AUTO_MASK_MODES)
        _check_text("prompt", self.prompt, required=self.edit != "remove")
        _check_text("negative_prompt", self.negative_prompt, required=False)
        _check_text("classes", self.classes, required=self.mask_mode == "semantic")
        if self.mask_mode == "semantic":
            from plugin.backends.imagen_classes import parse_classes

            try:
                ids = parse_classes(self.classes)
            except ValueError as exc:
                raise OperationError("classes", str(exc)) from exc
            if len(ids) > 5:
                raise OperationError("classes", f"{len(ids)} classes given; the service takes at most 5")
        if isinstance(self.dilation, bool) or not isinstance(self.dilation, (int, float)):
            raise OperationError("dilation", f"{self.dilation!r} is not a number")
        if self.dilation != -1 and not 0 <= self.dilation <= 1:
            raise OperationError("dilation", f"{self.dilation} is out of range; give 0 to 1 (or -1)")


@register
@dataclass(frozen=True)
class VerifyWatermark(Operation):
    """Ask Google's SynthID detector whether the picture carries Imagen's invisible watermark."""

    action: ClassVar[str] = "verify"
    title: ClassVar[str] = "Check SynthID Watermark"
