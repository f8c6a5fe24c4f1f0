"""The command line's jobs on the warm worker: the same job folder GIMP's hosts write, handed over the
same private socket (plugin/link/warm_client.py), so a second `imagen-gimp` call within the idle time
starts without importing SciPy, OpenCV, Numba or the Google clients again and finds the kernels loaded.

The CLI has already read the files, checked the outputs and planned the region (plugin/crop.py); this
module writes the job, runs it and turns result.json back into whole pictures on disk, each variation
as soon as the job ends (a failure after some variations keeps those). NumPy and Pillow only.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

from plugin import cli_job, errors
from plugin.link import jobfiles, jobs, warm_client, worker_client

REPO = str(Path(__file__).resolve().parents[1])
Picture = Callable[[np.ndarray, bool, int, int, "tuple | None"], np.ndarray]


class WorkerProblem(errors.UserError):
    """The job stopped on something the user can fix; the worker's own message, as the CLI words it."""

    def __init__(self, message: str, kind: str):
        super().__init__(message)
        self.kind = kind if kind in errors.KINDS else "backend"


def run(
    op,
    region: np.ndarray | None,
    selection: np.ndarray | None,
    origin: tuple[int, int],
    references: list[np.ndarray],
    paths: list[Path],
    whole: Picture,
    progress: Callable[[float, str], None],
    recipe_of: Callable[[dict], dict] | None = None,
) -> dict:
    """Run `op` on the warm worker; write variation i to paths[i] through whole(); the CLI's summary."""
    operation = op.to_dict()
    if operation.get("image_path"):  # the worker does not run in this folder
        operation["image_path"] = os.path.abspath(operation["image_path"])
    height, width = region.shape[:2] if region is not None else (0, 0)
    refs = [(ref.shape[1], ref.shape[0], np.ascontiguousarray(ref).tobytes()) for ref in references]
    folder = jobs.make_job(
        operation,
        width,
        height,
        origin,
        None if region is None else np.ascontiguousarray(region).tobytes(),
        None if selection is None else np.ascontiguousarray(selection).tobytes(),
        refs,
    )
    try:

        def on_progress(fraction: float, stage: str) -> bool:
            if fraction > 0:  # the worker's own 0% lines (starting, reading the job) say nothing here
                progress(fraction, stage)
            return True

        outcome = warm_client.run_worker(
            sys.executable,
            REPO,
            folder,
            on_progress,
            worker_client.command_override(sys.executable, folder),
            note=lambda text: print(f"note: {text}", file=sys.stderr),
        )
        result = jobfiles.read_result(folder)
        written = _write(folder, result, region, paths, whole, recipe_of)
        failed = outcome.cancelled or outcome.returncode != jobfiles.EXIT_OK or outcome.error
        if failed and not worker_client.users_to_fix(outcome):
            log = errors.write_bug_log(outcome.log or str(outcome.error))
            what = outcome.error or f"exit code {outcome.returncode}"
            raise errors.BugReported(
                f"internal error in the worker ({what}); this is a bug, please report it "
                f"with {log or 'the lines above'}"
            )
        if failed:
            message = outcome.error or "the job was cancelled"
            if written:
                message += f" (kept what came before: {', '.join(item['path'] for item in written)})"
            raise WorkerProblem(message, outcome.kind or "cancelled")
    finally:
        jobs.remove_job(folder)
    return cli_job.summary(
        op.action,
        result.get("backend", ""),
        result.get("model", ""),
        written,
        result.get("texts", []),
        result.get("notes", []),
        result.get("compute_seconds", 0.0),
    )


def _write(
    folder: str,
    result: dict,
    region: np.ndarray | None,
    paths: list[Path],
    whole: Picture,
    recipe_of: Callable[[dict], dict] | None = None,
) -> list[dict]:
    """Each finished layer of result.json as a whole picture at its path."""
    written: list[dict] = []
    if not paths:  # a text answer
        return written
    canvas = tuple(result["canvas"]) if result.get("canvas") else None
    for index, layer in enumerate(result.get("layers", [])):
        pixels, mask = jobfiles.read_layer_pixels(folder, layer)
        shown = np.frombuffer(pixels, np.uint8).reshape(layer["height"], layer["width"], 4)
        if mask is not None:
            from plugin import compose

            # as GIMP shows it: the layer through its mask over what the job was given
            weight = np.frombuffer(mask, np.uint8).reshape(layer["height"], layer["width"])
            shown = compose.blend(_under(region, layer, canvas), shown, weight)
        path = paths[index] if len(paths) > 1 else paths[0]
        picture = (shown, mask is not None, int(layer["x"]), int(layer["y"]), canvas)
        name, provenance = layer.get("name", ""), layer.get("provenance") or {}
        written.append(cli_job.write_variation(*picture, path, name, provenance, whole, recipe_of))
    return written


def _under(region: np.ndarray, layer: dict, canvas: tuple | None) -> np.ndarray:
    """The job's own pixels under a layer (transparent where an expansion grew the canvas)."""
    left, top, right, bottom = canvas or (0, 0, 0, 0)
    grown = np.pad(region, ((top, bottom), (left, right), (0, 0)))
    x0, y0 = layer["x"] + left, layer["y"] + top  # the layer in the grown region's coordinates
    under = np.zeros((layer["height"], layer["width"], 4), np.uint8)
    part = grown[max(0, y0) : y0 + layer["height"], max(0, x0) : x0 + layer["width"]]
    under[max(0, -y0) : max(0, -y0) + part.shape[0], max(0, -x0) : max(0, -x0) + part.shape[1]] = part
    return under
