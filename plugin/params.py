"""The parameter table: each parameter the actions take, declared once (range, choices, default, help).

plugin/actions.py lists which action takes which. Everything else reads them from here: both GIMP
adapters turn a Param into a PDB argument and a dialog widget, hosts/operation.py turns the values
into the job's operation, the operations (plugin/ops*.py) check their fields against the same ranges
and choices, and the command line (plugin/cli.py) offers the same choices with the blurb as its help.
Which model takes which shape or size is the catalogue's (plugin/models.toml): the choices below are
every one some model offers, their labels say which tiers, and a backend refuses the others with the list.
Shared with GIMP 2.10's Python 2.7: standard library only, 2.7 syntax, type comments.
"""

from __future__ import absolute_import

import collections

Param = collections.namedtuple("Param", "name kind label blurb default extra host_only")
"""name: PDB argument (dashes); kind: text|string|names|int|float|bool|choice|color|file (names: a
comma-separated string in GIMP, a list in the operation); extra: (low, high) for int and float,
((nick, value, label), ...) for choice; host_only: not an op field."""

def _p(name, kind, label, blurb, default, extra=None, host_only=False):
    # type: (str, str, str, str, object, object, bool) -> Param
    return Param(name, kind, label, blurb, default, extra, host_only)


ASPECT_CHOICES = (
    ("square", "1:1", "1:1 (square)"),
    ("portrait-3-4", "3:4", "3:4 (portrait)"),
    ("landscape-4-3", "4:3", "4:3 (landscape)"),
    ("portrait-9-16", "9:16", "9:16 (tall)"),
    ("landscape-16-9", "16:9", "16:9 (wide)"),
    ("portrait-2-3", "2:3", "2:3 (portrait photo)"),
    ("landscape-3-2", "3:2", "3:2 (landscape photo)"),
    ("portrait-4-5", "4:5", "4:5 (portrait print)"),
    ("landscape-5-4", "5:4", "5:4 (landscape print)"),
    ("landscape-21-9", "21:9", "21:9 (cinema)"),
    # Gemini 3.1 Flash Image and Flash-Lite Image only (Standard, Fast); new choices go at the end, so that
    # GIMP 2.10's option numbers in scripts keep their meaning
    ("portrait-1-4", "1:4", "1:4 (tall strip; Standard and Fast only)"),
    ("landscape-4-1", "4:1", "4:1 (wide strip; Standard and Fast only)"),
    ("portrait-1-8", "1:8", "1:8 (very tall strip; Standard and Fast only)"),
    ("landscape-8-1", "8:1", "8:1 (very wide strip; Standard and Fast only)"),
)


def named(*pairs):
    # type: (*tuple) -> tuple
    """Choices whose nick is their value: (value, label) pairs -> (nick, value, label) entries."""
    return tuple((value, value, label) for value, label in pairs)


ANCHOR_CHOICES = named(("center", "Centre"), ("top", "Top"), ("bottom", "Bottom"), ("left", "Left"),
                       ("right", "Right"), ("top-left", "Top left"), ("top-right", "Top right"),
                       ("bottom-left", "Bottom left"), ("bottom-right", "Bottom right"))
BACKEND_CHOICES = named(("auto", "Automatic (Google's models when Vertex AI is set up, else offline)"),
                        ("local", "Local engine (offline)"), ("gemini", "Gemini on Vertex AI"),
                        ("imagen", "Imagen on Vertex AI (legacy: shut down by Google in 2026)"))
CHOICE_ALIASES = {"vertex": "imagen"}
"""Values of earlier versions: scripts, saved values and job files that name the Imagen backend 'vertex'."""
TIER_CHOICES = named(("quality", "Quality (Gemini 3 Pro Image)"), ("standard", "Standard (Gemini 3.1 Flash Image)"),
                     ("fast", "Fast (Gemini 3.1 Flash-Lite Image, 1K)"))
"""The tiers' models are settings ([models] in config.toml); the labels name the shipped defaults."""
SIZE_CHOICES = (("auto", "auto", "As the area needs (up to the settings' limit)"), ("size-1k", "1K", "1K (cheapest)"),
                ("size-2k", "2K", "2K"), ("size-4k", "4K", "4K"),
                ("size-512", "512", "512 (smallest; Standard only)"))  # last: GIMP 2.10's option numbers stay
BACKGROUND_CHOICES = named(("transparent", "Transparent (cut out)"), ("color", "Solid colour"),
                           ("blur", "Blurred original"), ("image", "Picture from a file"),
                           ("prompt", "Generated from the prompt"))
EXPAND_CHOICES = named(("aspect", "To an aspect ratio"), ("margins", "By margins in pixels"))
FACTOR_CHOICES = (("x2", 2, "2x"), ("x4", 4, "4x"))
KIND_CHOICES = named(("subject", "Subject: show this person, animal or product"),
                     ("style", "Style: paint in the style of this layer"), ("scribble", "Scribble: follow this sketch"),
                     ("canny", "Edges: follow this layer's outlines"))
