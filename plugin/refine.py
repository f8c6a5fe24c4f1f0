"""Refine Result and Run Again: a result's recipe -> the operation to run and the conversation it continues.

A recipe is a result's provenance (action, prompt, settings, seed, model, tier, the exchange that made
it) plus where it was made: the region in the picture and the selection over it. The CLI keeps it in
the PNG it writes, GIMP in the result layer's parasite. Refine continues the conversation while the
store (plugin/conversations.py) holds it, with the same model, up to `[conversations] max_follow_ups`;
otherwise it says why and, when asked to or when the store lost it, edits the current pixels afresh
(a new conversation). Run Again is the recipe as a new one-shot action.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass, field, replace

import numpy as np

from plugin import ops
from plugin.backends.base import Followup
from plugin.conversations import Store
from plugin.errors import UserError

RECIPE_VERSION = 1
MAX_REQUEST_BYTES = 45 * 2**20  # Google: "limiting the entire request file size to 50MB maximum"; room for the rest
AFRESH_HINT = "imagen-gimp refine PREVIOUS --afresh --prompt ... (GIMP: Refine Result with 'Start afresh')"


class RefineError(UserError):
    """The result cannot be refined as asked; the message says what to do instead."""

    kind = "operation"


@dataclass
class Plan:
    op: ops.Operation
    followup: Followup | None
    notes: list[str] = field(default_factory=list)
    selection: np.ndarray | None = None  # for_job: what the action blends through


def recipe_for(
    provenance: dict,
    origin: tuple[int, int],
    region_shape: tuple[int, ...] | None,
    selection: np.ndarray | None,
    source: str = "",
) -> dict:
    """What a written picture carries: the provenance, the region in the picture, the selection over it."""
    recipe = {"recipe": RECIPE_VERSION, **provenance}
    if region_shape is not None:
        recipe["region"] = [int(origin[0]), int(origin[1]), int(region_shape[1]), int(region_shape[0])]
    if selection is not None:
        recipe["selection"] = encode_mask(selection)
    if source:
        recipe["source"] = source
    return recipe


def encode_mask(mask: np.ndarray) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(mask.astype(np.uint8)), "L").save(buffer, format="PNG", optimize=True)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def decode_mask(text: str, size: tuple[int, int]) -> np.ndarray:
    """The recipe's selection (PNG, base64); RefineError when it is not one of `size` (width, height)."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(base64.b64decode(text))) as picture:
            mask = np.asarray(picture.convert("L")).copy()
    except (OSError, ValueError) as exc:
        raise RefineError(f"the recipe's selection cannot be read ({exc}); run the action afresh") from exc
    if (mask.shape[1], mask.shape[0]) != size:
        raise RefineError("the recipe's selection does not match its region; run the action afresh")
    return mask


def operation(recipe: dict, **changes) -> ops.Operation:
    """The recipe's action as an operation (validated like any other), with `changes` applied."""
    action = recipe.get("action")
    if action not in ops.OPERATIONS:
        raise RefineError(f"the recipe names an action this version does not know ({action!r})")
    values = dict(recipe.get("parameters") or {})
    values.update({"prompt": recipe.get("prompt", ""), "seed": recipe.get("seed")})
    known = set(ops.field_names(action))
    values = {k: v for k, v in values.items() if k in known}
    values.update({k: v for k, v in changes.items() if k in known and v is not None})
    return ops.from_dict({"action": action, **values})


def plan_refine(
    recipe: dict,
    instruction: str,
    store: Store,
    max_follow_ups: int,
    *,
    tier: str | None = None,
    model: str | None = None,
    afresh: bool = False,
    variations: int = 1,
    seed: int | None = None,
) -> Plan:
    """The operation and conversation for a follow-up on the result `recipe` describes."""
    from plugin.backends.gemini_conversation import REFINABLE

    if not instruction.strip():
        raise RefineError("--prompt: say what to change ('make it dark blue', 'a little smaller')")
    action = recipe.get("action")
    if action not in REFINABLE:
        raise RefineError(
            f"a result of {ops.OPERATIONS[action].title if action in ops.OPERATIONS else action!r} "
            "cannot be refined; Refine Result continues Inpaint, Remove Object, Replace "
            "Background (prompt), Edit with Prompt, Generate Image and Generate from References"
        )
    base = operation(recipe, variations=variations, seed=seed)
    base = replace(base, seed=seed)  # each follow-up gets its own seeds unless one is given
    notes: list[str] = []
    changed = (tier and tier != base.tier) or (model and model != recipe.get("model"))
    exchange_id = str(recipe.get("conversation") or "")
    chain = store.chain(exchange_id) if exchange_id and not afresh else None
    if not afresh:
        if changed:
            notes.append(
                "A conversation stays with one model; you chose another model or tier, so this starts a "
                "new conversation from the current pixels."
            )
        elif not exchange_id:
            notes.append(
                "This result carries no conversation; this is a fresh edit of the current pixels (a new conversation)."
            )
        elif chain is None:
            notes.append(
                f"The conversation behind this result is no longer in the store ({store.folder}; it "
                "keeps conversations for [conversations] max_age_days); this is a fresh edit of the "
                "current pixels (a new conversation)."
            )
    if chain and not changed:
        follow_ups = chain[-1].depth - 1
        if follow_ups >= max_follow_ups:
            raise RefineError(
                f"this result is {follow_ups} follow-ups deep, the limit ([conversations] "
                f"max_follow_ups = {max_follow_ups}); pictures drift over long conversations, so "
                f"start afresh from the current pixels: {AFRESH_HINT}"
            )
        history = []
        for exchange in chain:
            history += [exchange.user, exchange.answer]
        size = len(json.dumps(history))  # base64 as it goes on the wire
        if size > MAX_REQUEST_BYTES:
            raise RefineError(
                f"this conversation is {size / 2**20:.0f} MB of pictures and words, and Google advises "
                f"at most {MAX_REQUEST_BYTES / 2**20:.0f} MB per request; start afresh from the "
                f"current pixels: {AFRESH_HINT}"
            )
        op = replace(base, model=chain[-1].model)  # the conversation's own model, whatever the tier says now
        return Plan(op, Followup(instruction, tuple(history), chain[-1].id, chain[-1].depth), notes)
    op = replace(base, tier=tier or base.tier, model=model if model is not None else ("" if changed else base.model))
    if isinstance(op, (ops.Generate, ops.Customize)):  # afresh on a new picture: edit the picture itself
        op = ops.Edit(
            prompt=instruction,
            variations=op.variations,
            seed=op.seed,
            backend=op.backend,
            model=op.model,
            tier=op.tier,
            max_size=op.max_size,
        )
    return Plan(op, Followup(instruction), notes)


