"""What pressing OK costs and where it runs: the line under the backend choice in the GIMP 3 dialog.

It reads the settings the worker will read (never a key file's content, no network) and the model
catalogue, and estimates the size tier from the area the action will send, so the line can say
"about $0.40: 3 images at 2K on gemini-3-pro-image". GIMP's own Python runs it: standard library
and the plug-in's pure-Python modules only.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from plugin import actions, errors, params, regions, upscale_cost
from plugin.actions import GEMINI_ACTIONS, LOCAL_ACTIONS
from plugin.hosts import operation as values_to_op
from plugin.hosts import procedures


@dataclass(frozen=True)
class CloudSetup:
    """What the settings say about Vertex AI, found without network.

    backend: the settings' backend, which the dialog's Automatic follows unless it is "auto" too;
    project: '' = none set; endpoint: the override ('' = Google's); credentials: a key file is named,
    an Application Default Credentials file exists, or an endpoint is set; unreadable: the settings
    file's path when it cannot be read (the worker would stop on it), else ''; catalogue: the model
    catalogue with the settings' changes (None when unreadable).
    """

    backend: str
    project: str
    endpoint: str
    credentials: bool
    unreadable: str = ""
    catalogue: object = None
    max_size: str = "4K"


def cloud_setup(environ: dict | None = None) -> CloudSetup:
    """The settings as the worker will find them, by the rule `auto` decides by
    (plugin.backends.cloud_configured) but without google.auth: ADC counts as the file google.auth
    would read first, so there is no network call and no metadata server."""
    from plugin import config

    environ = os.environ if environ is None else environ
    try:
        settings = config.load_settings(environ=environ)
        catalogue = settings.load_catalogue()
    except (config.ConfigError, OSError, ValueError):
        return CloudSetup("auto", "", "", False, str(config.config_path()))
    adc = config.adc_file(environ)
    credentials = bool(settings.endpoint or settings.credentials_file or (adc is not None and adc.is_file()))
    return CloudSetup(
        settings.backend,
        settings.project,
        settings.endpoint,
        credentials,
        "",
        catalogue,
        settings.gemini.max_image_size,
    )


def run_cost(
    action: str, values: dict, setup: CloudSetup | None, area: tuple[int, int] | None = None, recipe: dict | None = None
) -> str:
    """One line: where pressing OK runs `action`, and what Google bills for it.

    values: the dialog's values (backend, tier, max-size, model, variations, mode, factor, aspect ratio
    matter); area: (width, height) of what the action sends, None when unknown; recipe: the result
    layer's (Refine Result, Run Again). Names the project, never a credential.
    """
    if actions.BY_NAME[action].reads == "recipe":
        if action == "refine":
            return follow_up_cost(recipe or {}, values, setup)
        return again_cost(recipe or {}, values, setup)
    if setup is not None and setup.unreadable:
        return f"The settings file {setup.unreadable} cannot be read: the run would stop and say what to fix."
    choice = values_to_op.to_unicode(values.get("backend") or "auto")
    if choice == "vertex":
        choice = "imagen"
    if choice != "auto":
        return _capitalised(_cost_on(choice, action, values, setup, area))
    if setup is None:
        return "Automatic: " + (
            "runs offline on this computer when Vertex AI is not set up."
            if _offline(action, values)
            else "runs on Vertex AI when it is set up."
        )
    if setup.backend not in ("auto", ""):
        return f"Automatic ({setup.backend} in the settings): " + _cost_on(setup.backend, action, values, setup, area)
    if setup.project and setup.credentials:
        return "Automatic: " + _cost_on("gemini", action, values, setup, area)
    if _offline(action, values):
        return "Automatic: Vertex AI is not set up, so this runs offline on this computer: no charge." + _slow_model(
            action, values, area
        )
    return (
        "Automatic: Vertex AI is not set up, and the local engine cannot do this; run Filters > Imagen > Check Setup."
    )


def _cost_on(backend: str, action: str, values: dict, setup: CloudSetup | None, area: tuple[int, int] | None) -> str:
    if backend not in ("local", "gemini", "imagen"):
        return f"there is no backend called '{backend}'; the run would stop."
    if backend == "local" and not _offline(action, values):
        return "the local engine cannot do this offline; choose Automatic or Gemini on Vertex AI."
    if backend == "local" or (action == "background" and _offline(action, values)):
        # the cloud backends hand Replace Background to the local engine; Real-ESRGAN's cost is time and memory
        return "runs offline on this computer: no charge." + _slow_model(action, values, area)
    if backend == "gemini" and action not in GEMINI_ACTIONS:
        return "Gemini cannot do this."
    if setup is not None and setup.endpoint.startswith("http://"):
        return f"goes to the emulator at {_host(setup.endpoint)}, not to Google: no charge."
    if setup is not None and not setup.credentials:
        return "Vertex AI is not set up (no credentials found): the run would stop; run Filters > Imagen > Check Setup."
    project = (
        f"project {setup.project}"
        if setup is not None and setup.project
        else ("the project your credentials name" if setup is not None else "your Google Cloud project")
    )
    if backend == "imagen":
        return (
            f"Imagen (legacy) bills each image to {project}, but Google shut Imagen down in 2026: the run "
            "stops unless your project keeps an Imagen endpoint."
        )
    return _gemini_cost(action, values, setup, area) + f", billed to {project}."


def _gemini_cost(action: str, values: dict, setup: CloudSetup | None, area: tuple[int, int] | None) -> str:
    """'about $0.40: 3 images at 2K on gemini-3-pro-image' from the catalogue's price per tier."""
    from plugin import framing

    catalogue = setup.catalogue if setup is not None else None
    tier = values_to_op.to_unicode(values.get("tier") or "standard")
    model_id = values_to_op.to_unicode(values.get("model") or "").strip()
    if catalogue is None:
        return "Gemini on Vertex AI bills each picture by its size"
    kind = "text" if actions.answers_in_text(action) else "image"
    model = catalogue.get(model_id or catalogue.tier(kind, tier).model, kind)
    count = _variations(action, values)
    if actions.answers_in_text(action):
        answers = "1 caption" if count == 1 else f"{count} captions"
        return f"{answers} from {model.id} for a fraction of a cent (text tokens)"
    chosen = str(_choice(action, "max-size", values))  # the dialog hands over the nick ("size-2k")
    cap = setup.max_size if chosen == "auto" else chosen
    if actions.BY_NAME[action].reads in ("nothing", "references"):  # a new picture: its shape is chosen
        ratio = _choice(action, "aspect-ratio", values)
        if model.aspect_ratios and ratio not in model.aspect_ratios:
            return f"{model.id} cannot make {ratio} pictures: the run would stop; choose another shape or tier"
        size = framing.frame_new(model, ratio, chosen).size or "1K"
        price = model.price_for(size)
    else:
        factor = int(_choice(action, "factor", values)) if action == "upscale" else 1
        if area is None:
            size, price = "", None
        else:
            size, price = framing.estimate(model, area[0], area[1], cap, factor)
            if not size:
                return (
                    f"x{factor} of this area is more than {model.id} can answer with: the run would stop; "
                    "choose the local engine for the offline upscale"
                )
    pictures = "1 image" if count == 1 else f"{count} images"
    at = f" at {size}" if size else ""
    if price is None:
        return f"Gemini bills {pictures}{at} on {model.id}"
    return f"about ${price * count:.2f}: {pictures}{at} on {model.id}"


