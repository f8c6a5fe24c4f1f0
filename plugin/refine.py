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


def recipe_for(provenance: dict, origin: tuple[int, int], region_shape: tuple[int, ...] | None,
               selection: np.ndarray | None, source: str = "") -> dict:
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


def plan_refine(recipe: dict, instruction: str, store: Store, max_follow_ups: int, *, tier: str | None = None,
                model: str | None = None, afresh: bool = False, variations: int = 1,
                seed: int | None = None) -> Plan:
    """The operation and conversation for a follow-up on the result `recipe` describes."""
    from plugin.backends.gemini_conversation import REFINABLE

    if not instruction.strip():
        raise RefineError("--prompt: say what to change ('make it dark blue', 'a little smaller')")
    action = recipe.get("action")
    if action not in REFINABLE:
        raise RefineError(f"a result of {ops.OPERATIONS[action].title if action in ops.OPERATIONS else action!r} "
                          "cannot be refined; Refine Result continues Inpaint, Remove Object, Replace "
                          "Background (prompt), Edit with Prompt, Generate Image and Generate from References")
    base = operation(recipe, variations=variations, seed=seed)
    base = replace(base, seed=seed)  # each follow-up gets its own seeds unless one is given
    notes: list[str] = []
    changed = (tier and tier != base.tier) or (model and model != recipe.get("model"))
    exchange_id = str(recipe.get("conversation") or "")
    chain = store.chain(exchange_id) if exchange_id and not afresh else None
    if not afresh:
        if changed:
            notes.append("A conversation stays with one model; you chose another model or tier, so this starts a "
                         "new conversation from the current pixels.")
        elif not exchange_id:
            notes.append("This result carries no conversation; this is a fresh edit of the current pixels (a new "
                         "conversation).")
        elif chain is None:
            notes.append(f"The conversation behind this result is no longer in the store ({store.folder}; it "
                         "keeps conversations for [conversations] max_age_days); this is a fresh edit of the "
                         "current pixels (a new conversation).")
    if chain and not changed:
        follow_ups = chain[-1].depth - 1
        if follow_ups >= max_follow_ups:
            raise RefineError(f"this result is {follow_ups} follow-ups deep, the limit ([conversations] "
                              f"max_follow_ups = {max_follow_ups}); pictures drift over long conversations, so "
                              f"start afresh from the current pixels: {AFRESH_HINT}")
        history = []
        for exchange in chain:
            history += [exchange.user, exchange.answer]
        size = len(json.dumps(history))  # base64 as it goes on the wire
        if size > MAX_REQUEST_BYTES:
            raise RefineError(f"this conversation is {size / 2**20:.0f} MB of pictures and words, and Google advises "
                              f"at most {MAX_REQUEST_BYTES / 2**20:.0f} MB per request; start afresh from the "
                              f"current pixels: {AFRESH_HINT}")
        op = replace(base, model=chain[-1].model)  # the conversation's own model, whatever the tier says now
        return Plan(op, Followup(instruction, tuple(history), chain[-1].id, chain[-1].depth), notes)
    op = replace(base, tier=tier or base.tier, model=model if model is not None else (
        "" if changed else base.model))
    if isinstance(op, (ops.Generate, ops.Customize)):  # afresh on a new picture: edit the picture itself
        op = ops.Edit(prompt=instruction, variations=op.variations, seed=op.seed, backend=op.backend,
                      model=op.model, tier=op.tier, max_size=op.max_size)
    return Plan(op, Followup(instruction), notes)


def plan_again(recipe: dict, *, prompt: str | None = None, seed: int | None = None, new_seed: bool = False,
               variations: int | None = None, tier: str | None = None, model: str | None = None) -> ops.Operation:
    """Run Again: the recipe as a new one-shot action, its seed kept unless a new one is asked for."""
    op = operation(recipe, prompt=prompt or None, variations=variations, tier=tier, model=model)
    if new_seed:
        return replace(op, seed=None)
    return replace(op, seed=seed) if seed is not None else op


def for_job(op: ops.Operation, settings) -> Plan:
    """A host's Refine Result / Run Again (plugin/ops_refine.py) -> the recipe's own action to run.

    A host sends the result layer's mask as the selection: it is the blend weight already (grown and
    feathered), so the action blends through it as it is (grow and feather 0)."""
    recipe = dict(op.recipe)
    if not recipe.get("action"):
        raise RefineError(f"{op.title} needs a result layer that an Imagen action made (it keeps its recipe)")
    if op.action == "refine":
        plan = plan_refine(recipe, op.prompt, Store.from_settings(settings), settings.conversations.max_follow_ups,
                           afresh=op.afresh, variations=op.variations, seed=op.seed)
    else:
        again = plan_again(recipe, prompt=op.prompt or None, new_seed=op.new_seed, variations=op.variations,
                           tier=op.new_tier or None, model="" if op.new_tier else None)
        plan = Plan(again, None)
    if recipe.get("selection_is_mask") and isinstance(plan.op, ops.MaskedOperation):
        plan.op = replace(plan.op, grow=0, feather=0)
    return plan
