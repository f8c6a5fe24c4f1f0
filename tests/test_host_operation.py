"""The PDB procedures and dialog values (hosts/procedures.py) -> the job's operation (hosts/operation.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from host_support import values_for

from plugin import actions, errors, ops
from plugin.hosts import operation as host_op  # the dialog values -> operation
from plugin.hosts import procedures

REPO = Path(__file__).resolve().parents[1]


# -- parameter table ------------------------------------------------------------------------------


@pytest.mark.parametrize("action", sorted(procedures.PROCEDURE_BY_ACTION))
def test_every_operation_field_is_exposed_or_fixed(action):
    proc = procedures.PROCEDURE_BY_ACTION[action]
    exposed = {procedures.field_name(p.name) for p in proc.params if not p.host_only}
    fixed = set(actions.BY_NAME[action].fixed)
    assert exposed | fixed == set(ops.field_names(action))


@pytest.mark.parametrize("action", sorted(procedures.PROCEDURE_BY_ACTION))
def test_defaults_build_a_valid_operation_where_no_text_is_required(action):
    values = values_for(action, prompt="a red kite", question="", classes="car")
    if action == "outpaint":
        values["expand-mode"] = "aspect"
    operation = host_op.build_operation(action, values, canvas_size=(400, 300))
    op = ops.from_dict(operation)  # the worker's validation accepts what the host sends
    assert op.action == action


def test_defaults_match_the_dataclasses():
    for proc in procedures.PROCEDURES:
        cls = ops.OPERATIONS[proc.action]
        for param in proc.params:
            field = procedures.field_name(param.name)
            if param.host_only or field not in cls.__dataclass_fields__ or param.name == "seed":
                continue
            default = cls.__dataclass_fields__[field].default
            value = procedures.choice_value(param, param.default) if param.kind == "choice" else param.default
            if param.kind == "names":
                value = tuple(host_op.split_names(value))
            assert value == default, (proc.action, field)


def test_choice_nicks_are_gimp_identifiers():
    for proc in procedures.PROCEDURES:
        for param in proc.params:
            if param.kind == "choice":
                for nick, _value, _label in param.extra:
                    assert nick[0].isalpha() and all(c.isalnum() or c == "-" for c in nick), nick


def test_procedure_names_and_menu():
    assert [p.name for p in procedures.PROCEDURES] == [
        "python-fu-imagen-" + n
        for n in (
            "generate",
            "inpaint",
            "remove",
            "expand",
            "background",
            "edit",
            "upscale",
            "describe",
            "customize",
            "harmonize",
            "refine",
            "run-again",
            "subject",
        )
    ]
    assert procedures.MENU_PATH == "<Image>/Filters/Imagen"


# -- values -> operation --------------------------------------------------------------------------


def test_seed_zero_means_random_and_choices_become_values():
    op = host_op.build_operation("generate", values_for("generate", prompt="x", seed=0, aspect_ratio="landscape-16-9"))
    assert op["seed"] is None and op["aspect_ratio"] == "16:9" and "into_image" not in op
    op = host_op.build_operation("upscale", values_for("upscale", factor="x4"))
    assert op == {
        "action": "upscale",
        "factor": 4,
        "backend": "auto",
        "model": "",
        "tier": "standard",
        "max_size": "auto",
        "offline_model": "waifu2x",
        "variations": 1,
        "seed": None,
    }
    op = host_op.build_operation("insert", values_for("insert", prompt="x", tier="quality", max_size="size-2k"))
    assert (op["tier"], op["max_size"]) == ("quality", "2K")
    assert host_op.build_operation("insert", values_for("insert", prompt="x", backend="vertex"))["backend"] == "imagen"


def test_expand_to_an_aspect_ratio_with_an_anchor():
    op = host_op.build_operation(
        "outpaint",
        values_for("outpaint", expand_mode="aspect", aspect_ratio="landscape-16-9", anchor="left"),
        canvas_size=(451, 300),
    )
    assert (op["left"], op["top"], op["bottom"]) == (0, 0, 0)
    assert op["right"] == 534 - 451


def test_expand_by_margins_and_when_already_at_the_ratio():
    op = host_op.build_operation("outpaint", values_for("outpaint", expand_mode="margins", left=10, bottom=5))
    assert (op["left"], op["top"], op["right"], op["bottom"]) == (10, 0, 0, 5)
    with pytest.raises(errors.HostError, match="already has the aspect ratio"):
        host_op.build_operation("outpaint", values_for("outpaint", aspect_ratio="square"), canvas_size=(300, 300))


def test_generate_from_references_builds_its_operation():
    op = host_op.build_operation(
        "customize",
        values_for(
            "customize",
            prompt="a mug on a beach",
            reference_layers=" Mug photo,, sketch \n Mug photo",
            kind="style",
            subject_type="product",
            aspect_ratio="portrait-9-16",
            into_image=True,
        ),
    )
    assert op["reference_layers"] == ["Mug photo", "sketch"] and op["kind"] == "style"
    assert op["aspect_ratio"] == "9:16" and op["subject_type"] == "product" and "into_image" not in op


def test_unknown_choice_is_a_host_error():
    with pytest.raises(errors.HostError, match="backend"):
        host_op.build_operation("remove", values_for("remove", backend="cloud9"))


@pytest.mark.parametrize("proc", procedures.PROCEDURES, ids=lambda p: p.action)
def test_dialog_mnemonics_are_unique(proc):
    """GIMP warns about duplicate mnemonics; _Reset, _Cancel, _OK, _Help, _Save and _Load are its own.
    It also warns about a field without one ("no mnemonic for property"), in 3.0 and 3.2."""
    taken = {"r", "c", "o", "h", "s", "l"}
    for param in proc.params:
        assert "_" in param.label[:-1], (param.name, param.label)
        key = param.label[param.label.index("_") + 1].lower()
        assert key not in taken, (param.name, key)
        taken.add(key)
