"""The path of one edit, independent of any host: mask, crop, call the backend, blend back.

Input is what a host read from GIMP (or the CLI from a file): RGBA pixels and, when there is
one, the selection over the same pixels. Output is a list of layers to paste, positioned relative
to that input, each with its mask and provenance. The backend only ever sees the region of
interest at full resolution (it sizes what it sends itself) and answers at that size; whatever it
returns is blended through the feathered selection.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from plugin import __version__, actions, compose, masks
from plugin.backends.base import (
    Backend,
    BackendError,
    BackendResult,
    EditRequest,
    Followup,
    Progress,
    UnsupportedOperation,
    no_progress,
)
from plugin.crop import MIN_SIDE
from plugin.geometry import Rect
from plugin.ops import MAX_SEED, Background, BlendedOperation, Harmonize, Operation, OperationError, Outpaint
from plugin.variations import VARIATION_FAILURES, SharedProgress, side_by_side


@dataclass
class ResultLayer:
    """One layer to paste: pixels at (x, y) relative to the input's origin."""

    name: str
    x: int
    y: int
    pixels: np.ndarray  # H x W x 4 uint8
    mask: np.ndarray | None  # H x W uint8 layer mask, None = whole layer shows
    provenance: dict
    composite: np.ndarray | None = None  # as GIMP shows it over the original (through the mask)
    group: str = ""  # Harmonize: the variation's own layer group (its object and shadow layers)

    def shown(self) -> np.ndarray:
        return self.pixels if self.composite is None else self.composite


@dataclass
class JobOutput:
    group: str
    layers: list[ResultLayer] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    canvas: tuple[int, int, int, int] | None = None  # outpaint: margins the host adds first
    backend: str = ""
    model: str = ""
    compute_seconds: float = 0.0


LayerSink = Callable[[ResultLayer, JobOutput], None]


def _ignore_layer(layer: ResultLayer, output: JobOutput) -> None:
    """Default sink: the caller reads output.layers at the end."""


def group_name(op: Operation) -> str:
    return actions.group_name(op.action, op.prompt_text)


def variation_seeds(op: Operation) -> list[int]:
    """Seeds for each variation: the user's, or a random one, counting up (recorded per layer)."""
    base = op.seed if op.seed is not None else int.from_bytes(os.urandom(4), "little") % MAX_SEED
    return [(base + index) % (MAX_SEED + 1) for index in range(op.variations)]


@dataclass
class _Region:
    """Where the backend works: the crop in input coordinates and what it was sent."""

    roi: Rect
    image: np.ndarray  # full-resolution crop, RGBA
    change: np.ndarray | None  # full-resolution hard mask (bool) of what may change
    weight: np.ndarray | None  # full-resolution 8-bit blend mask
    hint: np.ndarray | None = None  # background: the user's selection marking the subject
    origin_shift: tuple[int, int] = (0, 0)  # input origin inside the (padded) working canvas
    footprint: np.ndarray | None = None  # harmonize: the object's alpha; image is then the object in its scene


def run(
    op: Operation,
    image: np.ndarray | None,
    selection: np.ndarray | None,
    backend: Backend,
    progress: Progress = no_progress,
    on_layer: LayerSink = _ignore_layer,
    references: list[np.ndarray] | None = None,
    followup: Followup | None = None,
) -> JobOutput:
    """Run one operation; layers are also handed to `on_layer` as they are made.

    `followup` (Refine Result) continues the conversation that made a result, over the same region and
    through the same selection; each variation is a branch of it.

    A backend that answers one variation per call gets its calls side by side (up to
    capabilities().parallel at once); each layer is handed on as soon as its answer arrives, and a
    variation that fails on its own (blocked, no capacity) becomes a note while the others stay.
    """
    _check_inputs(op, image, selection)
    backend.check_supported(op)
    output = JobOutput(group=group_name(op), backend=backend.name)
    references = list(references or [])
    if isinstance(op, Background) and op.mode == "image" and op.image_path and not references:
        references.append(load_rgba(op.image_path))
    progress(0.02, "preparing the region")
    region = _prepare_region(op, image, selection)
    if isinstance(op, Harmonize):
        region, references = _harmonize_region(op, region, references)
    if isinstance(op, Outpaint):
        output.canvas = op.margins
    caps = backend.capabilities()
    if followup is not None and not caps.conversations:
        raise UnsupportedOperation(
            f"The {backend.name} backend cannot refine a result; Refine Result continues "
            "a conversation with Google's Gemini models (Backend: Automatic or Gemini)."
        )
    seeds = variation_seeds(op)
    calls = (
        [(op, seeds)]
        if caps.batch_variations
        else [(dataclasses.replace(op, variations=1, seed=seed), [seed]) for seed in seeds]
    )
    share = SharedProgress(progress, len(calls))
    failures: list[BackendError] = []

    def one(index: int) -> tuple[EditRequest, BackendResult, float]:
        call_op = calls[index][0]
        request = _request(call_op, region, references, followup)
        started = time.perf_counter()
        result = backend.run(request, share.part(index))
        return request, result, time.perf_counter() - started

    def deliver(index: int, request: EditRequest, result: BackendResult, seconds: float) -> None:
        output.compute_seconds += seconds
        output.model = result.model or output.model
        output.notes.extend(note for note in result.notes if note not in output.notes)
        output.texts.extend(result.texts)
        result_seeds = result.seeds or calls[index][1]
        for number, picture in enumerate(result.images):
            seed = result_seeds[number] if number < len(result_seeds) else None
            _check_size(op, region, picture, backend)
            if not result.colour_matched:
                picture = compose.match_answer(picture, op.action, request.image, request.mask)
            made = (
                _harmonized(op, region, picture, seed, output, result)
                if region.footprint is not None
                else [_make_layer(op, region, picture, seed, len(output.layers), output, result)]
            )
            for layer in made:
                output.layers.append(layer)
                on_layer(layer, output)
        share.done(index, len(output.layers))

    workers = max(1, min(caps.parallel, len(calls)))
    if workers == 1:
        for index in range(len(calls)):
            try:
                deliver(index, *one(index))
            except VARIATION_FAILURES as exc:
                failures.append(exc)
    else:
        side_by_side(one, deliver, len(calls), workers, failures, backend)
    if failures:
        if not output.layers and not output.texts:
            raise failures[0]
        output.notes.append(f"{len(failures)} of {len(calls)} variations failed: {failures[0]}")
    _report_missing(op, output)
    progress(1.0, "done")
    return output


