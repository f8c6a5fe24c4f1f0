"""The `:predict` bodies of the capability model's edits (imagen-3.0-capability-001): inpaint insert and
remove, outpaint and background from a prompt (RAW + MASK references), automatic masks, the mask-free edit
and customization from reference layers.

Per-mode starting values follow Google's recipes (shared/ref/imagen-api.md section 3.5): insert 35 steps /
dilation 0.01, remove 12 / 0.01, outpaint 35 / 0.03, background swap 75 / 0.0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from plugin.backends.base import BackendError, EditRequest, UnsupportedOperation
from plugin.config import Settings
from plugin.legacy.imagen.classes import parse_classes
from plugin.legacy.imagen.models import CAPABILITY, ModelInfo, model_info
from plugin.legacy.imagen.ops import AutoMaskEdit
from plugin.legacy.imagen.request_parts import (
    PredictCall,
    _common,
    _guidance,
    _negative,
    _samples,
    at_model_size,
    fit_reference,
    wire_image,
    wire_mask,
)
from plugin.ops import Background, Customize, Edit, Operation


@dataclass(frozen=True)
class Recipe:
    edit_mode: str
    base_steps: int
    dilation: float


RECIPES = {
    "insert": Recipe("EDIT_MODE_INPAINT_INSERTION", 35, 0.01),
    "remove": Recipe("EDIT_MODE_INPAINT_REMOVAL", 12, 0.01),
    "outpaint": Recipe("EDIT_MODE_OUTPAINT", 35, 0.03),
    "background": Recipe("EDIT_MODE_BGSWAP", 75, 0.0),
}


def _edit_model(settings: Settings) -> tuple[str, ModelInfo]:
    model = settings.imagen_model("edit")
    info = model_info(model, "edit")
    if info.family != CAPABILITY:
        raise UnsupportedOperation(
            f"Model {model} (settings [models] imagen_edit) does not take reference-image edits; "
            'set imagen_edit = "imagen-3.0-capability-001" in the settings file.'
        )
    return model, info


def _edit_call(
    op: Operation,
    model: str,
    info: ModelInfo,
    settings: Settings,
    params: dict,
    notes: list[str],
    prompt: str,
    references: list[dict],
    negative: bool = True,
    size: tuple[int, int] | None = None,
    keep_alpha: np.ndarray | None = None,
) -> PredictCall:
    """What every capability edit ends with: the sample count, the negative prompt where the edit takes one,
    guidance and the common fields, and the call (results at `size`, alpha restored from `keep_alpha`)."""
    params["sampleCount"] = _samples(op, info, notes)
    if negative:
        _negative(params, op.negative_prompt, info, notes)
    _guidance(params, settings.imagen)
    _common(params, op, info, settings.imagen, notes)
    return PredictCall(
        "edit",
        model,
        {"prompt": prompt, "referenceImages": references},
        params,
        samples=params["sampleCount"],
        size=size,
        keep_alpha=keep_alpha,
        notes=notes,
    )


def _recipe(recipe: Recipe, settings: Settings) -> dict:
    """A masked edit's mode and steps (the settings' base_steps, when set, over the recipe's)."""
    return {"editMode": recipe.edit_mode, "editConfig": {"baseSteps": settings.imagen.base_steps or recipe.base_steps}}


def _mask_edit(request: EditRequest, settings: Settings) -> PredictCall:
    """Inpaint insert/remove, outpaint and background-from-prompt: RAW + MASK references."""
    op = request.op
    image = request.require_image()
    if isinstance(op, Background) and op.mode != "prompt":
        raise UnsupportedOperation("Only 'prompt' backgrounds need Imagen; the others run locally.")
    model, info = _edit_model(settings)
    recipe = RECIPES[op.action]
    notes: list[str] = []
    mask_config: dict = {"maskMode": "MASK_MODE_USER_PROVIDED", "dilation": recipe.dilation}
    mask_ref: dict = {"referenceType": "REFERENCE_TYPE_MASK", "referenceId": 2}
    mask = request.mask
    if isinstance(op, Background):
        if mask is None:  # no selection: let the service find the background
            mask_config["maskMode"] = "MASK_MODE_BACKGROUND"
        else:  # the selection marks the subject; Imagen's mask marks what to replace
            mask = np.where(mask >= 128, 0, 255).astype(np.uint8)
    elif mask is None:
        raise UnsupportedOperation(f"{op.title} needs a selection (the area to change)")
    if mask is not None:
        if mask.shape != image.shape[:2]:
            raise BackendError(f"internal: mask {mask.shape} and image {image.shape[:2]} differ in size")
    keep_alpha = _edit_alpha(image, mask)
    sent, sent_mask = at_model_size(image, mask)
    if sent_mask is not None:
        mask_ref["referenceImage"] = wire_mask(sent_mask)
    mask_ref["maskImageConfig"] = mask_config
    references = [_raw(sent), mask_ref]
    prompt = getattr(op, "prompt", "")
    params = _recipe(recipe, settings)
    negative = op.action == "insert"
    size = (image.shape[1], image.shape[0])
    return _edit_call(op, model, info, settings, params, notes, prompt, references, negative, size, keep_alpha)