def _choice(action: str, name: str, values: dict) -> object:
    """A choice argument's value (the dialog hands over its nick)."""
    param = next(p for p in procedures.PROCEDURE_BY_ACTION[action].params if p.name == name)
    return procedures.choice_value(param, values.get(name) or param.default)


def _slow_model(action: str, values: dict, area: tuple[int, int] | None) -> str:
    """Upscale with Real-ESRGAN: its time and memory for this area (or its refusal), said before it runs."""
    if action != "upscale" or str(_choice(action, "offline-model", values)) != "realesrgan":
        return ""
    if area is None:
        return (
            f" Real-ESRGAN takes about {round(upscale_cost.SECONDS_PER_MP / 600)} min per 0.1 MP of the area; "
            f"areas up to {upscale_cost.MAX_PIXELS / 1e6:.2f} MP."
        )
    said = upscale_cost.describe(area[0], area[1])
    return " " + (said if upscale_cost.refusal(area[0], area[1]) else said + ".")


def _offline(action: str, values: dict) -> bool:
    """Can the local engine do this? Replace Background from a prompt needs a model."""
    if action == "background":
        return values_to_op.to_unicode(values.get("mode") or "transparent") != "prompt"
    return action in LOCAL_ACTIONS


def _variations(action: str, values: dict) -> int:
    fixed = actions.BY_NAME[action].fixed.get("variations")
    return int(fixed if fixed is not None else max(1, int(values.get("variations") or 1)))


