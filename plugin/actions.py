"""The action table: one entry per action, from which everything else about an action is derived.

Titles, menu entries and PDB names, the parameters, what the host reads (region and selection),
where the result goes (layers, a new image, a grown canvas, text), what the pipeline does with the
answer, and which backends serve it. Adding an action is one entry here, its operation in ops.py
and its backend code; no other table names actions. Shared with GIMP 2.10's Python 2.7 and read by
the worker: standard library only, 2.7 syntax.
"""

from __future__ import absolute_import

import collections

from plugin import params as P

Action = collections.namedtuple("Action", (
    "name procedure title label blurb params reads selection result fixed colour_matched "
    "served offline_missing gemini_missing"))
"""name: the operation's action; procedure: the PDB name's tail (python-fu-imagen-...); title: how
messages, layers and groups name it; label, blurb: menu entry and tooltip (label None: no menu entry,
command line only); params: the dialog's and the PDB's arguments, in order.
reads: which pixels the host reads (READS); selection: "needed", "used" (when there is one) or
"ignored"; result: where the result goes (RESULTS); fixed: operation fields the menu does not show,
with the value it always sends; colour_matched: the answer is shifted to meet its surroundings (what
the mask marks is what changes; not Replace Background, whose mask is the subject, kept as it was).
served: the backends that do it; offline_missing: what the offline engine would have to do and
cannot ("" when it serves); gemini_missing: why Google's Gemini models cannot ("" when they serve)."""

READS = {
    "nothing": "no picture (a new image from the prompt)",
    "references": "whole reference layers, chosen by name or selection",
    "around-selection": "the selection's bounds grown by grow + feather + context, clipped to the layer",
    "canvas": "the whole canvas, transparent where the layer does not reach",
    "selected-or-layer": "the selection's bounds on the layer, else the whole layer",
    "layer": "the whole layer (a selection marks what to keep)",
    "object-and-scene": "the active layer (the pasted object) and the visible layers below it, merged for reading "
                        "only, over the object's box plus a margin",
    "recipe": "the active result layer's recipe (its provenance parasite) and the pixels under it over the "
              "recipe's region; the selection restored from the recipe / layer mask",
}
RESULTS = {
    "layers": "new layers in a group above the layer, one undo step",
    "canvas": "the canvas grown first, then new layers in a group",
    "new-image": "a new image",
    "new-image-or-layers": "a new image, or layers in the current one with 'into-image'",
    "text": "a message (and, if asked, the image comment)",
    "harmonized": "per variation a layer group above the object holding the harmonized object and its shadow "
                  "layer, each masked; one undo step",
    "into-group": "a new layer in the result layer's own group, one undo step",
    "selection": "GIMP's selection replaced (soft edges), one undo step, no layer",
}
ALL_BACKENDS = ("local", "gemini", "imagen")
RECIPE_FIXED = {"seed": None, "backend": "auto", "model": "", "tier": "standard", "max_size": "auto", "recipe": {}}
"""Refine Result and Run Again take these from the result's recipe (the host adds it), not from the menu."""
CLOUD = ("gemini", "imagen")


def _a(name, procedure, title, label, blurb, parameters, reads, selection, result, served,
       offline_missing="", gemini_missing="", fixed=None, colour_matched=False):
    # type: (str, str, str, str, str, tuple, str, str, str, tuple, str, str, dict, bool) -> Action
    assert reads in READS and result in RESULTS and selection in ("needed", "used", "ignored")
    return Action(name, procedure, title, label, blurb, tuple(parameters), reads, selection, result,
                  dict(fixed or {}), colour_matched, tuple(served), offline_missing, gemini_missing)