SUBJECT_CHOICES = named(("default", "Anything"), ("person", "A person"), ("animal", "An animal"),
                        ("product", "A product"))
MAX_REFERENCES = 4
"""Imagen takes up to 4 subject references; a style, scribble or edge reference is one layer."""

PROMPT = _p("prompt", "text", "_Prompt", "What to put there, described as a scene", "")
ASPECT = _p("aspect-ratio", "choice", "_Aspect ratio", "Shape of the new picture (each model offers some; "
            "a refusal lists them)", "square", ASPECT_CHOICES)
NEGATIVE = _p("negative-prompt", "string", "_Negative prompt", "What to avoid", "")
VARIATIONS = _p("variations", "int", "_Variations", "How many versions to make (one layer each)", 1, (1, 4))
SEED = _p("seed", "int", "S_eed", "0 = random; the same seed asks for a similar result", 0, (0, 2 ** 31 - 1))
BACKEND = _p("backend", "choice", "_Backend", "Where the work runs", "auto", BACKEND_CHOICES)
TIER = _p("tier", "choice", "_Quality", "Which of Google's models: Quality, Standard or Fast (the IDs are "
          "settings)", "standard", TIER_CHOICES)
MAX_SIZE = _p("max-size", "choice", "Max si_ze", "Largest picture the model may answer with (cost grows with size)",
              "auto", SIZE_CHOICES)
MODEL = _p("model", "string", "Mo_del ID", "A model ID instead of the tier's; empty = the tier's", "")
TAIL = (VARIATIONS, SEED, BACKEND, TIER, MAX_SIZE, MODEL)
"""What every operation takes (plugin/ops_base.Operation's fields), in the dialogs' order."""
GROW = _p("grow", "int", "Gro_w selection", "Pixels added around the selection", 4, (0, 500))
FEATHER = _p("feather", "int", "_Feather", "Width of the soft edge, in pixels", 8, (0, 500))
CONTEXT = _p("context", "int", "Conte_xt margin", "Pixels around the selection the model sees", 64, (0, 4096))
MASK = (GROW, FEATHER, CONTEXT)


EXPAND = (
    _p("prompt", "string", "_Prompt", "Optional: what the new area should show", ""),
    _p("expand-mode", "choice", "Grow the canvas b_y", "How the new size is given", "aspect", EXPAND_CHOICES,
       host_only=True),
    _p("aspect-ratio", "choice", "_Aspect ratio", "Target shape", "landscape-16-9", ASPECT_CHOICES, host_only=True),
    _p("anchor", "choice", "A_nchor", "Where the current picture stays", "center", ANCHOR_CHOICES, host_only=True),
    # every label has a mnemonic, none taken twice in a dialog or by its buttons (_Reset,
    # _Cancel, _OK, _Help, _Load, _Save): GIMP prints "no mnemonic for property" otherwise
    _p("left", "int", "Left _margin", "Pixels added on the left", 0, (0, 8192)),
    _p("top", "int", "_Top margin", "Pixels added at the top", 0, (0, 8192)),
    _p("right", "int", "R_ight margin", "Pixels added on the right", 0, (0, 8192)),
    _p("bottom", "int", "Bottom mar_gin", "Pixels added at the bottom", 0, (0, 8192)),
)
BACKGROUND = (
    _p("mode", "choice", "_New background", "What goes behind the subject", "transparent", BACKGROUND_CHOICES),
    _p("color", "color", "Colo_ur", "Colour for the solid background", "#ffffff"),
    _p("blur-radius", "int", "Blur r_adius", "Blur for the blurred background", 24, (1, 500)),
    _p("image-path", "file", "Pic_ture", "Picture for the background", ""),
    _p("prompt", "string", "_Prompt", "Background to generate (needs Vertex AI)", ""),
)
REFERENCES = (
    _p("reference-layers", "names", "Re_ference layers",
       "Layer names, comma-separated (up to 4 for a subject); empty = the selected layer(s)", ""),
    _p("kind", "choice", "_Kind of reference", "What the model takes from the references", "subject", KIND_CHOICES),
    _p("description", "string", "Descr_iption",
       "Optional: what the subject or style is ('a red mug', 'watercolour')", ""),
    _p("subject-type", "choice", "Subject t_ype", "What the subject is", "default", SUBJECT_CHOICES),
    _p("compute-control", "bool", "Dra_w the lines from a photo",
       "Scribble/edges: the layer is a photo; its sketch or edges are drawn from it first", False),
)
HARMONIZE = (
    _p("prompt", "string", "_Prompt", "Optional: how the light falls ('evening light from the left', 'on wet asphalt')",
       ""),
    _p("context", "int", "Conte_xt margin", "Pixels of scene around the object the model sees", 96, (0, 4096)),
    _p("shadow", "int", "Shado_w reach", "How far from the object its shadow may reach, in pixels; farther "
       "away the picture stays as it was", 48, (0, 1024)),
)
HINT = _p("prompt", "string", "H_int", "Optional: what the background should look like", "")
FACTOR = _p("factor", "choice", "_Factor", "How much larger", "x2", FACTOR_CHOICES)
OFFLINE_MODEL_CHOICES = named(("waifu2x", "waifu2x photo (fast)"),
                              ("realesrgan", "Real-ESRGAN (slow: small areas only)"))
