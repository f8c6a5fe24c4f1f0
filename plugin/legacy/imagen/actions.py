"""The Imagen (legacy) wing's two actions, registered into the action table (plugin/actions.py) from here.

Command line only (no menu entry): Google shut Imagen down in 2026 and documents no successor API for
automatic masks or SynthID checks. Importing this module registers them; plugin/legacy/imagen/ops.py
does, before its operations read their titles from the table.
"""

from __future__ import annotations

from plugin import actions

if "auto_mask" not in actions.BY_NAME:
    actions.register(
        "auto_mask",
        "auto-mask",
        "Edit by Automatic Mask",
        None,
        "",
        (),
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
