"""Runs one job folder through the pipeline, reporting progress as JSON lines on stdout.

result.json is rewritten after every layer, so a failure or a cancel keeps what was already made.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import numpy as np

from plugin import errors, ops
from plugin.backends import make_backend
from plugin.config import load_settings
from plugin.link import jobfiles
from plugin.pipeline import JobOutput, ResultLayer, run

Emit = Callable[[dict], None]


def load_job(folder: str) -> tuple[ops.Operation, np.ndarray | None, np.ndarray | None, list[np.ndarray]]:
    job = jobfiles.read_job(folder)
    op = ops.from_dict(job["operation"])
    width, height = job["width"], job["height"]
    image = selection = None
    pixels_path = os.path.join(folder, jobfiles.INPUT_FILE)
    if os.path.exists(pixels_path):
        image = np.fromfile(pixels_path, np.uint8).reshape(height, width, 4)
    if job.get("has_selection"):
        selection_path = os.path.join(folder, jobfiles.SELECTION_FILE)
        selection = np.fromfile(selection_path, np.uint8).reshape(height, width)
    references = []
    names, sizes = job.get("references", []), job.get("reference_sizes", [])
    for name, (ref_w, ref_h) in zip(names, sizes, strict=True):
        references.append(np.fromfile(os.path.join(folder, name), np.uint8).reshape(ref_h, ref_w, 4))
    return op, image, selection, references


class ResultWriter:
    """Writes each layer as it arrives and keeps result.json current."""

    def __init__(self, folder: str, started: float):
        self.folder = folder
        self.started = started
        self.entries: list[dict] = []

    def add(self, layer: ResultLayer, output: JobOutput) -> None:
        index = len(self.entries)
        pixels_name = f"layer-{index}.rgba"
        np.ascontiguousarray(layer.pixels).tofile(os.path.join(self.folder, pixels_name))
        mask_name = None
        if layer.mask is not None:
            mask_name = f"layer-{index}-mask.gray"
            np.ascontiguousarray(layer.mask).tofile(os.path.join(self.folder, mask_name))
        self.entries.append(
            {
                "name": layer.name,
                "x": layer.x,
                "y": layer.y,
                "width": int(layer.pixels.shape[1]),
                "height": int(layer.pixels.shape[0]),
                "pixels": pixels_name,
                "mask": mask_name,
                "provenance": layer.provenance,
            }
        )
        if layer.group:  # harmonize: the variation's own group
            self.entries[-1]["group"] = layer.group
        self.write(output, complete=False)

    def write(self, output: JobOutput, complete: bool, error: str = "") -> None:
        jobfiles.write_json(
            os.path.join(self.folder, jobfiles.RESULT_FILE),
            {
                "group": output.group,
                "layers": self.entries,
                "texts": output.texts,
                "notes": output.notes,
                "backend": output.backend,
                "model": output.model,
                "canvas": output.canvas,
                "compute_seconds": round(output.compute_seconds, 4),
                "worker_seconds": round(time.perf_counter() - self.started, 4),
                "complete": complete,
                "error": error,
            },
        )


def run_job(folder: str, emit: Emit, started: float) -> int:
    """Run the job in `folder`; `emit` sends one JSON message line to the host."""
    writer = ResultWriter(folder, started)
    output = JobOutput(group="")

    def progress(fraction: float, stage: str) -> None:
        emit({"progress": round(fraction, 4), "stage": stage})

    try:
        progress(0.0, "reading the job")
        op, image, selection, references = load_job(folder)
        settings = load_settings()
        followup, notes = None, []
        if op.action in ("refine", "again"):  # a result layer's recipe: its own action, maybe a follow-up
            from plugin.refine import for_job

            plan = for_job(op, settings, selection)
            op, followup, notes, selection = plan.op, plan.followup, plan.notes, plan.selection
        backend = make_backend(op.backend, settings)

        def keep(layer: ResultLayer, current: JobOutput) -> None:
            nonlocal output
            output = current
            writer.add(layer, current)

        output = run(op, image, selection, backend, progress, keep, references, followup)
        output.notes[:0] = notes  # a new conversation instead of the old one: say why
    except errors.UserError as exc:  # the user can fix it; anything else is a bug (plugin/link/worker.py says so)
        message = str(exc)
        writer.write(output, complete=False, error=message)
        emit({"error": message, "kind": errors.kind_of(exc), "kept_layers": len(writer.entries)})
        return jobfiles.EXIT_USER
    writer.write(output, complete=True)
    emit({"done": True, "layers": len(writer.entries), "compute_seconds": round(output.compute_seconds, 4)})
    return jobfiles.EXIT_OK