def _check_inputs(op: Operation, image: np.ndarray | None, selection: np.ndarray | None) -> None:
    if op.takes_picture:
        if image is None:
            raise ValueError(f"{op.title} needs an image")
        if image.ndim != 3 or image.shape[2] != 4 or image.dtype != np.uint8:
            raise ValueError(f"expected H x W x 4 uint8 RGBA pixels, got {image.shape} {image.dtype}")
        if min(image.shape[:2]) < MIN_SIDE:
            raise OperationError(
                "image", f"is {image.shape[1]}x{image.shape[0]} pixels; {op.title} needs at least {MIN_SIDE}x{MIN_SIDE}"
            )
        if selection is not None and selection.shape != image.shape[:2]:
            raise ValueError(
                f"the mask is {selection.shape[1]}x{selection.shape[0]} but the image is "
                f"{image.shape[1]}x{image.shape[0]}; give a mask of the same size"
            )
    if op.uses_mask and selection is None:
        raise masks.EmptySelectionError()


def _prepare_region(op: Operation, image: np.ndarray | None, selection: np.ndarray | None) -> _Region:
    if image is None:
        return _Region(Rect(0, 0, 0, 0), np.zeros((0, 0, 4), np.uint8), None, None)
    height, width = image.shape[:2]
    if isinstance(op, Outpaint):
        return _outpaint_region(op, image)
    if op.uses_mask and selection is not None and not isinstance(op, Background):
        # the input is the region of interest the host planned (plugin/regions.py): the selection's
        # bounds with grow + feather + context around them, so nothing is cropped here again
        weight = masks.weight_to_u8(masks.blend_weight(selection, op.grow, op.feather))
        return _Region(Rect(0, 0, width, height), image, weight > 0, weight)
    if isinstance(op, Background):
        hint = selection if selection is not None and selection.any() else None
        return _Region(Rect(0, 0, width, height), image, None, None, hint=hint)
    entry = actions.BY_NAME[op.action]
    if entry.reads == "selected-or-layer" and entry.selection == "used" and selection is not None and selection.any():
        # the host read the selected rectangle; an edit blends back through the selection
        return _Region(Rect(0, 0, width, height), image, selection > 0, selection)
    return _Region(Rect(0, 0, width, height), image, None, None)


def _outpaint_region(op: Outpaint, image: np.ndarray) -> _Region:
    """The padded canvas; the new border is the change, the original is never repainted."""
    left, top, right, bottom = op.margins
    height, width = image.shape[:2]
    canvas = np.zeros((height + top + bottom, width + left + right, 4), np.uint8)
    canvas[top : top + height, left : left + width] = image
    new_area = np.ones(canvas.shape[:2], bool)
    new_area[top : top + height, left : left + width] = False
    changed = masks.bounds(new_area)
    roi = masks.region_of_interest(changed, op.context, canvas.shape[1], canvas.shape[0])
    weight = np.where(new_area, 255, 0).astype(np.uint8)
    return _Region(roi, _crop(canvas, roi), _crop(new_area, roi), _crop(weight, roi), origin_shift=(left, top))


def _request(op: Operation, region: _Region, references: list[np.ndarray], followup: Followup | None) -> EditRequest:
    """The region as it is, with a hard 0/255 mask of what may change (Replace Background: the subject)."""
    if region.image.size == 0:
        return EditRequest(op=op, image=None, references=references, followup=followup)
    mask = region.hint
    if region.change is not None and isinstance(op, BlendedOperation):
        mask = np.where(region.change, 255, 0).astype(np.uint8)
    return EditRequest(op=op, image=region.image, mask=mask, references=references, followup=followup)


