"""Run Again's dialog in a real GIMP 3 under Xvfb (appended to driver.py by test_gimp3_again_dialog.py): it
opens with the recipe's values, its read-only line says what will run and follows the widgets, and an
action without a selection edge greys grow and feather out. Uses driver.py's helpers (check, REPORT)."""

AGAIN_RECIPE = {
    "action": "insert",
    "prompt": "a red knitted hat",
    "seed": 123,
    "model": "gemini-3.1-flash-image",
    "backend": "gemini",
    "region": [10, 20, 60, 50],
    "parameters": {
        "negative_prompt": "blurry",
        "grow": 4,
        "feather": 8,
        "context": 64,
        "tier": "standard",
        "variations": 2,
    },
}


def scenario_again_dialog():
    s = "again-dialog"
    gi.require_version("GimpUi", "3.0")
    gi.require_version("Gtk", "3.0")
    from gi.repository import GimpUi, GObject

    if REPO not in sys.path:
        sys.path.insert(0, REPO)
    from plugin.hosts import procedures
    from ui import dialogs

    GimpUi.init("imagen-gimp-test")
    spec = procedures.PROCEDURE_BY_ACTION["again"]
    proc = Gimp.get_pdb().lookup_procedure(spec.name)
    config = proc.create_config()
    dialogs.prefill_again(config, spec, AGAIN_RECIPE)
    dialog, lines = dialogs.build_dialog(proc, config, spec, None, AGAIN_RECIPE)
    opened = {
        name: config.get_property(name)
        for name in ("prompt", "negative-prompt", "grow", "feather", "variations", "new-seed", "new-tier")
    }
    check(
        s,
        "opens with the recipe's values",
        opened
        == {
            "prompt": "a red knitted hat",
            "negative-prompt": "blurry",
            "grow": 4,
            "feather": 8,
            "variations": 2,
            "new-seed": True,
            "new-tier": "recipe",
        },
        opened,
    )
    line = lines.summary.label.get_text()
    REPORT["dialog"]["again"] = line
    check(
        s,
        "the line says what will run",
        line.startswith("Runs: Inpaint on gemini-3.1-flash-image")
        and "new seeds, 2 variations, over the result's mask" in line,
        line,
    )
    dialog.get_widget("new-seed", GObject.TYPE_NONE).set_active(False)
    dialog.get_widget("new-tier", GObject.TYPE_NONE).get_widget().set_active("quality")
    dialog.get_widget("grow", GObject.TYPE_NONE).set_value(10)
    changed = lines.summary.label.get_text()
    REPORT["dialog"]["again changed"] = changed
    check(
        s,
        "the line follows the widgets",
        "seed 123" in changed and "grown 10 px, feathered 8 px" in changed and "gemini-3.1-flash-image" not in changed,
        changed,
    )
    check(s, "grow and feather can be changed", dialog.get_widget("grow", GObject.TYPE_NONE).get_sensitive())
    lines.close()
    dialog.destroy()
    check(s, "close() disconnects both lines", lines.handlers == [], lines.handlers)

    edit = {
        "action": "edit",
        "prompt": "snow",
        "seed": 5,
        "model": "gemini-3.1-flash-image",
        "backend": "gemini",
        "region": [0, 0, 9, 9],
        "parameters": {"negative_prompt": ""},
    }
    config = proc.create_config()
    dialogs.prefill_again(config, spec, edit)
    dialog, lines = dialogs.build_dialog(proc, config, spec, None, edit)
    check(
        s,
        "no edge: grow and feather greyed out, 'as the result'",
        not dialog.get_widget("feather", GObject.TYPE_NONE).get_sensitive() and config.get_property("grow") == -1,
    )
    check(
        s,
        "no edge: the line names the region",
        "over the result's region" in lines.summary.label.get_text(),
        lines.summary.label.get_text(),
    )
    lines.close()
    dialog.destroy()


SCENARIOS["again-dialog"] = scenario_again_dialog
