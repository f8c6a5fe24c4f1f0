"""`imagen-gimp`: the same operations on image files, for batch work and for trying the plug-in.

Each subcommand is one operation; its options are the operation's own fields, so the CLI, the
worker and the GIMP dialogs accept exactly the same parameters and reject them with the same
messages. Output is PNG; `--json` prints what was written.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from plugin import __version__, compose, ops
from plugin.backends import make_backend
from plugin.backends.base import BackendError
from plugin.config import ConfigError, load_settings
from plugin.masks import EmptySelectionError
from plugin.pipeline import JobOutput, load_rgba, run

EXIT_USER = 2
CHOICES = {
    "aspect_ratio": ops.ASPECT_RATIOS,
    "backend": ops.BACKENDS + tuple(ops.BACKEND_ALIASES),
    "mode": ops.BACKGROUND_MODES,
    "factor": ops.UPSCALE_FACTORS,
    "tier": ops.TIERS,
    "max_size": ops.MAX_SIZES,
    "kind": ops.CUSTOMIZE_KINDS,
    "subject_type": ops.SUBJECT_TYPES,
}
HELP = {
    "variations": "how many results (1-4)",
    "seed": "seed for repeatable results (default: random, printed)",
    "grow": "grow the mask by this many pixels",
    "feather": "fade the blend out over this many pixels beyond the grown mask",
    "context": "pixels of surroundings sent with the region",
    "left": "pixels to add on the left", "top": "pixels to add on top",
    "right": "pixels to add on the right", "bottom": "pixels to add at the bottom",
    "backend": "where it runs: auto (Google's Gemini models when Vertex AI is set up, else local), local "
               "(offline), gemini, imagen (legacy; Google shut Imagen down in 2026)",
    "tier": "which of Google's models: quality (gemini-3-pro-image), standard (gemini-3.1-flash-image), "
            "fast (gemini-3.1-flash-lite-image); the IDs are settings",
    "max_size": "largest answer the model may give: auto (what the area needs, up to [gemini] max_image_size), "
                "512, 1K, 2K, 4K (cost grows with size)",
    "model": "a model ID instead of the tier's",
}


HOST_ONLY = {"reference_layers"}  # GIMP layer names; the CLI takes --reference files instead


class UserError(Exception):
    """A problem with the command line or the files: one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="imagen-gimp", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"imagen-gimp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="ACTION")
    for action, cls in ops.OPERATIONS.items():
        sub = commands.add_parser(action, help=cls.title, description=(cls.__doc__ or cls.title).strip())
        if cls.needs_image:
            sub.add_argument("input", help="image file (PNG, JPEG, WebP, TIFF)")
            sub.add_argument("--mask", help="selection as a grey image of the same size: white = selected")
        sub.add_argument("-o", "--output", default=None,
                         help="output PNG (several variations: NAME-1.png, NAME-2.png, ...)")
        sub.add_argument("--reference", action="append", default=[], metavar="FILE",
                         help="a reference picture (customization; background in image mode)")
        sub.add_argument("--json", action="store_true", help="print what was written as JSON")
        sub.add_argument("--quiet", action="store_true", help="no progress display")
        for field in dataclasses.fields(cls):
            if field.name not in HOST_ONLY:
                _add_field_option(sub, field)
    doctor = commands.add_parser("doctor", help="Check Setup: what works and what is missing, each with its fix",
                                 description="Check Python, the worker, GIMP's folders, credentials, project, "
                                             "Vertex AI and its models. Costs nothing; prints no secret.")
    doctor.add_argument("--offline", action="store_true", help="skip the checks that contact Vertex AI")
    return parser


def _add_field_option(sub: argparse.ArgumentParser, field: dataclasses.Field) -> None:
    flag = "--" + field.name.replace("_", "-")
    default = field.default if field.default is not dataclasses.MISSING else None
    helptext = HELP.get(field.name, field.name.replace("_", " "))
    if isinstance(default, bool):
        sub.add_argument(flag, dest=field.name, action="store_true", help=helptext)
        return
    kind = {bool: str, int: int, float: float}.get(type(default), str)
    if field.name == "seed":
        kind = int
    sub.add_argument(flag, dest=field.name, type=kind, default=default, choices=CHOICES.get(field.name),
                     help=helptext)