def _host(endpoint: str) -> str:
    """host:port of an endpoint URL: no scheme, path or user:password@."""
    rest = endpoint.split("://", 1)[-1].split("/", 1)[0]
    return rest.rsplit("@", 1)[-1]


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def area_of(
    action: str, values: dict, canvas: tuple[int, int] | None, layer: object, selection: object
) -> tuple[int, int] | None:
    """The (width, height) the action will send, from the image's geometry (geometry.Rect values or None):
    the same plan the host reads by (regions.plan_input), outpaint's grown canvas, else None."""
    if canvas is None or layer is None:
        return None
    from plugin import geometry

    try:
        operation = values_to_op.build_operation(action, values, canvas)
        plan = regions.plan_input(action, operation, layer, geometry.Rect(0, 0, canvas[0], canvas[1]), selection)
    except errors.HostError:
        return None
    if plan.rect is None:
        return None
    if actions.BY_NAME[action].result == "canvas":
        return (canvas[0] + operation["left"] + operation["right"], canvas[1] + operation["top"] + operation["bottom"])
    return plan.rect.width, plan.rect.height


MASKED_FIRST_TURN = ("insert", "remove", "background", "outpaint")
TIERS = params.choice_values(params.TIER)


def history_pictures(action: str, turn: int) -> int:
    """Pictures a follow-up re-sends: the first request's (the region, and the mask for masked actions; none
    for a new picture), then the final picture of each of the `turn` answers so far."""
    first = 2 if action in MASKED_FIRST_TURN else 0 if actions.BY_NAME[action].reads == "nothing" else 1
    return first + max(0, int(turn))


def follow_up_cost(recipe: dict, values: dict, setup: CloudSetup | None) -> str:
    """Refine Result's line: the new picture, plus the history Google bills again as input on every turn."""
    if setup is not None and setup.unreadable:
        return f"The settings file {setup.unreadable} cannot be read: the run would stop and say what to fix."
    if setup is not None and setup.endpoint.startswith("http://"):
        return f"Goes to the emulator at {_host(setup.endpoint)}, not to Google: no charge."
    catalogue = setup.catalogue if setup is not None else None
    model_id = str(recipe.get("model") or "")
    if catalogue is None or not model_id:
        return "Gemini bills the new picture, and the conversation so far again as input."
    model = catalogue.get(model_id, "image")
    size = str(recipe.get("size") or "1K")
    count = max(1, int(values.get("variations") or 1))
    price = model.price_for(size)
    pictures = history_pictures(str(recipe.get("action") or "edit"), int(recipe.get("turn") or 1))
    resent = model.input_price * pictures * count if model.input_price is not None else None
    made = f"{count} image" + ("s" if count > 1 else "") + f" at {size} on {model.id}"
    again = f"the conversation re-sent as input ({pictures} pictures" + (
        f", about ${resent:.4f})" if resent is not None else ")"
    )
    if price is None:
        return f"Gemini bills {made}, plus {again}."
    total = price * count + (resent or 0.0)
    project = f", billed to project {setup.project}" if setup is not None and setup.project else ""
    return f"About ${total:.2f}: {made}, plus {again}{project}."


def again_cost(recipe: dict, values: dict, setup: CloudSetup | None) -> str:
    """Run Again's line: the recipe's pictures again, on the recipe's backend and model."""
    if not recipe.get("action") or recipe.get("backend") == "local":
        return "Runs the result's recipe again" + (
            ": offline on this computer, no charge."
            if recipe.get("backend") == "local"
            else " (select a result layer an Imagen action made)."
        )
    if setup is not None and setup.endpoint.startswith("http://"):
        return f"Goes to the emulator at {_host(setup.endpoint)}, not to Google: no charge."
    catalogue = setup.catalogue if setup is not None else None
    count = max(1, int(values.get("variations") or 1))
    if catalogue is None or not recipe.get("model"):
        return "Gemini bills each picture again by its size."
    tier = values_to_op.to_unicode(values.get("new-tier") or "recipe")
    chosen = catalogue.tier("image", tier).model if tier in TIERS else str(recipe["model"])  # else the result's
    model = catalogue.get(chosen, "image")
    size = str(recipe.get("size") or "1K")
    if model.sizes and size not in model.sizes:  # another tier: the nearest size it makes, not smaller
        from plugin.catalogue import size_rank

        larger = [offered for offered in model.sizes if size_rank(offered) >= size_rank(size)]
        size = larger[0] if larger else model.sizes[-1]
    price = model.price_for(size)
    made = f"{count} image" + ("s" if count > 1 else "") + f" at {size} on {model.id}"
    return f"About ${price * count:.2f}: {made}." if price is not None else f"Gemini bills {made}."