def _raw(image: np.ndarray) -> dict:
    return {"referenceType": "REFERENCE_TYPE_RAW", "referenceId": 1, "referenceImage": wire_image(image)}


def _edit_alpha(image: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
    """Changed pixels become opaque; the rest keeps the layer's alpha."""
    if mask is None:
        return np.full(image.shape[:2], 255, np.uint8)
    return np.where(mask >= 128, 255, image[..., 3]).astype(np.uint8)


def _auto_mask(request: EditRequest, settings: Settings) -> PredictCall:
    op: AutoMaskEdit = request.op  # type: ignore[assignment]
    image = request.require_image()
    model, info = _edit_model(settings)
    recipe = RECIPES[op.edit]
    config: dict = {
        "maskMode": f"MASK_MODE_{op.mask_mode.upper()}",
        "dilation": recipe.dilation if op.dilation == -1 else float(op.dilation),
    }
    if op.mask_mode == "semantic":
        config["maskClasses"] = parse_classes(op.classes)
    references = [
        _raw(at_model_size(image, None)[0]),
        {"referenceType": "REFERENCE_TYPE_MASK", "referenceId": 2, "maskImageConfig": config},
    ]
    prompt = "" if op.edit == "remove" else op.prompt
    size = (image.shape[1], image.shape[0])
    return _edit_call(
        op, model, info, settings, _recipe(recipe, settings), [], prompt, references, op.edit != "remove", size
    )


def _mask_free(request: EditRequest, settings: Settings) -> PredictCall:
    op: Edit = request.op  # type: ignore[assignment]
    image = request.require_image()
    model, info = _edit_model(settings)
    references = [_raw(at_model_size(image, None)[0])]
    params = {"editMode": "EDIT_MODE_DEFAULT"}
    return _edit_call(
        op, model, info, settings, params, [], op.prompt, references, size=(image.shape[1], image.shape[0])
    )


def _customize(request: EditRequest, settings: Settings) -> PredictCall:
    op: Customize = request.op  # type: ignore[assignment]
    model, info = _edit_model(settings)
    layers = list(request.references) or ([request.image] if request.image is not None else [])
    if not layers:
        raise UnsupportedOperation("Generate from References needs at least one reference layer")
    limit = 4 if op.kind == "subject" else 1
    notes: list[str] = []
    if len(layers) > limit:
        notes.append(f"Only the first {limit} reference layer(s) were sent.")
        layers = layers[:limit]
    references = [_reference(op, fit_reference(layer)) for layer in layers]
    prompt = op.prompt if "[1]" in op.prompt else f"{op.prompt.rstrip(' .')} {_tag(op)}"
    params = {
        "aspectRatio": op.aspect_ratio,
        "editMode": "EDIT_MODE_DEFAULT" if op.kind in ("subject", "style") else "EDIT_MODE_CONTROLLED_EDITING",
    }
    return _edit_call(op, model, info, settings, params, notes, prompt, references)


def _tag(op: Customize) -> str:
    if op.kind == "subject":
        return f"featuring {op.description or 'the subject'} [1]"
    if op.kind == "style":
        return f"in the {op.description + ' ' if op.description else ''}style of [1]"
    return f"following the {op.kind} image [1]"


def _reference(op: Customize, rgba: np.ndarray) -> dict:
    base = {"referenceId": 1, "referenceImage": wire_image(rgba, "reference layer")}
    if op.kind == "subject":
        description = op.description or {"person": "a person", "animal": "an animal", "product": "a product"}.get(
            op.subject_type, "the subject"
        )
        return {
            "referenceType": "REFERENCE_TYPE_SUBJECT",
            **base,
            "subjectImageConfig": {
                "subjectType": f"SUBJECT_TYPE_{op.subject_type.upper()}",
                "subjectDescription": description,
            },
        }
    if op.kind == "style":
        config = {"styleDescription": op.description} if op.description else {}
        return {"referenceType": "REFERENCE_TYPE_STYLE", **base, "styleImageConfig": config}
    return {
        "referenceType": "REFERENCE_TYPE_CONTROL",
        **base,
        "controlImageConfig": {
            "controlType": f"CONTROL_TYPE_{op.kind.upper()}",
            "enableControlImageComputation": op.compute_control,
        },
    }