def _check_size(op: Operation, region: _Region, picture: np.ndarray, backend: Backend) -> None:
    """A picture answers at the region's size (an upscale at its own): a backend sizes what it sends and
    scales what it gets back itself, so a wrong size here is a bug, never resampled silently."""
    wanted = region.image.shape[:2]
    if region.image.size and op.action != "upscale" and picture.shape[:2] != wanted:
        raise ValueError(
            f"the {backend.name} backend answered {picture.shape[1]}x{picture.shape[0]} for a "
            f"{wanted[1]}x{wanted[0]} region; a backend answers at the region's size"
        )


def _harmonize_region(op: Harmonize, region: _Region, references: list[np.ndarray]) -> tuple[_Region, list[np.ndarray]]:
    """The object in its scene is what the model edits; the object alone (on grey) is the reference."""
    from plugin import harmonize

    scene = harmonize.scene_of(op, region.image, references)
    together = harmonize.composite(region.image, scene)
    return (
        dataclasses.replace(region, image=together, footprint=region.image[..., 3].copy()),
        [harmonize.on_grey(region.image)],
    )


def _harmonized(
    op: Harmonize, region: _Region, picture: np.ndarray, seed: int | None, output: JobOutput, result: BackendResult
) -> list[ResultLayer]:
    """A variation's shadow layer and harmonized object layer (bottom up), named for its group."""
    from plugin import harmonize

    number = len(output.layers) // 2 + 1
    group = f"{op.title} #{number}" + (f" (seed {seed})" if seed is not None else "")
    names = {"shadow": f"Shadow #{number}", "object": f"Harmonized object #{number}"}
    pieces = harmonize.pieces(region.image, region.footprint, picture, op.shadow)
    layers = []
    for piece in pieces:
        provenance = _provenance(op, seed, output, result)
        provenance["role"] = piece.role
        layers.append(
            ResultLayer(names[piece.role], piece.x, piece.y, piece.pixels, piece.mask, provenance, group=group)
        )
    shadow = pieces[0]  # its area holds the object's: the whole variation as shown, for the command line
    layers[0].composite = _crop(
        harmonize.shown(region.image, pieces), Rect(shadow.x, shadow.y, shadow.mask.shape[1], shadow.mask.shape[0])
    )
    return layers


def _provenance(op: Operation, seed: int | None, output: JobOutput, result: BackendResult) -> dict:
    return {
        "plugin": f"imagen-gimp {__version__}",
        "action": op.action,
        "prompt": op.prompt_text,
        "seed": seed,
        "model": result.model or output.model,
        "backend": output.backend,
        "parameters": {k: v for k, v in op.to_dict().items() if k not in ("action", "prompt", "seed")},
        **result.details,
    }


def _make_layer(
    op: Operation,
    region: _Region,
    picture: np.ndarray,
    seed: int | None,
    index: int,
    output: JobOutput,
    result: BackendResult,
) -> ResultLayer:
    details = dict(result.details)
    provenance = _provenance(op, seed, output, result)
    label = details.get("label", "")
    title = op.title
    if details.get("instruction"):  # Refine Result: the follow-up names the layer ("Refine Result: bluer #1")
        title = actions.group_name("refine", details["instruction"])
    name = f"{title} #{index + 1}" + (f" ({label})" if label else "") + (f" (seed {seed})" if seed is not None else "")
    if picture.ndim != 3 or picture.shape[2] != 4:
        raise ValueError(f"the backend returned an image of shape {picture.shape}; expected RGBA")
    if region.weight is None:
        x, y = region.roi.x - region.origin_shift[0], region.roi.y - region.origin_shift[1]
        return ResultLayer(name, x, y, picture, None, provenance)
    changed = masks.bounds(region.weight)
    pixels = _crop(picture, changed)
    if isinstance(op, Outpaint):
        # the original area stays exactly the original, even where the layer mask is edited later
        pixels = compose.blend(_crop(region.image, changed), pixels, _crop(region.weight, changed))
    weight = _crop(region.weight, changed)
    layer = ResultLayer(
        name,
        region.roi.x + changed.x - region.origin_shift[0],
        region.roi.y + changed.y - region.origin_shift[1],
        pixels,
        weight,
        provenance,
    )
    layer.composite = compose.blend(_crop(region.image, changed), pixels, weight)
    return layer


def _report_missing(op: Operation, output: JobOutput) -> None:
    arrived = len({layer.group or id(layer) for layer in output.layers})  # harmonize: two layers a variation
    if not actions.answers_in_text(op.action) and arrived < op.variations:
        missing = op.variations - arrived
        output.notes.append(f"{missing} of {op.variations} variations did not come back (see notes above).")


def _crop(array: np.ndarray, rect: Rect) -> np.ndarray:
    return array[rect.y : rect.y + rect.height, rect.x : rect.x + rect.width]


def load_rgba(path: str) -> np.ndarray:
    """Read a picture file as RGBA uint8 as GIMP shows it (plugin.images: every mode, EXIF orientation)."""
    from plugin.images import read_picture

    return read_picture(path)


__all__ = ["BackendResult", "JobOutput", "ResultLayer", "run", "load_rgba", "group_name"]
