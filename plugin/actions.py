"""Which actions the backends without a model of their own serve, in one place for the backends and
for the GIMP hosts' cost line (shared with GIMP 2.10's Python 2.7: plain literals, no imports)."""

LOCAL_ACTIONS = frozenset(["remove", "outpaint", "background", "upscale"])
"""What the local engine does (Replace Background only when not painted from a prompt)."""
GEMINI_ACTIONS = frozenset(["generate", "insert", "remove", "outpaint", "background", "edit", "upscale",
                            "describe", "customize"])
"""What Google's Gemini models serve (upscale re-renders the region at a larger size tier: generative).
Automatic masks and SynthID checks were Imagen's only, and Google shut Imagen down."""
