"""The parameter table (plugin/params.py) is the one source of each parameter's range, choices and default:
the operations check exactly what it declares, and GIMP 2.10's and GIMP 3's PDB arguments and the command
line offer exactly its choices and ranges."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from plugin import cli, ops, ops_base, params
from plugin.hosts import procedures

REPO = Path(__file__).resolve().parents[1]
RECIPE = {"action": "insert", "prompt": "a red car", "model": "gemini-3.1-flash-image"}
VALID = {  # per action, the fewest values that make a valid operation (the rest: defaults)
    "generate": {"prompt": "a lighthouse"},
    "insert": {"prompt": "a red car"},
    "outpaint": {"left": 10, "top": 10},
    "background": {"image_path": "behind.png", "prompt": "a beach"},
    "edit": {"prompt": "make it autumn"},
    "customize": {"prompt": "the mug on a table"},
    "refine": {"prompt": "darker", "recipe": RECIPE},
    "again": {"recipe": RECIPE},
    "auto_mask": {"prompt": "a cat", "classes": "car"},
}
WITHOUT_PARAMETER = {("refine", "recipe"), ("again", "recipe")}
"""Operation fields the table does not declare: a result's recipe comes from its layer, never a dialog."""
OWN_DEFAULT = {("subject", "backend"), ("auto_mask", "dilation")}
"""Select Subject runs on the local engine only; dilation's -1.0 is a float beside the table's -1.0."""


def make(action: str, **values):
    return ops.from_dict({"action": action, **VALID.get(action, {}), **values})


def table_fields():
    """(action, field, parameter) for every field of every operation; parameter None where the table has none."""
    for action, cls in ops.OPERATIONS.items():
        for field in dataclasses.fields(cls):
            yield action, field, ops_base.param_for(action, field.name)


def test_every_operation_field_has_its_parameter_in_the_table():
    missing = {(action, field.name) for action, field, param in table_fields() if param is None}
    assert missing == WITHOUT_PARAMETER
    for action, field, param in table_fields():
        if param is None or (action, field.name) in OWN_DEFAULT or field.default is dataclasses.MISSING:
            continue
        if field.name == "seed":  # None = random; GIMP's 0 means the same
            assert field.default is None and param.default == 0
            continue
        wanted = params.default_value(param)
        if param.kind == "names":
            wanted = tuple(name for name in wanted.split(",") if name)
        assert field.default == wanted, (action, field.name)


@pytest.mark.parametrize("action", sorted(ops.OPERATIONS))
def test_every_operation_checks_the_tables_ranges_and_choices(action):
    """Each whole-number field takes exactly its parameter's range, each choice field exactly its values."""
    make(action)  # the valid base
    for field in dataclasses.fields(ops.OPERATIONS[action]):
        param = ops_base.param_for(action, field.name)
        if param is None:
            continue
        if param.kind == "int":
            low, high = param.extra
            assert getattr(make(action, **{field.name: low}), field.name) == low
            assert getattr(make(action, **{field.name: high}), field.name) == high
            for wrong in (low - 1, high + 1):
                with pytest.raises(ops.OperationError, match=f"^{field.name}: .*give {low} to {high}"):
                    make(action, **{field.name: wrong})
        elif param.kind == "choice":
            allowed = params.choice_values(param)
            if (action, field.name) != ("subject", "backend"):  # local only (its own check, below)
                for value in allowed:
                    assert getattr(make(action, **{field.name: value}), field.name) == value
            with pytest.raises(
                ops.OperationError, match=f"^{field.name}: .*choose one of {', '.join(map(str, allowed))}$"
            ):
                make(action, **{field.name: "no-such-choice"})
        elif param.kind == "bool":
            with pytest.raises(ops.OperationError, match=f"^{field.name}: .*not true or false"):
                make(action, **{field.name: "yes"})
        elif param.kind in ("text", "string"):
            wrong = "is not a model ID" if field.name == "model" else "is not text"
            with pytest.raises(ops.OperationError, match=f"^{field.name}: 7 {wrong}"):
                make(action, **{field.name: 7})
            with pytest.raises(ops.OperationError, match=f"^{field.name}: is 4001 characters"):
                make(action, **{field.name: "x" * 4001})
    if action == "subject":
        with pytest.raises(ops.OperationError, match="local engine only"):
            make(action, backend="gemini")


def test_all_fourteen_shapes_and_the_512_size_are_offered():
    """Gemini 3.1 Flash Image takes 14 aspect ratios and a 512 size (plugin/models.toml); every side offers them."""
    from plugin import catalogue

    flash = catalogue.load().get("gemini-3.1-flash-image", "image")
    assert set(ops.ASPECT_RATIOS) == set(flash.aspect_ratios) and len(ops.ASPECT_RATIOS) == 14
    assert set(ops.MAX_SIZES) == {"auto", *flash.sizes}
    for model in catalogue.load().models.values():  # no model offers a shape or size the table lacks
        assert set(model.aspect_ratios) <= set(ops.ASPECT_RATIOS), model.id
        assert set(model.sizes) <= set(ops.MAX_SIZES), model.id
    # added choices come last: GIMP 2.10 hands a choice over as its number, which scripts keep
    assert [nick for nick, _v, _l in params.SIZE_CHOICES][:4] == ["auto", "size-1k", "size-2k", "size-4k"]
    assert [value for _n, value, _l in params.ASPECT_CHOICES][:10] == list(ops.ASPECT_RATIOS[:10])


