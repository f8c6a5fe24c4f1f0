"""The one small interface every backend implements.

The pipeline hands a backend the region of interest already cropped, at full resolution, with a hard
mask (255 = change). The backend returns whole images of that same size (or text; an upscale its
enlarged size), sizing what it sends to its service itself (Gemini frames the region, plugin/framing.py;
Imagen scales it, legacy/imagen/sizing.py); the pipeline blends them through the user's feathered
selection, so no backend can touch a pixel outside it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from plugin.errors import UserError
from plugin.ops import Operation

Progress = Callable[[float, str], None]
"""progress(fraction 0..1 of the backend's own work, short stage text)."""


def no_progress(fraction: float, stage: str) -> None:
    """Default progress sink."""


class BackendError(UserError):
    """A failure the user can act on; the message says what to do."""

    kind = "backend"


class UnsupportedOperation(BackendError):
    """The backend cannot honour this action (for example text-to-image offline)."""


class SafetyFiltered(BackendError):
    """The model's safety filter (or a policy) removed the answer; nothing was made for it."""


class Cancelled(BackendError):
    """The user cancelled; nothing is pasted."""

    kind = "cancelled"


@dataclass(frozen=True)
class Capabilities:
    """What a backend can do, and how the pipeline calls it for several variations."""

    actions: frozenset[str]
    batch_variations: bool = False  # True: one call returns all variations; else one call each
    parallel: int = 1  # one call each: how many of them may run at once
    conversations: bool = False  # can continue a conversation with the model (Refine Result)


@dataclass(frozen=True)
class Followup:
    """Refine Result: a follow-up instruction, and the conversation it continues.

    history: the earlier turns, oldest first, user and model alternating, each a google-genai Content in
    its JSON form exactly as stored (plugin/conversations.py); empty = start afresh from the pixels sent.
    parent: the exchange continued ("" when afresh); depth: that exchange's depth (0 when afresh).
    """

    instruction: str
    history: tuple = ()
    parent: str = ""
    depth: int = 0


@dataclass
class EditRequest:
    """One call to a backend, in the region's own pixels.

    image: H x W x 4 uint8 RGBA (for outpaint already padded; new area transparent black).
    mask:  H x W uint8, 255 where the backend should change pixels, 0 where it must keep them;
           None for mask-free actions. For background it is the user's selection marking the
           subject (soft, 255 = subject), or None: find the subject yourself.
    references: other layers (customization, background image), RGBA uint8.
    """

    op: Operation
    image: np.ndarray | None
    mask: np.ndarray | None = None
    references: list[np.ndarray] = field(default_factory=list)
    followup: Followup | None = None

    def require_image(self) -> np.ndarray:
        """The image, or UnsupportedOperation when an action that needs one came without."""
        if self.image is None:
            raise UnsupportedOperation(f"{self.op.title} needs an image")
        return self.image


@dataclass
class BackendResult:
    """Images at the request's size (RGBA uint8), and/or text, and notes for the user."""

    images: list[np.ndarray] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    model: str = ""
    seeds: list[int | None] = field(default_factory=list)
    details: dict = field(default_factory=dict)  # added to each layer's provenance (tier, size, tokens ...)
    colour_matched: bool = False  # matched to its surroundings by the backend, at the size it worked at (Imagen)


class Backend:
    """Base class: name, capabilities(), run(request, progress)."""

    name = "base"

    def capabilities(self) -> Capabilities:
        raise NotImplementedError

    def run(self, request: EditRequest, progress: Progress = no_progress) -> BackendResult:
        raise NotImplementedError

    def cancel(self) -> None:
        """Stop waiting for the calls under way (safe from any thread); the pipeline calls it when a
        variation fails or the user cancels. Nothing to stop for a backend that does not wait."""

    def check_supported(self, op: Operation) -> None:
        """Raise UnsupportedOperation with a helpful message if the action is not offered.

        The pipeline asks before any work starts, so a refusal costs the user nothing.
        """
        if op.action not in self.capabilities().actions:
            raise UnsupportedOperation(
                f"The {self.name} backend cannot do '{op.title}'. "
                "Choose Automatic or Gemini in the dialog (Backend) and set up Vertex AI: see README, "
                "'Credentials', or run Filters > Imagen > Check Setup."
            )
