"""`imagen-gimp`: the same operations on image files, for batch work and for trying the plug-in.

Each subcommand is one operation; its options are the operation's own fields, so the CLI, the
worker and the GIMP dialogs accept exactly the same parameters and reject them with the same
messages. Output is PNG; `--json` prints what was written.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from plugin import (
    __version__,
    actions,
    compose,
    crop,
    errors,
    images,
    ops,
    ops_base,
    params,
    settings_file,
    upscale_cost,
)
from plugin.link import warm_client

EXIT_USER = 2
EXIT_BUG = 1
CLI_HELP = {"seed": "seed for repeatable results (default: random, printed)"}
"""Where the command line means something else than GIMP's dialog (there, seed 0 is random); every other
option's help, choices and range are the parameter table's (plugin/params.py)."""


HOST_ONLY = {"reference_layers"}  # GIMP layer names; the CLI takes --reference files instead
RECIPE_ACTIONS = ("refine", "again")  # on the command line: `refine PREVIOUS` (plugin/cli_refine.py)


class UserError(errors.UserError):
    """A problem with the command line or the files: one line, exit code 2."""

    kind = "operation"


class OneLineParser(argparse.ArgumentParser):
    """argparse, but a mistake on the command line is one line on stderr (exit 2), like every other."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USER, f"{self.prog}: {' '.join(message.split())}; see {self.prog} --help\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="imagen-gimp", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"imagen-gimp {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="ACTION", parser_class=OneLineParser)
    imagen = settings_file.imagen_enabled()  # [imagen] enabled = true: --backend imagen (legacy) is offered
    for action, cls in ops.OPERATIONS.items():
        if action in RECIPE_ACTIONS:
            continue
        sub = commands.add_parser(action, help=cls.title, description=(cls.__doc__ or cls.title).strip())
        if action == "harmonize":
            sub.add_argument("input", help="the scene: image file (PNG, JPEG, WebP, TIFF)")
            sub.add_argument("--object", required=True, help="the object to blend in: a picture with transparency")
            sub.add_argument("--at", required=True, metavar="X,Y", help="where the object's top-left corner goes")
        elif cls.needs_image:
            sub.add_argument("input", help="image file (PNG, JPEG, WebP, TIFF)")
            sub.add_argument("--mask", help="the selection: " + images.MASK_RULE)
        sub.add_argument(
            "-o",
            "--output",
            default=None,
            help="output file: .png (default), .jpg, .webp or .tif; several variations are written "
            "as NAME-1.png, NAME-2.png, ... An input is never overwritten",
        )
        sub.add_argument("--overwrite", action="store_true", help="replace an output file that already exists")
        sub.add_argument(
            "--reference",
            action="append",
            default=[],
            metavar="FILE",
            help="a reference picture (customization; background in image mode)",
        )
        sub.add_argument("--json", action="store_true", help="print what was written as JSON")
        sub.add_argument("--quiet", action="store_true", help="no progress display")
        for field in dataclasses.fields(cls):
            if field.name not in HOST_ONLY:
                _add_field_option(sub, action, field, imagen)
    doctor = commands.add_parser(
        "doctor",
        help="Check Setup: what works and what is missing, each with its fix",
        description="Check Python, the worker, GIMP's folders, credentials, project, "
        "Vertex AI and its models. Costs nothing; prints no secret.",
    )
    doctor.add_argument("--offline", action="store_true", help="skip the checks that contact Vertex AI")
    from plugin import cli_refine

    cli_refine.add_parser(commands)
    return parser


def _add_field_option(sub: argparse.ArgumentParser, action: str, field: dataclasses.Field, imagen: bool) -> None:
    """--FIELD with the table's choices and help (params.help_text: the blurb with the range or the choices)."""
    flag = "--" + field.name.replace("_", "-")
    default = field.default if field.default is not dataclasses.MISSING else None
    param = ops_base.param_for(action, field.name)
    imagen = imagen or field.name != "backend"  # the Imagen (legacy) backend: only when the settings enable it
    helptext = CLI_HELP.get(field.name) or (params.help_text(param, imagen) if param else field.name.replace("_", " "))
    helptext = helptext.replace("%", "%%")  # argparse formats help texts with %
    choices = None
    if param is not None and param.kind == "choice":
        choices = tuple(value for _nick, value, _label in params.offered_choices(param, imagen))
        if field.name == "backend" and imagen:
            choices += tuple(params.CHOICE_ALIASES)
    if isinstance(default, bool):
        sub.add_argument(flag, dest=field.name, action="store_true", help=helptext)
        return
    kind = {bool: str, int: int, float: float}.get(type(default), str)
    if field.name == "seed":
        kind = int
    sub.add_argument(flag, dest=field.name, type=kind, default=default, choices=choices, help=helptext)


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