OFFLINE_MODEL = _p("offline-model", "choice", "Offl_ine model", "The offline engine's upscale model: waifu2x "
                   "(seconds), or Real-ESRGAN (minutes and gigabytes; areas up to about 500x500)", "waifu2x",
                   OFFLINE_MODEL_CHOICES)
QUESTION = _p("question", "string", "Q_uestion", "Optional: ask something about the picture", "")
STORE_COMMENT = _p("store-comment", "bool", "Store as image co_mment", "Save the text as the image comment", False,
                   host_only=True)


def into_image(mnemonic_label):
    # type: (str) -> Param
    """'Add to the current image' (host only): layers in the open image instead of a new image."""
    return _p("into-image", "bool", mnemonic_label, "Add layers instead of a new image", False, host_only=True)


# Refine Result and Run Again (issue 20): on a result layer, from its recipe (the provenance parasite)
FOLLOW_UP = _p("prompt", "text", "_Follow-up", "What to change in this result ('make it dark blue', 'a little "
               "smaller'); the model continues the conversation that made it", "")
AFRESH = _p("afresh", "bool", "Start _afresh", "Start a new conversation from the current pixels instead of "
            "continuing (also past the follow-up limit, or when the model refuses the history)", False)
AGAIN_PROMPT = _p("prompt", "text", "_Prompt", "Empty = the result's own prompt; or change it", "")
AGAIN_TIER = _p("new-tier", "choice", "_Quality", "Which of Google's models: the result's, or another tier", "recipe",
                (("recipe", "", "As the result"),) + TIER_CHOICES)
NEW_SEED = _p("new-seed", "bool", "_New seeds (more like this)", "Other seeds than the result's, for variations "
              "on the same recipe", True)
AS_RESULT = -1
"""Run Again's grow and feather: -1 = the result's own (a script need not know them; the dialog shows them)."""
AGAIN_NEGATIVE = _p("negative-prompt", "string", "N_egative prompt", "Empty = the result's own; a single '-' = "
                    "none", "")
AGAIN_EDGE = (
    _p("grow", "int", "Gro_w selection", "Pixels added around the selection the result was made over; -1 = as "
       "the result", AS_RESULT, (AS_RESULT, 500)),
    _p("feather", "int", "_Feather", "Width of the soft edge, in pixels; -1 = as the result", AS_RESULT,
       (AS_RESULT, 500)),
)
AGAIN_MODEL = _p("new-model", "string", "Mo_del ID", "A model ID instead of the result's or the tier's; empty = "
                 "those", "")


# -- reading the table (the hosts, the operations' checks and the command line) ------------------------

def field_name(param_name):
    # type: (str) -> str
    """A PDB argument's name as the operation's field: 'max-size' -> 'max_size'."""
    return param_name.replace("-", "_")


def choice_values(param):
    # type: (Param) -> tuple
    """A choice's values, as the operation holds them, in the table's order."""
    return tuple(value for _nick, value, _label in param.extra)


def default_value(param):
    # type: (Param) -> object
    """The default as the operation holds it (a choice's value, not its nick)."""
    if param.kind == "choice":
        return dict((nick, value) for nick, value, _label in param.extra)[param.default]
    return param.default


def help_text(param, imagen_enabled=True):
    # type: (Param, bool) -> str
    """The blurb with its range or its choices spelt out: the command line's --help for the field."""
    if param.kind in ("int", "float"):
        return "%s (%s to %s)" % (param.blurb, param.extra[0], param.extra[1])
    if param.kind == "choice":
        offered = offered_choices(param, imagen_enabled)
        shown = ["%s: %s" % (value, label) for _nick, value, label in offered if value != ""]
        return "%s (%s)" % (param.blurb, "; ".join(shown))
    return param.blurb


COMMON = dict((field_name(param.name), param) for param in TAIL)
"""The fields every operation has, by field name (an action may leave some out of its dialog)."""


def offered_choices(param, imagen_enabled):
    # type: (Param, bool) -> tuple
    """A choice's entries as the menus offer them: the Imagen (legacy) backend, shut down by Google, only
    when the settings enable it (plugin/settings_file.py). It is the last backend, so the others keep
    their numbers (GIMP 2.10 hands a choice over as its number); the operations still accept it."""
    if param.name == BACKEND.name and not imagen_enabled:
        return tuple(choice for choice in param.extra if choice[1] != "imagen")
    return param.extra