def plan_again(
    recipe: dict,
    *,
    prompt: str | None = None,
    negative_prompt: str | None = None,
    grow: int | None = None,
    feather: int | None = None,
    seed: int | None = None,
    new_seed: bool = False,
    variations: int | None = None,
    tier: str | None = None,
    model: str | None = None,
) -> ops.Operation:
    """Run Again: the recipe as a new one-shot action with the user's changes; its seed kept unless a new one
    is asked for. None (grow, feather: also -1) = the recipe's, the model too (the one that made the result,
    unless a tier or model is given); a negative prompt of '-' = none."""
    negative = None if not negative_prompt else ("" if negative_prompt.strip() == "-" else negative_prompt)
    if tier is None and model is None and recipe.get("backend") not in (None, "local"):
        model = str(recipe.get("model") or "") or None  # the very model that made it, not today's for its tier
    op = operation(
        recipe,
        prompt=prompt or None,
        negative_prompt=negative,
        variations=variations,
        tier=tier,
        model=model,
        grow=_given(grow),
        feather=_given(feather),
    )
    if new_seed:
        return replace(op, seed=None)
    return replace(op, seed=seed) if seed is not None else op


def _given(value: int | None) -> int | None:
    return None if value is None or value < 0 else value


def again_selection(op: ops.Operation, recipe: dict, mask: np.ndarray | None):
    """Run Again in GIMP, where the selection is the result layer's mask (grown and feathered already):
    (the operation, the selection to blend through). With the recipe's grow and feather the mask blends
    as it is; with others they apply to the mask's fully selected core, which is the selection the
    result was made over grown by the recipe's grow (a smaller grow shrinks that core back)."""
    if mask is None or not isinstance(op, ops.BlendedOperation):
        return op, mask
    parameters = recipe.get("parameters") or {}
    old_grow, old_feather = int(parameters.get("grow") or 0), int(parameters.get("feather") or 0)
    if (op.grow, op.feather) == (old_grow, old_feather):
        return replace(op, grow=0, feather=0), mask
    core = mask >= 255
    if not core.any():
        core = mask >= 128
    if op.grow < old_grow:
        from scipy import ndimage

        core = ndimage.distance_transform_edt(core) > old_grow - op.grow
        if not core.any():
            raise RefineError(
                f"a grow of {op.grow} px leaves nothing of the result's selection (it was grown by "
                f"{old_grow} px); give a larger grow"
            )
    return replace(op, grow=max(0, op.grow - old_grow)), np.where(core, 255, 0).astype(np.uint8)


def for_job(op: ops.Operation, settings, selection: np.ndarray | None = None) -> Plan:
    """A host's Refine Result / Run Again (plugin/ops_refine.py) -> the recipe's own action to run.

    A host sends the result layer's mask as the selection: it is the blend weight already (grown and
    feathered), so Refine blends through it as it is (grow and feather 0), and so does Run Again unless
    the user changed grow or feather (again_selection). Plan.selection is what the action blends through."""
    recipe = dict(op.recipe)
    if not recipe.get("action"):
        raise RefineError(f"{op.title} needs a result layer that an Imagen action made (it keeps its recipe)")
    if op.action == "refine":
        plan = plan_refine(
            recipe,
            op.prompt,
            Store.from_settings(settings),
            settings.conversations.max_follow_ups,
            afresh=op.afresh,
            variations=op.variations,
            seed=op.seed,
        )
        if recipe.get("selection_is_mask") and isinstance(plan.op, ops.BlendedOperation):
            plan.op = replace(plan.op, grow=0, feather=0)
        plan.selection = selection
        return plan
    again = plan_again(
        recipe,
        prompt=op.prompt or None,
        negative_prompt=op.negative_prompt,
        grow=op.grow,
        feather=op.feather,
        new_seed=op.new_seed,
        variations=op.variations,
        tier=op.new_tier or None,
        model=op.new_model or ("" if op.new_tier else None),
    )
    if recipe.get("selection_is_mask"):
        again, selection = again_selection(again, recipe, selection)
    return Plan(again, None, selection=selection)
