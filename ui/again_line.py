"""Run Again's dialog, without GTK: the values it opens with (the result's recipe) and the read-only line
saying what pressing OK will run ("Inpaint on gemini-3.1-flash-image (Nano Banana 2), seed 123, over the
result's mask"). GIMP 3's Python runs it: standard library and the plug-in's pure-Python modules only,
so the tests check the words without GIMP.
"""

from __future__ import annotations

from plugin import actions, params
from plugin.params import AS_RESULT

TIERS = params.choice_values(params.TIER)


def _parameters(recipe: dict) -> dict:
    parameters = recipe.get("parameters")
    return parameters if isinstance(parameters, dict) else {}


def has_edge(recipe: dict) -> bool:
    """Whether the recipe's action blends through a selection with grow and feather (a masked action)."""
    parameters = _parameters(recipe)
    return "grow" in parameters and "feather" in parameters


def opening_values(recipe: dict | None) -> dict:
    """The dialog's values from the recipe: its prompt, negative prompt, grow, feather and variations; the
    result's tier and model; new seeds ("more like this": the line shows the recipe's seed to go back to)."""
    recipe = recipe or {}
    parameters = _parameters(recipe)
    values = {
        "prompt": str(recipe.get("prompt") or ""),
        "negative-prompt": str(parameters.get("negative_prompt") or ""),
        "grow": AS_RESULT,
        "feather": AS_RESULT,
        "new-tier": "recipe",
        "new-model": "",
        "new-seed": True,
    }
    if has_edge(recipe):
        values["grow"], values["feather"] = int(parameters["grow"]), int(parameters["feather"])
    variations = parameters.get("variations")
    if isinstance(variations, int) and 1 <= variations <= 4:
        values["variations"] = variations
    return values


def model_for(recipe: dict, values: dict, catalogue=None) -> str:
    """The model Run Again will call: the one typed, the chosen tier's, or the result's own."""
    typed = str(values.get("new-model") or "").strip()
    tier = str(values.get("new-tier") or "recipe")
    if typed:
        return typed
    if tier in TIERS:
        return catalogue.tier("image", tier).model if catalogue is not None else f"the {tier} tier's model"
    return str(recipe.get("model") or "")


def summary(recipe: dict | None, values: dict, catalogue=None) -> str:
    """One line: the action, where it runs, the seed policy, what it is blended over."""
    recipe = recipe or {}
    action = actions.BY_NAME.get(str(recipe.get("action") or ""))
    if action is None:
        return "Select a result layer an Imagen action made: Run Again runs its recipe."
    words = [action.title]
    if (
        recipe.get("backend") == "local"
        and not values.get("new-model")
        and values.get("new-tier") in (None, "", "recipe")
    ):
        words[0] += " on this computer (offline engine)"
    else:
        model = model_for(recipe, values, catalogue)
        label = ""
        if catalogue is not None and model:
            try:
                label = catalogue.get(model, "image").label
            except Exception:  # noqa: BLE001 - an unknown model: its ID says enough
                label = ""
        words[0] += " on " + (model or "the result's model") + (f" ({label})" if label else "")
    seed = recipe.get("seed")
    words.append("new seeds" if values.get("new-seed", True) or seed is None else f"seed {seed}")
    count = int(values.get("variations") or 1)
    if count > 1:
        words.append(f"{count} variations")
    if has_edge(recipe):
        parameters = _parameters(recipe)
        grow, feather = int(values.get("grow", AS_RESULT)), int(values.get("feather", AS_RESULT))
        grow = int(parameters["grow"]) if grow < 0 else grow
        feather = int(parameters["feather"]) if feather < 0 else feather
        if (grow, feather) == (int(parameters["grow"]), int(parameters["feather"])):
            words.append("over the result's mask")
        else:
            words.append(f"over the result's selection grown {grow} px, feathered {feather} px")
    elif action.reads != "nothing" and recipe.get("region"):
        words.append("over the result's region")
    return ", ".join(words)
