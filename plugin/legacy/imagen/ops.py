"""Operations only the Imagen (legacy) backend offers: edits through an automatic (server-computed)
mask, and SynthID watermark verification (imageverification@001).

Google shut the Imagen family down in 2026 and documents no successor API for either, so neither has
a GIMP menu entry; they stay for the command line and for projects that keep an Imagen endpoint.
Importing this module registers them (plugin/ops.py does); it imports only ops_base, so no circle.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from plugin.legacy.imagen import actions as _actions  # noqa: F401  (registers the two actions (and their parameters) first)
from plugin.ops_base import Operation, OperationError, _check_text, register


@register
@dataclass(frozen=True)
class AutoMaskEdit(Operation):
    """Insert, remove or replace the background where the service finds it: the whole
    background, the foreground, or objects of named classes ("car, person")."""

    action: ClassVar[str] = "auto_mask"

    edit: str = "insert"
    mask_mode: str = "semantic"
    classes: str = ""  # class names or IDs, comma-separated; semantic mode only
    prompt: str = ""
    negative_prompt: str = ""
    dilation: float = -1.0  # share of the image width to grow the mask; -1 = Google's default

    def validate(self) -> None:  # edit and mask_mode: the table's (Operation.__post_init__, _actions)
        _check_text("prompt", self.prompt, required=self.edit != "remove")
        _check_text("classes", self.classes, required=self.mask_mode == "semantic")
        if self.mask_mode == "semantic":
            from plugin.legacy.imagen.classes import parse_classes

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


__all__ = ["AutoMaskEdit", "VerifyWatermark"]
