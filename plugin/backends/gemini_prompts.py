"""The words sent with each action, after Google's prompt templates for Gemini image editing.

Google's guide: describe the scene rather than list keywords; for an edit say "using the provided
image, change only ... keep everything else exactly the same"; name what to avoid as a positive
description. The mask travels as a second picture (white = the area), so each masked instruction
says which picture is the mask. One table, one function: the request builder stays free of prose.
"""

from __future__ import annotations

from plugin.ops import (
    Background,
    Customize,
    Describe,
    Edit,
    Generate,
    Harmonize,
    InpaintInsert,
    InpaintRemove,
    Operation,
    Outpaint,
    Upscale,
)

KEEP = (
    "Keep everything outside the white area exactly the same, preserving the original style, lighting, "
    "perspective and composition. Answer with the whole picture at the same framing."
)
CAPTION = (
    "Describe this picture in one or two sentences, as a caption for a photo library. Answer with the caption only."
)
KINDS = {
    "subject": (
        "Create a new picture: {prompt}. Its subject is the one shown in the reference picture(s)"
        "{about}: keep its identity, shape, colours and details exactly."
    ),
    "style": (
        "Create a new picture: {prompt}. Paint it in the style of the reference picture{about}: its "
        "palette, brushwork, texture and mood. Do not copy the reference's content."
    ),
    "scribble": (
        "Create a new picture: {prompt}. Follow the composition and shapes of the sketch in the "
        "reference picture exactly; turn the strokes into finished, natural forms."
    ),
    "canny": (
        "Create a new picture: {prompt}. Follow the outlines of the edge drawing in the reference picture "
        "exactly: every contour stays where it is."
    ),
}


def _avoid(op: Operation) -> str:
    negative = getattr(op, "negative_prompt", "").strip()
    return f" Make sure the result shows none of this: {negative}." if negative else ""


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if text[-1:] in ".!?" else text + "."


def instruction(op: Operation) -> str:
    """The text part for `op` (its prompt placed into the action's template)."""
    prompt = " ".join(op.prompt_text.split())
    if isinstance(op, Generate):
        return _sentence(prompt) + _avoid(op)
    if isinstance(op, Customize):
        about = f" ({op.description.strip()})" if op.description.strip() else ""
        return KINDS[op.kind].format(prompt=prompt.rstrip("."), about=about) + _avoid(op)
    if isinstance(op, InpaintInsert):
        return (
            "Using the first picture, change only the area that is white in the second picture (the mask): "
            f"paint {prompt.rstrip('.')} there, matching the photo's light, perspective, sharpness and grain."
            f"{_avoid(op)} {KEEP}"
        )
    if isinstance(op, InpaintRemove):
        hint = f" The area should show: {prompt.rstrip('.')}." if prompt else ""
        return (
            "Using the first picture, remove what lies in the area that is white in the second picture (the "
            "mask) and fill it with a natural continuation of its surroundings, as if it had never been "
            f"there.{hint} {KEEP}"
        )
    if isinstance(op, Outpaint):
        hint = f" The new area should show: {prompt.rstrip('.')}." if prompt else ""
        return (
            "The first picture is a photo on a larger canvas; the area that is white in the second picture "
            "(the mask) is empty canvas. Extend the photo's scene seamlessly into it, continuing its content, "
            f"light and perspective.{hint} {KEEP}"
        )
    if isinstance(op, Background):
        return (
            "Using the first picture, replace its background, the area that is white in the second picture "
            f"(the mask), with: {prompt.rstrip('.')}. Keep the main subject (black in the mask) exactly the "
            "same, in the same place and size, and make the new background's light match it so the two blend "
            "seamlessly."
        )
    if isinstance(op, Edit):
        return (
            f"Using the provided picture, {prompt.rstrip('.')}.{_avoid(op)} Keep its framing, size and "
            "perspective; answer with the whole edited picture."
        )
    if isinstance(op, Upscale):
        return (
            "Render this exact picture again at a higher resolution. Preserve everything: composition, "
            "shapes, colours, faces, text and every object, in the same place and size. Only sharpen and add "
            "fine, natural detail consistent with what is there; add, remove or move nothing."
        )
    if isinstance(op, Describe):
        return op.question.strip() or CAPTION
    if isinstance(op, Harmonize):
        return harmonize_instruction(prompt)
    raise ValueError(f"no instruction for {op.action}")


def harmonize_instruction(prompt: str) -> str:
    """Google's composition template (object from the first picture, placed in the scene of the second),
    with its detail-preservation wording; the user's prompt says how the light falls."""
    how = f" The light and the surface: {prompt.rstrip('.')}." if prompt else ""
    return (
        "Using the provided pictures, integrate the object shown alone on grey in the first picture into the "
        "scene of the second picture, exactly where it is already placed there. Keep the object's shape, size, "
        "position, outline, label and text unchanged. Adjust its colour temperature, exposure and contrast "
        "to match the scene's light, and add a soft contact shadow where it meets the surface, consistent "
        f"with the direction and softness of the scene's light.{how} Change nothing else: keep everything "
        "else in the scene exactly the same. Do not change the input aspect ratio; answer with the whole "
        "second picture at the same framing."
    )


FOLLOW_KEEP = (
    "Keep everything else exactly as it is in your last picture, and answer with the whole picture at "
    "the same framing and size."
)


def followup(op: Operation, words: str, continued: bool) -> str:
    """Refine Result's text: a small follow-up change, as Google advises iterating ("make the lighting
    warmer"). Continued: it speaks of the model's last picture, which the history carries; afresh: the
    pictures sent now (the current pixels and, for masked actions, the mask) as in a one-shot edit."""
    words = " ".join(words.split()).rstrip(".")
    masked = isinstance(op, (InpaintInsert, InpaintRemove, Outpaint, Background))
    if continued:
        where = " only in the area that is white in the mask I sent" if masked else ""
        return f"Now change your last picture{where}: {words}. {FOLLOW_KEEP}"
    if masked:
        return (
            f"Using the first picture, change only the area that is white in the second picture (the mask): "
            f"{words}. {KEEP}"
        )
    return (
        f"Using the provided picture, {words}. Keep its framing, size and perspective; answer with the whole "
        "edited picture."
    )
