"""Checks of an Imagen capability-model edit (`referenceImages`: raw, mask, subject, style, control).

Split from imagen_checks because the reference images carry most of the legacy API's rules: one raw
picture, a mask the raw picture's size, the mask modes and their semantic classes, which config
object belongs to which reference type, and google-genai's snake_case inside subject/style configs.
"""

from __future__ import annotations

from typing import Any

from emulator.imagen_checks import (
    CONFIG_FOR,
    CONTROL_TYPES,
    EDIT_MODES,
    MASK_MODES,
    MASKED_MODES,
    REFERENCE_TYPES,
    SUBJECT_TYPES,
    Checked,
    choice,
    decode,
    flag,
    image_params,
    keys,
    prompt_length,
    real,
    refuse,
    semantic_classes,
    text,
    whole,
)
from emulator.imagen_tables import CAPABILITY, MAX_REFERENCE_IMAGES, ModelInfo

REFS = "instances[0].referenceImages"


def capability(info: ModelInfo, instance: Any, params: dict) -> Checked:
    keys(instance, {"prompt", "referenceImages"}, "instances[0]")
    prompt = prompt_length(text(instance.get("prompt", ""), "instances[0].prompt"), "instances[0].prompt")
    refs = instance.get("referenceImages")
    if not isinstance(refs, list) or not refs:
        raise refuse(REFS, "at least one reference image is required")
    if len(refs) > MAX_REFERENCE_IMAGES:
        raise refuse(REFS, f"{len(refs)} reference images; at most {MAX_REFERENCE_IMAGES} are allowed")
    checked = Checked(CAPABILITY, prompt, params)
    ids: dict[int, str] = {}
    for index, ref in enumerate(refs):
        _reference(ref, f"{REFS}[{index}]", checked, ids)
    kinds = [ref["referenceType"] for ref in refs]
    image_params(info, params, {"editMode", "editConfig", "aspectRatio"})
    mode = choice(params["editMode"], "parameters.editMode", EDIT_MODES) if "editMode" in params else ""
    if "editConfig" in params:
        _edit_config(params["editConfig"])
    if kinds.count("REFERENCE_TYPE_RAW") > 1:
        raise refuse(REFS, "at most one REFERENCE_TYPE_RAW image is allowed")
    if "REFERENCE_TYPE_MASK" in kinds:
        if kinds.count("REFERENCE_TYPE_MASK") > 1 or "REFERENCE_TYPE_RAW" not in kinds:
            raise refuse(REFS, "mask editing needs exactly one REFERENCE_TYPE_RAW and one REFERENCE_TYPE_MASK image")
        if "aspectRatio" in params:
            raise refuse("parameters.aspectRatio", "aspectRatio is not supported for mask editing")
    if mode in MASKED_MODES and "REFERENCE_TYPE_MASK" not in kinds:
        raise refuse("parameters.editMode", f"{mode} needs a REFERENCE_TYPE_MASK reference image")
    if mode == "EDIT_MODE_CONTROLLED_EDITING" and "REFERENCE_TYPE_CONTROL" not in kinds:
        raise refuse("parameters.editMode", "EDIT_MODE_CONTROLLED_EDITING needs a REFERENCE_TYPE_CONTROL image")
    if "aspectRatio" in params:
        choice(params["aspectRatio"], "parameters.aspectRatio", info.aspect_ratios)
    _sizes_agree(checked)
    return checked


def _edit_config(config: Any) -> None:
    config = keys(config, {"baseSteps", "outpaintingConfig"}, "parameters.editConfig")
    if "baseSteps" in config:
        whole(config["baseSteps"], "parameters.editConfig.baseSteps", 1, 75)
    if "outpaintingConfig" in config:
        path = "parameters.editConfig.outpaintingConfig"
        blend = keys(config["outpaintingConfig"], {"blendingMode", "blendingFactor"}, path)
        if "blendingFactor" in blend:
            real(blend["blendingFactor"], f"{path}.blendingFactor", 0, 1)


def _sizes_agree(checked: Checked) -> None:
    raw, mask = checked.image, checked.mask
    if raw is not None and mask is not None and mask.shape != raw.shape[:2]:
        height, width = raw.shape[:2]
        mask_height, mask_width = mask.shape
        raise refuse(
            f"{REFS}.referenceImage",
            f"the mask is {mask_width}x{mask_height} but the raw image is {width}x{height}; they must be the same size",
        )
    for ref in checked.references:
        if ref["type"] == "REFERENCE_TYPE_CONTROL" and raw is not None and ref["pixels"].shape[:2] != raw.shape[:2]:
            raise refuse(ref["path"], "the control image must have the raw image's size")
    if sum(1 for r in checked.references if r.get("controlType") == "CONTROL_TYPE_FACE_MESH") > 1:
        raise refuse(REFS, "only one face-mesh control image is supported")