ACTIONS = (
    _a("generate", "generate", "Generate Image", "_Generate Image...", "Make a new picture from a text prompt",
       (P.PROMPT, P.NEGATIVE, P.ASPECT, P.into_image("Add to the current _image")) + P.TAIL,
       "nothing", "ignored", "new-image-or-layers", CLOUD, offline_missing="creating a picture from a prompt"),
    _a("insert", "inpaint", "Inpaint", "_Inpaint (Insert)...", "Paint what the prompt describes into the selection",
       (P.PROMPT, P.NEGATIVE) + P.MASK + P.TAIL,
       "around-selection", "needed", "layers", CLOUD, offline_missing="painting new content from a prompt",
       colour_matched=True),
    _a("remove", "remove", "Remove Object", "_Remove Object...",
       "Remove what is selected and fill in the background",
       (P.HINT,) + P.MASK + P.TAIL,
       "around-selection", "needed", "layers", ALL_BACKENDS, colour_matched=True),
    _a("outpaint", "expand", "Expand Canvas", "E_xpand Canvas...", "Grow the canvas and fill the new area",
       P.EXPAND + P.MASK + P.TAIL,
       "canvas", "ignored", "canvas", ALL_BACKENDS, colour_matched=True),
    _a("background", "background", "Replace Background", "Replace _Background...",
       "Cut out the subject (the selection, or found automatically) and replace what is behind it",
       P.BACKGROUND + P.MASK + P.TAIL,
       "layer", "used", "layers", ALL_BACKENDS),
    _a("edit", "edit", "Edit with Prompt", "_Edit with Prompt...", "Change the picture as the prompt describes",
       (P.PROMPT, P.NEGATIVE) + P.TAIL,
       "selected-or-layer", "used", "layers", CLOUD, offline_missing="editing a picture from a prompt"),
    _a("upscale", "upscale", "Upscale", "_Upscale...",
       "Make a larger copy of the selection or the layer as a new image",
       (P.FACTOR, P.BACKEND, P.TIER, P.MAX_SIZE, P.MODEL, P.OFFLINE_MODEL),
       "selected-or-layer", "ignored", "new-image", ALL_BACKENDS, fixed={"variations": 1, "seed": None}),
    _a("describe", "describe", "Describe Image", "_Describe Image...",
       "Describe the picture (or the selection) in words",
       (P.QUESTION, P.STORE_COMMENT, P.VARIATIONS, P.BACKEND, P.TIER, P.MODEL),
       "selected-or-layer", "ignored", "text", CLOUD, offline_missing="describing a picture in words",
       fixed={"seed": None, "max_size": "auto"}),
    _a("customize", "customize", "Generate from References", "Generate from Re_ferences...",
       "Make a new picture from a prompt, guided by reference layers (subject, style, sketch, edges)",
       (P.PROMPT,) + P.REFERENCES + (P.NEGATIVE, P.ASPECT, P.into_image("Add to the current i_mage")) + P.TAIL,
       "references", "ignored", "new-image-or-layers", CLOUD,
       offline_missing="making a picture from reference layers"),
    _a("harmonize", "harmonize", "Harmonize", "_Harmonize...",
       "Blend the pasted layer into the picture below it: its light, colour and a contact shadow",
       P.HARMONIZE + P.TAIL,
       "object-and-scene", "ignored", "harmonized", ("gemini",),
       offline_missing="matching a pasted object's light to its scene and casting its shadow"),
    _a("refine", "refine", "Refine Result", "Refine _Result...",
       "Continue the conversation that made this result layer: a follow-up change, as a new layer in its group",
       (P.FOLLOW_UP, P.AFRESH, P.VARIATIONS), "recipe", "ignored", "into-group", ("gemini",),
       offline_missing="continuing a conversation with a model", fixed=RECIPE_FIXED),
    _a("again", "run-again", "Run Again", "Run A_gain...",
       "Run this result layer's recipe again (its prompt, settings and selection) as a new action",
       (P.AGAIN_PROMPT, P.AGAIN_NEGATIVE) + P.AGAIN_EDGE + (P.AGAIN_TIER, P.AGAIN_MODEL, P.NEW_SEED, P.VARIATIONS),
       "recipe", "ignored", "layers", ALL_BACKENDS,
       fixed=RECIPE_FIXED),
    _a("subject", "subject", "Select Subject", "Select _Subject",
       "Make the subject of the layer (or of the selected area) the selection, with soft edges",
       (), "selected-or-layer", "ignored", "selection", ("local",),
       gemini_missing="Select Subject runs on the offline engine only (a cut-out model on this computer).",
       fixed={"variations": 1, "seed": None, "backend": "local", "tier": "standard", "max_size": "auto",
              "model": ""}),
)
BY_NAME = dict((action.name, action) for action in ACTIONS)


def register(name, procedure, title, label, blurb, parameters, reads, selection, result, served, **more):
    # type: (str, str, str, str, str, tuple, str, str, str, tuple, **object) -> Action
    """Add an action a wing of its own declares (plugin/legacy/imagen/actions.py: the Imagen (legacy)
    menu-less ones), with the same fields as the entries above; it joins ACTIONS and BY_NAME."""
    global ACTIONS
    entry = _a(name, procedure, title, label, blurb, parameters, reads, selection, result, served, **more)
    ACTIONS += (entry,)
    BY_NAME[name] = entry
    return entry

MENU = tuple(action for action in ACTIONS if action.label)
"""The actions with a menu entry, in menu order."""


def served_by(backend):
    # type: (str) -> frozenset
    """The actions a backend serves (the local engine: Replace Background only when not from a prompt)."""
    return frozenset(action.name for action in ACTIONS if backend in action.served)


def title(name):
    # type: (str) -> str
    return BY_NAME[name].title if name in BY_NAME else name


def needs_image(name):
    # type: (str) -> bool
    """An open image is needed: every action but one that makes a new picture from the prompt alone."""
    return BY_NAME[name].reads != "nothing"


def makes_new_image(name, into_image=False):
    # type: (str, bool) -> bool
    result = BY_NAME[name].result
    return result == "new-image" or (result == "new-image-or-layers" and not into_image)


def answers_in_text(name):
    # type: (str) -> bool
    return BY_NAME[name].result == "text"


LOCAL_ACTIONS = served_by("local")
GEMINI_ACTIONS = served_by("gemini")


GROUP_PROMPT_CHARACTERS = 48


def group_name(name, prompt):
    # type: (str, str) -> str
    """The layer group's name: the title and the prompt, shortened ('Inpaint: a red kite over the...')."""
    prompt = " ".join((prompt or "").split())
    if len(prompt) > GROUP_PROMPT_CHARACTERS:
        prompt = prompt[:GROUP_PROMPT_CHARACTERS - 1] + u"\u2026"
    return "%s: %s" % (title(name), prompt) if prompt else title(name)
