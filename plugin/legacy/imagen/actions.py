"""The Imagen (legacy) wing's two actions, registered into the action table (plugin/actions.py) from here.

Command line only (no menu entry): Google shut Imagen down in 2026 and documents no successor API for
automatic masks or SynthID checks. Importing this module registers them; plugin/legacy/imagen/ops.py
does, before its operations read their titles from the table.
"""

from __future__ import annotations

from plugin import actions
from plugin import params as P

# The automatic-mask edit's parameters, in the parameter table's form (plugin/params.py): the operation's
# checks and the command line's choices and help read them from here.
AUTO_MASK = "Imagen (legacy) automatic masks: "
AUTO_MASK_PARAMS = (
    P.Param("edit", "choice", "Edit", AUTO_MASK + "what to do where the mask is", "insert",
            P.named(("insert", "insert what the prompt describes"), ("remove", "remove it"),
                    ("background", "replace the background")), False),
    P.Param("mask-mode", "choice", "Mask", AUTO_MASK + "which area the service finds", "semantic",
            P.named(("background", "the whole background"), ("foreground", "the foreground"),
                    ("semantic", "objects of the classes given")), False),
    P.Param("classes", "string", "Classes", AUTO_MASK + "class names or IDs, comma-separated", "", None, False),
    P.Param("prompt", "text", "Prompt", "What to put there, described as a scene (remove: optional)", "", None, False),
    P.NEGATIVE,
    P.Param("dilation", "float", "Dilation", AUTO_MASK + "share of the width to grow the mask by; -1 = Google's "
            "default", -1.0, (-1.0, 1.0), False),
)  # fmt: skip

if "auto_mask" not in actions.BY_NAME:
    actions.register(
        "auto_mask",
        "auto-mask",
        "Edit by Automatic Mask",
        None,
        "",
        AUTO_MASK_PARAMS + P.TAIL,
        "layer",
        "ignored",
        "layers",
        ("imagen",),
        offline_missing="finding the area to edit by itself",
        gemini_missing="Automatic masks were an Imagen feature, and Google shut Imagen down; make a selection "
        "(Select > By Color, Foreground Select) and use Inpaint, Remove Object or Replace Background.",
    )
    actions.register(
        "verify",
        "verify",
        "Check SynthID Watermark",
        None,
        "",
        (),
        "layer",
        "ignored",
        "text",
        ("imagen",),
        offline_missing="checking for Google's SynthID watermark",
        gemini_missing="Google documents no SynthID check for Gemini on Vertex AI; the Imagen check is shut down.",
    )