def _reference(ref: Any, path: str, checked: Checked, ids: dict[int, str]) -> None:
    keys(ref, {"referenceType", "referenceId", "referenceImage", *CONFIG_FOR.values()}, path)
    kind = choice(ref.get("referenceType"), f"{path}.referenceType", REFERENCE_TYPES)
    if "referenceId" in ref:
        ref_id = whole(ref["referenceId"], f"{path}.referenceId", 0, 2**31 - 1)
        if ids.setdefault(ref_id, kind) != kind:
            raise refuse(f"{path}.referenceId", f"referenceId {ref_id} is used by two kinds of reference")
    for config_key in CONFIG_FOR.values():
        if config_key in ref and CONFIG_FOR.get(kind) != config_key:
            raise refuse(f"{path}.{config_key}", f"{config_key} does not belong to {kind}")
    config = ref.get(CONFIG_FOR.get(kind, ""), {})
    if kind == "REFERENCE_TYPE_MASK":
        _mask(ref, config, path, checked)
        return
    if "referenceImage" not in ref:
        raise refuse(f"{path}.referenceImage", f"{kind} needs a referenceImage")
    pixels = decode(ref["referenceImage"], f"{path}.referenceImage")
    if kind == "REFERENCE_TYPE_RAW":
        checked.image = pixels
        return
    entry: dict[str, Any] = {"type": kind, "pixels": pixels, "path": f"{path}.referenceImage"}
    cpath = f"{path}.{CONFIG_FOR[kind]}"
    if kind == "REFERENCE_TYPE_SUBJECT":
        # camelCase as documented; google-genai sends snake_case inside this object, so both are taken
        keys(config, {"subjectType", "subjectDescription", "subject_type", "subject_description"}, cpath)
        if "subjectType" in config or "subject_type" in config:
            entry["subjectType"] = choice(
                config.get("subjectType", config.get("subject_type")), f"{cpath}.subjectType", SUBJECT_TYPES
            )
        entry["description"] = text(
            config.get("subjectDescription", config.get("subject_description", "")), f"{cpath}.subjectDescription"
        )
    elif kind == "REFERENCE_TYPE_STYLE":
        keys(config, {"styleDescription", "style_description"}, cpath)
        entry["description"] = text(
            config.get("styleDescription", config.get("style_description", "")), f"{cpath}.styleDescription"
        )
    else:  # control
        keys(config, {"controlType", "enableControlImageComputation", "computeControl"}, cpath)
        entry["controlType"] = choice(config.get("controlType"), f"{cpath}.controlType", CONTROL_TYPES)
        for name in ("enableControlImageComputation", "computeControl"):
            if name in config:
                entry["compute"] = flag(config[name], f"{cpath}.{name}")
    checked.references.append(entry)


def _mask(ref: dict, config: Any, path: str, checked: Checked) -> None:
    cpath = f"{path}.maskImageConfig"
    keys(config, {"maskMode", "dilation", "maskClasses"}, cpath)
    mode = choice(config.get("maskMode", "MASK_MODE_USER_PROVIDED"), f"{cpath}.maskMode", MASK_MODES)
    if "dilation" in config:
        real(config["dilation"], f"{cpath}.dilation", 0.0, 1.0)
    if "maskClasses" in config:
        if mode != "MASK_MODE_SEMANTIC":
            raise refuse(f"{cpath}.maskClasses", "maskClasses is only used with MASK_MODE_SEMANTIC")
        semantic_classes(config["maskClasses"], f"{cpath}.maskClasses")
    elif mode == "MASK_MODE_SEMANTIC":
        raise refuse(f"{cpath}.maskClasses", "MASK_MODE_SEMANTIC needs maskClasses")
    checked.mask_config = {**config, "maskMode": mode}
    user_mask = mode in ("MASK_MODE_USER_PROVIDED", "MASK_MODE_DEFAULT")
    if "referenceImage" in ref:
        if not user_mask:
            raise refuse(f"{path}.referenceImage", "a mask image is only used with MASK_MODE_USER_PROVIDED")
        checked.mask = decode(ref["referenceImage"], f"{path}.referenceImage", grey=True)
    elif mode == "MASK_MODE_USER_PROVIDED":
        raise refuse(f"{path}.referenceImage", "MASK_MODE_USER_PROVIDED needs a mask image")
