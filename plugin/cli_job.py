"""One job of the command line on image files: its outputs checked before any work, the job run in this
process, and each variation written as a whole picture as soon as it arrives.

plugin/cli.py reads the command line and hands the job here (or to the warm worker, plugin/link/cli_warm.py,
which writes its pictures through write_variation and reports through summary too); `imagen-gimp refine`
(plugin/cli_refine.py) runs its recipe's job here. NumPy and Pillow only until a job runs.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from plugin import compose, errors, images, ops


class UserError(errors.UserError):
    """A problem with the command line or the files: one line, exit code 2."""

    kind = "operation"


def read_image(path: str) -> np.ndarray:
    try:
        return images.read_picture(path)
    except images.ImageFileError as exc:
        raise UserError(str(exc)) from exc


def read_mask(path: str, image: np.ndarray) -> np.ndarray:
    try:
        return images.read_mask(path, (image.shape[1], image.shape[0]))
    except images.ImageFileError as exc:
        raise UserError(str(exc)) from exc


def output_paths(args: argparse.Namespace, count: int) -> list[Path]:
    """Where the results go: -o, or NAME-ACTION.png beside the input; NAME-1.png, ... for variations."""
    base = (
        Path(args.output)
        if args.output
        else Path(f"{Path(getattr(args, 'input', 'generated')).stem}-{args.command}.png")
    )
    if count == 1:
        return [base]
    return [base.with_name(f"{base.stem}-{index + 1}{base.suffix}") for index in range(count)]


def check_outputs(paths: list[Path], inputs: list[str], overwrite: bool) -> None:
    """Before any work: each output can be written, is none of the inputs, and replaces nothing unasked."""
    given = {_same(Path(p)) for p in inputs if p}
    for path in paths:
        try:
            images.output_format(path)
            images.check_writable(path)
        except images.ImageFileError as exc:
            raise UserError(str(exc)) from exc
        if _same(path) in given:
            raise UserError(
                f"{path} is one of the inputs; writing the result there would destroy it. Choose another -o"
            )
        if path.exists() and not overwrite:
            raise UserError(f"{path} exists; pass --overwrite to replace it, or choose another -o")


def _same(path: Path) -> str:
    """One name for a file however it is written (relative, ./, symlinked)."""
    return os.path.realpath(path)


def whole_picture(
    image: np.ndarray | None,
    origin: tuple[int, int],
    shown: np.ndarray,
    masked: bool,
    x: int,
    y: int,
    canvas: tuple[int, int, int, int] | None,
) -> np.ndarray:
    """A variation as a whole picture: `shown` (as GIMP shows the layer) pasted at (x, y) of the region at
    `origin` in the original, or on the grown canvas; a picture of its own when it has neither."""
    if image is None or not masked and canvas is None:
        return shown
    out = image
    x, y = x + origin[0], y + origin[1]
    if canvas is not None:
        left, top, right, bottom = canvas
        height, width = image.shape[:2]
        out = np.zeros((height + top + bottom, width + left + right, 4), np.uint8)
        out[top : top + height, left : left + width] = image
        x, y = x + left, y + top
    return compose.paste(out, shown, x, y)


def selection_picture(image: np.ndarray, origin: tuple[int, int], shown: np.ndarray, x: int, y: int) -> np.ndarray:
    """A selection result (the matte as grey) as a greyscale mask the size of the input: white is
    selected, black outside the region it was found in (as GIMP's selection would be)."""
    mask = np.zeros(image.shape[:2], np.uint8)
    x, y = x + origin[0], y + origin[1]
    part = shown[: mask.shape[0] - y, : mask.shape[1] - x, 0]
    mask[y : y + part.shape[0], x : x + part.shape[1]] = part
    return mask


class ProgressDisplay:
    """One updating line on a terminal, or one line per stage when piped."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.tty = sys.stderr.isatty()
        self.stage = ""
        self.started = time.perf_counter()

    def __call__(self, fraction: float, stage: str) -> None:
        if self.quiet or (not self.tty and stage == self.stage):
            return
        self.stage = stage
        elapsed = time.perf_counter() - self.started
        line = f"[{fraction * 100:3.0f}%] {stage} ({elapsed:.1f} s)"
        if self.tty:
            sys.stderr.write("\r" + line.ljust(70))
            if fraction >= 1.0:
                sys.stderr.write("\n")
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()


def write_variation(
    shown: np.ndarray,
    masked: bool,
    x: int,
    y: int,
    canvas: tuple | None,
    path: Path,
    name: str,
    provenance: dict,
    whole: Callable,
    recipe_of: Callable[[dict], dict] | None = None,
) -> dict:
    """One variation as shown (through its mask) made a whole picture by `whole`, written with its recipe;
    what the summary lists for it."""
    images.write_picture(whole(shown, masked, x, y, canvas), path, recipe_of(provenance) if recipe_of else None)
    return {"path": str(path), "seed": provenance.get("seed"), "name": name}


def summary(action: str, backend: str, model: str, written: list[dict], texts, notes, seconds: float) -> dict:
    """What a job did, as --json prints it (here and on the warm worker alike)."""
    return {
        "action": action,
        "backend": backend,
        "model": model,
        "written": written,
        "texts": list(texts),
        "notes": list(notes),
        "compute_seconds": round(float(seconds), 3),
    }


def recipe_maker(origin, region, selection, source: str):
    """provenance -> the recipe a written picture carries (plugin/refine.py): refine and --again read it."""
    from plugin.refine import recipe_for

    shape = None if region is None else region.shape
    source = os.path.abspath(source) if source else ""
    return lambda provenance: recipe_for(provenance, origin, shape, selection, source)


def run_here(
    op: ops.Operation, region, selection, references, paths: list[Path], whole, progress, recipe_of=None, followup=None
) -> dict:
    """The job in this process (IMAGEN_GIMP_WARM=0, or no warm worker on this system, or a refinement)."""
    from plugin.backends import make_backend
    from plugin.config import load_settings
    from plugin.pipeline import run

    backend = make_backend(op.backend, load_settings())
    written: list[dict] = []

    def keep(layer, output) -> None:  # each variation on disk as soon as it arrives
        if layer.provenance.get("role") == "object":  # harmonize: written with its shadow layer (composite)
            return
        path = paths[len(written)] if len(paths) > 1 else paths[0]
        shown, masked = layer.shown(), layer.mask is not None
        picture = (shown, masked, layer.x, layer.y, output.canvas)
        written.append(write_variation(*picture, path, layer.name, layer.provenance, whole, recipe_of))

    try:
        output = run(op, region, selection, backend, progress, keep, references, followup)
    except errors.UserError as exc:
        if written:
            raise UserError(f"{exc} (kept what came before: {', '.join(w['path'] for w in written)})") from exc
        raise
    return summary(op.action, output.backend, output.model, written, output.texts, output.notes, output.compute_seconds)