def read_image(path: str) -> np.ndarray:
    if not Path(path).is_file():
        raise UserError(f"{path}: no such file")
    try:
        return load_rgba(path)
    except (UnidentifiedImageError, OSError) as exc:
        raise UserError(f"{path}: not a readable image ({exc}); use PNG, JPEG, WebP or TIFF") from exc


def read_mask(path: str, image: np.ndarray) -> np.ndarray:
    if not Path(path).is_file():
        raise UserError(f"{path}: no such file")
    try:
        with Image.open(path) as picture:
            mask = np.asarray(picture.convert("L")).copy()
    except (UnidentifiedImageError, OSError) as exc:
        raise UserError(f"{path}: not a readable image ({exc})") from exc
    if mask.shape != image.shape[:2]:
        raise UserError(
            f"{path}: the mask is {mask.shape[1]}x{mask.shape[0]} but the image is "
            f"{image.shape[1]}x{image.shape[0]}; give a mask of the same size"
        )
    return mask


def output_paths(args: argparse.Namespace, count: int) -> list[Path]:
    base = Path(args.output) if args.output else Path(
        f"{Path(getattr(args, 'input', 'generated')).stem}-{args.command}.png")
    if base.suffix.lower() != ".png":
        base = base.with_suffix(".png")
    if count == 1:
        return [base]
    return [base.with_name(f"{base.stem}-{index + 1}{base.suffix}") for index in range(count)]


def whole_picture(output: JobOutput, image: np.ndarray | None, index: int) -> np.ndarray:
    """Variation `index` as a whole picture: pasted into the original, or on the grown canvas."""
    layer = output.layers[index]
    if image is None or layer.mask is None and output.canvas is None:
        return layer.shown()
    canvas = image
    x, y = layer.x, layer.y
    if output.canvas is not None:
        left, top, right, bottom = output.canvas
        height, width = image.shape[:2]
        canvas = np.zeros((height + top + bottom, width + left + right, 4), np.uint8)
        canvas[top:top + height, left:left + width] = image
        x, y = x + left, y + top
    return compose.paste(canvas, layer.shown(), x, y)


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


def run_operation(args: argparse.Namespace) -> dict:
    cls = ops.OPERATIONS[args.command]
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if f.name not in HOST_ONLY}
    op = ops.from_dict({"action": args.command, **values})
    image = read_image(args.input) if cls.needs_image else None
    selection = read_mask(args.mask, image) if getattr(args, "mask", None) else None
    backend = make_backend(op.backend, load_settings())
    references = [read_image(path) for path in args.reference]
    output = run(op, image, selection, backend, ProgressDisplay(args.quiet), references=references)
    written = []
    for index, path in enumerate(output_paths(args, len(output.layers))):
        Image.fromarray(whole_picture(output, image, index), "RGBA").save(path)
        written.append({"path": str(path), "seed": output.layers[index].provenance["seed"],
                        "name": output.layers[index].name})
    return {"action": op.action, "backend": output.backend, "model": output.model, "written": written,
            "texts": output.texts, "notes": output.notes, "compute_seconds": round(output.compute_seconds, 3)}


def report(summary: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary, indent=1))
        return
    for text in summary["texts"]:
        print(text)
    for item in summary["written"]:
        print(f"wrote {item['path']} (seed {item['seed']})")
    for note in summary["notes"]:
        print(f"note: {note}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "doctor":
        from plugin import doctor

        return doctor.main(["--offline"] if args.offline else [])
    try:
        summary = run_operation(args)
    except (UserError, ops.OperationError, EmptySelectionError, BackendError, ConfigError) as exc:
        print(f"imagen-gimp {args.command}: {exc}", file=sys.stderr)
        return EXIT_USER
    report(summary, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