def run_operation(args: argparse.Namespace) -> dict:
    cls = ops.OPERATIONS[args.command]
    values = {f.name: getattr(args, f.name) for f in dataclasses.fields(cls) if f.name not in HOST_ONLY}
    op = ops.from_dict({"action": args.command, **values})
    inputs = [
        getattr(args, "input", ""),
        getattr(args, "mask", "") or "",
        *args.reference,
        getattr(op, "image_path", ""),
        getattr(args, "object", ""),
    ]
    paths = output_paths(args, op.variations) if not actions.answers_in_text(op.action) else []
    check_outputs(paths, inputs, args.overwrite)  # before any work: nothing is lost, nothing waits in vain
    image = read_image(args.input) if cls.needs_image else None
    selection = read_mask(args.mask, image) if getattr(args, "mask", None) else None
    if isinstance(op, ops.Harmonize):  # the object file placed on the scene; the job is run here (below)
        from plugin import cli_harmonize

        if args.reference:
            raise UserError("harmonize takes the object with --object FILE and no --reference")
        region, references, origin, image = cli_harmonize.inputs(
            op, image, read_image(args.object), cli_harmonize.parse_at(args.at)
        )
        region_selection = None
    else:
        region, region_selection, origin = crop.plan_region(op, image, selection)
        references = [read_image(path) for path in args.reference]
    if isinstance(op, ops.Upscale) and op.offline_model == "realesrgan" and op.backend in ("local", "auto"):
        said = upscale_cost.describe(region.shape[1], region.shape[0])  # before it runs: refused, or its cost
        if op.backend == "local" and upscale_cost.refusal(region.shape[1], region.shape[0]):
            raise UserError(said)  # (Automatic may run it on Gemini, where the offline model has no say)
        where = "on the local engine" if op.backend == "local" else "when Automatic runs it offline"
        print(f"imagen-gimp upscale: {said} ({where})", file=sys.stderr, flush=True)
    progress = ProgressDisplay(args.quiet)

    def whole(shown, masked, x, y, canvas):
        if actions.BY_NAME[op.action].result == "selection":
            return selection_picture(image, origin, shown, x, y)
        return whole_picture(image, origin, shown, masked, x, y, canvas)

    recipe_of = recipe_maker(origin, region, region_selection, getattr(args, "input", ""))
    if isinstance(op, ops.Harmonize):  # the model's time dominates; its two layers per picture are laid here
        return run_here(op, region, region_selection, references, paths, whole, progress)
    repo = str(Path(__file__).resolve().parents[1])
    if warm_client.worker_up(sys.executable, repo):  # the warm worker GIMP uses: no imports, kernels loaded
        from plugin.link import cli_warm

        return cli_warm.run(op, region, region_selection, origin, references, paths, whole, progress, recipe_of)
    try:  # no worker yet: this call runs here as quickly as ever, and starts one for the calls after it
        return run_here(op, region, region_selection, references, paths, whole, progress, recipe_of)
    finally:
        warm_client.start_in_background(sys.executable, repo)


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
        images.write_picture(
            whole(layer.shown(), layer.mask is not None, layer.x, layer.y, output.canvas),
            path,
            recipe_of(layer.provenance) if recipe_of else None,
        )
        written.append({"path": str(path), "seed": layer.provenance["seed"], "name": layer.name})

    try:
        output = run(op, region, selection, backend, progress, keep, references, followup)
    except errors.UserError as exc:
        if written:
            raise UserError(f"{exc} (kept what came before: {', '.join(w['path'] for w in written)})") from exc
        raise
    return {
        "action": op.action,
        "backend": output.backend,
        "model": output.model,
        "written": written,
        "texts": output.texts,
        "notes": output.notes,
        "compute_seconds": round(output.compute_seconds, 3),
    }


def report(summary: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary, indent=1))
        return
    for text in summary["texts"]:
        print(text)
    for item in summary["written"]:
        seed = f" (seed {item['seed']})" if item["seed"] is not None else ""
        print(f"wrote {item['path']}{seed}")
    for note in summary["notes"]:
        print(f"note: {note}")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "doctor":
        from plugin import doctor

        return doctor.main(["--offline"] if args.offline else [])
    try:
        if args.command == "refine":
            from plugin import cli_refine

            summary = cli_refine.run(args)
        else:
            summary = run_operation(args)
    except errors.UserError as exc:
        print(f"imagen-gimp {args.command}: {one_line(exc)}", file=sys.stderr)
        return EXIT_USER
    except errors.BugReported as exc:  # the worker's bug, its log already kept
        print(f"imagen-gimp {args.command}: {one_line(exc)}", file=sys.stderr)
        return EXIT_BUG
    except KeyboardInterrupt:
        print(f"imagen-gimp {args.command}: interrupted; nothing more was written", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - anything else is a bug: say so, and where the details are
        log = bug_log(exc)
        print(
            f"imagen-gimp {args.command}: internal error ({type(exc).__name__}: {one_line(exc)}); this is a "
            f"bug, please report it with {log}",
            file=sys.stderr,
        )
        return EXIT_BUG
    report(summary, args.json)
    return 0


def one_line(exc: BaseException) -> str:
    """An exception's message on one line (messages quote the service, which may hold line breaks)."""
    return " ".join(str(exc).split())


def bug_log(exc: BaseException) -> str:
    """Keep the traceback where a user can find it; returns the path (never secrets: no settings, no keys)."""
    return errors.log_exception(exc) or "the traceback below"


if __name__ == "__main__":
    sys.exit(main())