def test_the_command_line_offers_the_tables_choices_and_ranges(tmp_path, monkeypatch):
    settings = tmp_path / "config.toml"
    settings.write_text("[imagen]\nenabled = true\n")  # every choice offered (tests/test_imagen_menus.py: not)
    monkeypatch.setenv("IMAGEN_GIMP_CONFIG", str(settings))
    parser = cli.build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices
    seen = 0
    for action, field, param in table_fields():
        if action not in commands or param is None or field.name in cli.HOST_ONLY or action in cli.RECIPE_ACTIONS:
            continue
        option = next(a for a in commands[action]._actions if a.dest == field.name)
        if param.kind == "choice":
            extra = tuple(params.CHOICE_ALIASES) if field.name == "backend" else ()
            assert tuple(option.choices) == params.choice_values(param) + extra, (action, field.name)
        else:
            assert option.choices is None
        if field.name != "seed":  # the command line's seed: none = random (cli.CLI_HELP)
            assert option.help.replace("%%", "%") == params.help_text(param), (action, field.name)
            seen += 1
        if param.kind == "int" and field.name != "seed":
            assert f"({param.extra[0]} to {param.extra[1]})" in option.help
    assert seen > 60
    refine = {option.dest: option for option in commands["refine"]._actions}  # the recipe's changes (cli_refine)
    assert refine["tier"].choices == params.choice_values(params.TIER)
    assert refine["variations"].help.startswith(params.help_text(params.VARIATIONS))


def test_gimp2_pdb_arguments_offer_the_tables_choices_and_ranges(tmp_path, monkeypatch):
    settings = tmp_path / "config.toml"
    settings.write_text("[imagen]\nenabled = true\n")  # every choice offered (tests/test_imagen_menus.py: not)
    monkeypatch.setenv("IMAGEN_GIMP_CONFIG", str(settings))
    sys.path.insert(0, str(REPO / "tests" / "gimpfu_stub"))
    try:
        import gimpfu

        from plugin.hosts import gimp2_arguments
    finally:
        sys.path.remove(str(REPO / "tests" / "gimpfu_stub"))
    for spec in procedures.PROCEDURES:
        for param in spec.params:
            pf = gimp2_arguments.pf_param(param)
            assert pf[1] == param.name
            if param.kind == "choice":
                assert pf[0] == gimpfu.PF_OPTION and pf[4] == tuple(label for _n, _v, label in param.extra)
                for index, (nick, _value, _label) in enumerate(param.extra):
                    assert gimp2_arguments.plain_value(param, index) == nick
            elif param.kind == "int":
                assert pf[0] == gimpfu.PF_SPINNER and pf[4][:2] == param.extra


GIMP3_ARGUMENTS = """
import json
from plugin.hosts import gimp3_arguments, procedures

class Choice:
    def __init__(self):
        self.items = []
    def add(self, nick, index, label, help):
        self.items.append([nick, index, label])

class Proc:
    def __init__(self):
        self.args = {}
    def add_choice_argument(self, name, label, blurb, choice, default, flags):
        self.args[name] = ["choice", choice.items, default, blurb]
    def add_int_argument(self, name, label, blurb, low, high, default, flags):
        self.args[name] = ["int", [low, high], default, blurb]
    def __getattr__(self, method):
        return lambda name, *rest: self.args.__setitem__(name, [method])

gimp3_arguments.Gimp.Choice.new = Choice
out = {}
for spec in procedures.PROCEDURES:
    proc = Proc()
    for param in spec.params:
        gimp3_arguments.add_argument(proc, param)
    out[spec.name] = proc.args
print(json.dumps(out))
"""


def test_gimp3_pdb_arguments_offer_the_tables_choices_and_ranges():
    """GIMP 3's arguments as gimp3_arguments declares them (through a recording Gimp.Procedure, under the gi
    stub: GIMP's own run is tests/gimp3); the dialogs are GIMP's ProcedureDialog over these arguments."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "tests" / "gi_stub"), str(REPO)]))
    done = subprocess.run([sys.executable, "-c", GIMP3_ARGUMENTS], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    declared = json.loads(done.stdout)
    for spec in procedures.PROCEDURES:
        for param in spec.params:
            argument = declared[spec.name][param.name]
            if param.kind == "choice":
                assert argument[0] == "choice" and argument[2] == param.default
                assert argument[1] == [[nick, i, label] for i, (nick, _v, label) in enumerate(param.extra)]
            elif param.kind == "int":
                assert argument[:3] == ["int", list(param.extra), param.default]
