"""`imagen-gimp refine PREVIOUS --prompt TEXT -o OUT`: Refine Result and Run Again on the command line.

PREVIOUS is a PNG that imagen-gimp wrote: its recipe (plugin/refine.py) says which action made it, with
which model, over which region and selection, and which conversation; nothing else is needed. The
follow-up's answer is blended through the same selection over PREVIOUS, so outside the selection the
picture stays the original bit for bit. `--again` runs the recipe as a new one-shot action instead
(on the original picture when it is still where the recipe says, else on PREVIOUS).

A refinement runs in this process, not on the warm worker: it reads the conversation store here.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from plugin import images, ops, params


def add_parser(commands) -> None:
    sub = commands.add_parser(
        "refine",
        help="Refine Result / Run Again on a picture imagen-gimp wrote",
        description="Continue the conversation with the model that made PREVIOUS (a follow-up instruction over "
        "the same region and selection), or with --again run its recipe as a new action. The "
        "conversation is kept in ~/.cache/imagen-gimp/conversations (see README, 'Refine Result').",
    )
    sub.add_argument("input", metavar="PREVIOUS", help="a PNG an imagen-gimp action (or refine) wrote")
    sub.add_argument(
        "--prompt",
        default="",
        help="the follow-up ('make the car dark blue'); with --again, a "
        "new prompt for the action (default: the recipe's)",
    )
    sub.add_argument("--again", action="store_true", help="Run Again: the recipe as a new one-shot action")
    sub.add_argument("--new-seed", action="store_true", help="with --again: new seeds ('more like this')")
    sub.add_argument(
        "--negative-prompt", default=None, help="with --again: what to avoid instead of the recipe's ('-' = nothing)"
    )
    sub.add_argument(
        "--grow",
        type=int,
        default=None,
        help="with --again: grow the selection by this many pixels instead of the recipe's",
    )
    sub.add_argument(
        "--feather", type=int, default=None, help="with --again: the soft edge's width instead of the recipe's"
    )
    sub.add_argument(
        "--afresh", action="store_true", help="start a new conversation from the current pixels instead of continuing"
    )
    sub.add_argument("--variations", type=int, default=1, help=params.help_text(params.VARIATIONS) + "; each a branch")
    sub.add_argument("--seed", type=int, default=None, help="seed for repeatable results")
    sub.add_argument(
        "--tier",
        default=None,
        choices=params.choice_values(params.TIER),
        help="another tier: starts a new conversation (a conversation stays with one model)",
    )
    sub.add_argument("--model", default=None, help="another model ID: starts a new conversation")
    sub.add_argument("-o", "--output", default=None, help="output PNG (default NAME-refine.png)")
    sub.add_argument("--overwrite", action="store_true", help="replace an output file that already exists")
    sub.add_argument("--json", action="store_true", help="print what was written as JSON")
    sub.add_argument("--quiet", action="store_true", help="no progress display")


def run(args: argparse.Namespace) -> dict:
    from plugin import cli_job, crop, refine
    from plugin.config import load_settings
    from plugin.conversations import Store

    recipe = images.read_recipe(args.input)
    if recipe is None:
        raise cli_job.UserError(
            f"{args.input} carries no imagen-gimp recipe; refine takes a PNG that an imagen-gimp "
            "action wrote (the recipe is kept in PNG files only)"
        )
    settings = load_settings()
    notes: list[str] = []
    followup = None
    again_only = [
        flag
        for flag, value in (
            ("--new-seed", args.new_seed),
            ("--negative-prompt", args.negative_prompt),
            ("--grow", args.grow),
            ("--feather", args.feather),
        )
        if value not in (None, False)
    ]
    if again_only and not args.again:
        raise cli_job.UserError(
            f"{', '.join(again_only)}: only with --again (a follow-up keeps the conversation's selection and words)"
        )
    if args.again:
        if args.new_seed and args.seed is not None:
            raise cli_job.UserError("--seed and --new-seed: give one (--new-seed = new seeds, 'more like this')")
        op = refine.plan_again(
            recipe,
            prompt=args.prompt or None,
            negative_prompt=args.negative_prompt,
            grow=args.grow,
            feather=args.feather,
            seed=args.seed,
            new_seed=args.new_seed,
            variations=args.variations,
            tier=args.tier,
            model=args.model,
        )
    else:
        store = Store.from_settings(settings)
        plan = refine.plan_refine(
            recipe,
            args.prompt,
            store,
            settings.conversations.max_follow_ups,
            tier=args.tier,
            model=args.model,
            afresh=args.afresh,
            variations=args.variations,
            seed=args.seed,
        )
        op, followup, notes = plan.op, plan.followup, plan.notes
    paths = cli_job.output_paths(args, op.variations)
    cli_job.check_outputs(paths, [args.input], args.overwrite)
    current = cli_job.read_image(args.input)
    picture = current
    source = str(recipe.get("source") or "")
    if args.again and source and os.path.isfile(source) and not os.path.samefile(source, args.input):
        original = cli_job.read_image(source)
        if original.shape == current.shape:
            picture = original
        else:
            notes.append(f"{source} is no longer the picture the result was made from; ran on {args.input}")
    elif args.again:
        notes.append(
            f"the original picture is not at hand ({source or 'not recorded'}); ran on {args.input}, "
            "which holds the earlier result"
        )
    region, selection, origin = _region(recipe, picture, op)
    progress = cli_job.ProgressDisplay(args.quiet)
    if region is None and op.takes_picture:  # no region recorded (an Edit afresh on a new picture)
        region, selection, origin = crop.plan_region(op, picture, None)

    def whole(shown, masked, x, y, canvas):
        return cli_job.whole_picture(picture if op.takes_picture else None, origin, shown, masked, x, y, canvas)

    recipe_of = cli_job.recipe_maker(origin, region if op.takes_picture else None, selection, source)
    summary = cli_job.run_here(
        op,
        region if op.takes_picture else None,
        selection if op.takes_picture else None,
        [],
        paths,
        whole,
        progress,
        recipe_of,
        followup,
    )
    summary["notes"] = notes + summary["notes"]
    return summary


def _region(recipe: dict, picture: np.ndarray, op: ops.Operation):
    """The recipe's region cut from `picture`, with its selection; (None, None, (0, 0)) when it has none."""
    from plugin import refine

    box = recipe.get("region")
    if not box:
        return None, None, (0, 0)
    x, y, width, height = (int(v) for v in box)
    if x < 0 or y < 0 or x + width > picture.shape[1] or y + height > picture.shape[0]:
        raise refine.RefineError(
            f"the picture is {picture.shape[1]}x{picture.shape[0]}, smaller than the "
            "recipe's region; refine the picture the action wrote, uncropped"
        )
    region = picture[y : y + height, x : x + width]
    selection = refine.decode_mask(recipe["selection"], (width, height)) if recipe.get("selection") else None
    if selection is None and op.uses_mask:
        raise refine.RefineError("the recipe holds no selection for this masked action; run it afresh")
    return region, selection, (x, y)
