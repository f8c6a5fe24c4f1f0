"""The embedded engine: classical, deterministic, CPU, no network.

It honours what a classical method can do well (removal, expansion, background cut-out,
upscaling) and refuses, with directions, what needs a generative model.
"""

from __future__ import annotations

import numpy as np

from plugin import actions
from plugin.actions import LOCAL_ACTIONS
from plugin.backends.base import (
    Backend,
    BackendError,
    BackendResult,
    Capabilities,
    EditRequest,
    Progress,
    UnsupportedOperation,
    no_progress,
)
from plugin.ops import Background, Harmonize, Operation, Outpaint, Subject, Upscale

CLOUD_HINT = (
    "Set up Vertex AI (README, 'Credentials': run `gcloud auth application-default login` and set "
    "GOOGLE_CLOUD_PROJECT), then choose Automatic or Gemini; Filters > Imagen > Check Setup (imagen-gimp "
    "doctor) shows what is missing."
)


class LocalBackend(Backend):
    name = "local"

    def __init__(self, why_not_cloud: str = ""):
        self.why_not_cloud = why_not_cloud  # Automatic chose us: what the cloud lacks, named in refusals

    def capabilities(self) -> Capabilities:
        return Capabilities(actions=LOCAL_ACTIONS)

    def run(self, request: EditRequest, progress: Progress = no_progress) -> BackendResult:
        op = request.op
        self.check_supported(op)
        image = request.image
        if image is None:
            raise UnsupportedOperation(f"{op.title} needs an image")
        seed = op.seed or 0
        notes: list[str] = []
        if isinstance(op, Upscale):
            if op.offline_model == "realesrgan":
                from plugin.engine.upscale_esrgan import upscale
            else:
                from plugin.engine.upscale_neural import upscale

            picture, note = upscale(image, op.factor, progress)
            pictures, notes = [picture], [note] if note else []
        elif isinstance(op, Subject):
            matte, note = _subject(image, None, progress)
            pictures, notes = [np.dstack([matte, matte, matte, np.full_like(matte, 255)])], [note] if note else []
        elif isinstance(op, Background):
            picture, note = self._background(op, request, progress)
            pictures, notes = [picture], [note] if note else []
        elif isinstance(op, Outpaint):
            pictures = [self._fill(image, request.mask, seed, progress)]
        else:  # remove
            pictures = [self._fill(image, request.mask, seed, progress)]
        uses_seed = not isinstance(op, (Upscale, Background, Subject))  # deterministic: no seed to show
        return BackendResult(images=pictures, model="local-engine", seeds=[op.seed if uses_seed else None], notes=notes)

    def check_supported(self, op: Operation) -> None:
        reason = actions.BY_NAME[op.action].offline_missing
        if isinstance(op, Background) and op.mode == "prompt":
            reason = "painting a new background from a prompt"
        if reason:
            hint = (
                f"Vertex AI is not set up: {self.why_not_cloud}. Filters > Imagen > Check Setup (imagen-gimp "
                "doctor) shows every step."
                if self.why_not_cloud
                else CLOUD_HINT
            )
            if isinstance(op, Harmonize):  # README, Harmonize: the fallback that was measured and left out
                hint = (
                    "Harmonize needs Google's image models on Vertex AI: a colour match from the surroundings "
                    "alone was measured and makes an object unlike its scene worse. " + hint
                )
            raise UnsupportedOperation(f"The local engine works offline and cannot do {reason} ({op.title}). {hint}")

    @staticmethod
    def _fill(image: np.ndarray, mask: np.ndarray | None, seed: int, progress: Progress) -> np.ndarray:
        """Synthesise the masked pixels (colour and alpha) from the rest of the region."""
        from plugin.engine.inpaint import fill_hole

        if mask is None:
            raise UnsupportedOperation("removal needs a selection of what to remove")
        hole = mask > 0
        opaque = image[..., 3] > 0
        # transparent pixels (outpaint's new border) are no source for the fill
        margins = _border_band(hole | ~opaque)
        if margins is not None:
            from plugin.engine.outpaint import extend_canvas

            left, top, right, bottom = margins
            h, w = hole.shape
            inner = image[top : h - bottom, left : w - right, :3]
            filled = extend_canvas(inner, margins, seed=seed, progress=progress)
        else:
            from plugin.engine.patch_fill import NothingToSampleFrom

            try:
                filled = fill_hole(image[..., :3], hole | ~opaque, seed=seed, progress=progress)
            except NothingToSampleFrom:
                raise BackendError(
                    "The selection, grown by Grow and feathered by Feather, covers (almost) the whole area, so "
                    "there is nothing left to copy the fill from. Select less, lower Grow and Feather, or raise "
                    "the Context margin."
                ) from None
        alpha = np.where(hole | ~opaque, 255, image[..., 3]).astype(np.uint8)
        return np.dstack([filled, alpha])

    @staticmethod
    def _background(op: Background, request: EditRequest, progress: Progress) -> tuple[np.ndarray, str]:
        from plugin.engine.background import replace_background

        image = request.image
        progress(0.1, "finding the subject" if request.mask is None else "refining the selection")
        alpha, note = _subject(image, request.mask, progress)
        progress(0.8, "composing the background")
        backdrop = request.references[0] if request.references else None
        return replace_background(
            image, alpha, op.mode, color=op.color, blur_radius=op.blur_radius, backdrop=backdrop
        ), note


def background_here(request: EditRequest, progress: Progress) -> BackendResult:
    """Replace Background in a mode that needs no model (transparent, colour, blur, a picture), asked of
    a cloud backend: done here, at no cost, and said so."""
    result = LocalBackend().run(request, progress)
    result.notes.append("This background mode needs no cloud model; the local engine did it.")
    return result


def _subject(image: np.ndarray, hint: np.ndarray | None, progress: Progress) -> tuple[np.ndarray, str]:
    """The subject matte (255 = subject) of an RGBA picture, nothing where the layer is transparent;
    and the note when the model was missing and the classical cut-out ran."""
    from plugin.engine.cutout_neural import find_subject

    matte, note = find_subject(image[..., :3], hint=hint, progress=lambda f, s: progress(0.1 + 0.7 * f, s))
    if (image[..., 3] < 255).any():
        matte = (matte.astype(np.uint16) * image[..., 3] // 255).astype(np.uint8)
    return matte, note


def _border_band(hole: np.ndarray) -> tuple[int, int, int, int] | None:
    """(left, top, right, bottom) when `hole` is exactly a frame around a kept rectangle (canvas
    expansion), else None. A frame is continued by extend_canvas, which carries the photo's colours
    and gradients out across the border instead of copying whatever patch matches best."""
    keep = ~hole
    if not keep.any() or keep.all():
        return None
    ys = np.flatnonzero(keep.any(1))
    xs = np.flatnonzero(keep.any(0))
    y0, y1, x0, x1 = ys[0], ys[-1] + 1, xs[0], xs[-1] + 1
    if not keep[y0:y1, x0:x1].all():
        return None
    h, w = hole.shape
    return int(x0), int(y0), int(w - x1), int(h - y1)
