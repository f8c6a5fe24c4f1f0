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
from pathlib import Path

from plugin import (
    __version__,
    actions,
    cli_job,
    cli_refine,
    crop,
    errors,
    images,
    ops,
    ops_base,
    params,
    settings_file,
    upscale_cost,
)
from plugin.cli_job import UserError  # noqa: F401  (the command line's mistakes: callers name it from here)
from plugin.link import warm_client

EXIT_USER = 2
EXIT_BUG = 1
CLI_HELP = {"seed": "seed for repeatable results (default: random, printed)"}
"""Where the command line means something else than GIMP's dialog (there, seed 0 is random); every other
option's help, choices and range are the parameter table's (plugin/params.py)."""


HOST_ONLY = {"reference_layers"}  # GIMP layer names; the CLI takes --reference files instead
RECIPE_ACTIONS = ("refine", "again")  # on the command line: `refine PREVIOUS` (plugin/cli_refine.py)


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
        elif cls.takes_picture:
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
    paths = cli_job.output_paths(args, op.variations) if not actions.answers_in_text(op.action) else []
    cli_job.check_outputs(paths, inputs, args.overwrite)  # before any work: nothing is lost, nothing waits in vain
    image = cli_job.read_image(args.input) if cls.takes_picture else None
    selection = cli_job.read_mask(args.mask, image) if getattr(args, "mask", None) else None
    if isinstance(op, ops.Harmonize):  # the object file placed on the scene; the job is run here (below)
        from plugin import cli_harmonize

        if args.reference:
            raise cli_job.UserError("harmonize takes the object with --object FILE and no --reference")
        region, references, origin, image = cli_harmonize.inputs(
            op, image, cli_job.read_image(args.object), cli_harmonize.parse_at(args.at)
        )
        region_selection = None
    else:
        region, region_selection, origin = crop.plan_region(op, image, selection)
        references = [cli_job.read_image(path) for path in args.reference]
    if isinstance(op, ops.Upscale) and op.offline_model == "realesrgan" and op.backend in ("local", "auto"):
        said = upscale_cost.describe(region.shape[1], region.shape[0])  # before it runs: refused, or its cost
        if op.backend == "local" and upscale_cost.refusal(region.shape[1], region.shape[0]):
            raise cli_job.UserError(said)  # (Automatic may run it on Gemini, where the offline model has no say)
        where = "on the local engine" if op.backend == "local" else "when Automatic runs it offline"
        print(f"imagen-gimp upscale: {said} ({where})", file=sys.stderr, flush=True)
    progress = cli_job.ProgressDisplay(args.quiet)

    def whole(shown, masked, x, y, canvas):
        if actions.BY_NAME[op.action].result == "selection":
            return cli_job.selection_picture(image, origin, shown, x, y)
        return cli_job.whole_picture(image, origin, shown, masked, x, y, canvas)

    recipe_of = cli_job.recipe_maker(origin, region, region_selection, getattr(args, "input", ""))
    if isinstance(op, ops.Harmonize):  # the model's time dominates; its two layers per picture are laid here
        return cli_job.run_here(op, region, region_selection, references, paths, whole, progress)
    repo = str(Path(__file__).resolve().parents[1])
    if warm_client.worker_up(sys.executable, repo):  # the warm worker GIMP uses: no imports, kernels loaded
        from plugin.link import cli_warm

        return cli_warm.run(op, region, region_selection, origin, references, paths, whole, progress, recipe_of)
    try:  # no worker yet: this call runs here as quickly as ever, and starts one for the calls after it
        return cli_job.run_here(op, region, region_selection, references, paths, whole, progress, recipe_of)
    finally:
        warm_client.start_in_background(sys.executable, repo)


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
