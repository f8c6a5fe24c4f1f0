"""One call, the controller both GIMPs run: read through the host, make the job folder, run the worker, plan
the layers, paste them through the host's writer, report.

The host is a plugin/hosts/interface.py Host (Gimp3Host, Gimp2Host, the tests' fake): this module
never calls GIMP. GIMP's Python (2.7 for GIMP 2.10): standard library only, 2.7 syntax.
"""

from __future__ import absolute_import

from plugin import actions, geometry, params, regions
from plugin.errors import BugReported, HostError
from plugin.hosts import paste_exec, paste_plan
from plugin.hosts.operation import build_operation, split_names
from plugin.hosts.procedures import PROCEDURE_BY_ACTION
from plugin.link import jobfiles, jobs, warm_client, worker_client

MAX_REFERENCES = params.MAX_REFERENCES
"""A subject takes up to 4 reference layers; a style, scribble or edge reference is one layer."""


def run_call(action, values, host, repo, clock=None):
    # type: (str, dict, object, str, object) -> object
    """One procedure call, the same in both GIMPs: run_job, then the text result shown and the paste plan
    applied through host.writer() (hosts/paste_exec.py); the job folder removed either way. Returns the
    image holding the result (a new one for the new-image actions). clock (GIMP 3's timing.Stages), if
    given, times each stage and reports them."""
    title = actions.title(action)
    mark = clock.mark if clock is not None else None
    if mark:
        mark("start")
    paste, folder = run_job(action, values, host, repo, mark)
    try:
        if paste.target == "text":
            host.message(paste_plan.describe_text(title, paste.texts))
        beside = host.result_layer if paste.target == "into-group" else host.layer
        image = paste_exec.apply(host.writer(), paste, values, beside)
        if mark:
            mark("paste")
    finally:
        jobs.remove_job(folder)
    if clock is not None:
        clock.report(title)
    return image


def source_layers(action, layer, under):
    # type: (str, object, object) -> tuple
    """(the layer the action reads, the result layer) from the layer the call was given: Refine Result and
    Run Again are given a result, and read what it was made from, `under(layer)` (itself if nothing is)."""
    if layer is None or actions.BY_NAME[action].reads != "recipe":
        return layer, None
    return under(layer) or layer, layer


def run_job(action, values, host, repo, mark=None):
    # type: (str, dict, object, str, object) -> tuple
    """Everything of one call up to the paste: read through `host`, run the worker, plan the layers.

    `host` is a Host (plugin/hosts/interface.py). mark(stage), if given, is called after each stage
    (timings). Returns (PastePlan, job folder); the caller removes the folder after pasting. Raises
    HostError when the call cannot go on, BugReported when the worker failed by no fault of the
    user's; either way nothing in the image was touched.
    """
    mark = mark or (lambda stage: None)
    title = actions.title(action)
    size = host.canvas_size()
    operation = build_operation(action, values, size)
    host.progress(None, u"%s: reading the picture" % title)
    python = worker_client.worker_python(repo)
    plan = regions.InputPlan(None, False, False, False)
    pixels = selection = None
    layer_rect = host.layer_rect()
    if actions.BY_NAME[action].reads == "recipe":
        plan, pixels, selection = read_recipe_input(action, operation, host)
    elif layer_rect is not None:
        plan = regions.plan_input(action, operation, layer_rect, geometry.Rect(0, 0, size[0], size[1]),
                                  host.selection_bounds())
    rect = plan.rect or geometry.Rect(0, 0, 0, 0)
    if plan.read_pixels and pixels is None:
        pixels = host.read_pixels(rect, plan.transparent_outside)
        selection = host.read_selection(rect) if plan.read_selection else None
    references = read_references(action, operation, values, host)
    if actions.BY_NAME[action].reads == "object-and-scene":
        references = [(rect.width, rect.height, host.read_scene(rect))]
    mark("read")
    folder = jobs.make_job(operation, rect.width, rect.height, (rect.x, rect.y), pixels, selection, references)
    mark("job folder")
    try:
        host.progress(0.05, None)

        def on_progress(fraction, stage):
            # type: (float, str) -> bool
            host.progress(progress_fraction(fraction), u"%s: %s" % (title, stage) if stage else None)
            return True

        outcome = warm_client.run_worker(python, repo, folder, on_progress,
                                         worker_client.command_override(python, folder),
                                         mark=mark,
                                         note=lambda text: host.message(u"%s: %s" % (title, text)))
        mark("worker")
        error = worker_client.outcome_error(title, outcome)
        result = jobfiles.read_result(folder)
        if error and not worker_client.kept_after_error(outcome, result):
            raise (HostError if worker_client.users_to_fix(outcome) else BugReported)(error)
        where = regions.placement(action, plan, bool(values.get("into-image")))
        if plan.rect is not None and where.target in ("layers", "into-group"):
            for layer in result.get("layers", []):  # the recipe's region: Refine Result and Run Again read it
                layer.setdefault("provenance", {}).setdefault("region", list(rect))
        paste = paste_plan.plan_paste(action, operation, folder, result, where)
        if action == "again" and selection is not None and paste.target == "layers":  # what it was made over
            paste = paste_plan.with_selection(paste, folder, rect, selection)
        if error:
            paste.notes.append(worker_client.partial_note(outcome, result, operation))
    except Exception:
        jobs.remove_job(folder)
        raise
    host.progress(0.9, u"%s: adding the layers" % title)
    for note in paste.notes:
        host.message(u"%s: %s" % (title, note))
    return paste, folder


def read_recipe_input(action, operation, host):
    # type: (str, dict, object) -> tuple
    """Refine Result / Run Again: the result layer's recipe into the operation, and what its action read:
    the pixels under the result over the recipe's region (the layer's own extent for older results), the
    selection as the result layer's mask. Returns (InputPlan, pixels, selection)."""
    title = actions.title(action)
    recipe = host.read_recipe()
    if not recipe or recipe.get("action") not in actions.BY_NAME:
        raise HostError("%s works on a result layer that an Imagen action made (it keeps how it was made): "
                        "select one such layer in the Layers dialog." % title)
    region = recipe.get("region")
    rect = geometry.Rect(*[int(v) for v in region]) if region else host.layer_rect()
    recipe = dict(recipe, region=list(rect))
    # a new picture's result has nothing under it: its own pixels are what Start afresh edits
    pixels = host.read_pixels(rect, True)
    selection = host.read_layer_mask(rect)
    recipe["selection_is_mask"] = selection is not None  # grown and feathered already: blend as it is
    operation["recipe"] = recipe
    return regions.InputPlan(rect, True, selection is not None, True), pixels, selection


def read_references(action, operation, values, host):
    # type: (str, dict, dict, object) -> list
    """The reference layers' whole pixels as (width, height, RGBA); the worker scales them down.

    Also records the names in operation["reference_layers"], so the provenance says which layers
    guided the picture. Checks come first: a wrong name costs no reading.
    """
    if actions.BY_NAME[action].reads != "references":
        return []
    names = reference_names(operation.get("kind", "subject"), values.get("reference-layers"),
                            host.selected_layer_names(), host.layer_names())
    operation["reference_layers"] = names
    host.progress(None, u"%s: reading %s" % (actions.title(action), ", ".join(names)))
    return [host.read_layer(name) for name in names]


def reference_names(kind, typed, selected, available):
    # type: (str, object, list, list) -> list
    """The layers to use: those whose names are typed, else the layers selected in the Layers dialog.

    Typing names works the same in both GIMPs and in scripts; selecting (several with Ctrl in
    GIMP 3) needs no typing. HostError, before anything is read, for unknown names or too many.
    """
    title = actions.title("customize")
    names = split_names(typed, tuple(available))
    unknown = [name for name in names if name not in available]
    if unknown:
        shown = ", ".join("'%s'" % name for name in available[:12]) + (", ..." if len(available) > 12 else "")
        raise HostError("%s: the image has no layer called %s. Type the names as the Layers dialog shows "
                        "them, separated by commas (layers here: %s)." % (
                            title, " or ".join("'%s'" % name for name in unknown), shown))
    if not names:
        names = [name for index, name in enumerate(selected) if name not in selected[:index]]
    if not names:
        raise HostError("%s needs a reference: select the layer in the Layers dialog, or type layer names "
                        "under 'Reference layers'." % title)
    limit = MAX_REFERENCES if kind == "subject" else 1
    if len(names) > limit:
        what = "a subject takes at most %d layers" % limit if kind == "subject" else (
            "%s reference is one layer" % ("an edge" if kind == "canny" else "a " + kind))
        raise HostError("%s: %s, and %d were chosen (%s). Select fewer layers, or type fewer names." % (
            title, what, len(names), ", ".join(names)))
    return names


def check_target(action, has_image, one_layer, into_image=False):
    # type: (str, bool, bool, bool) -> None
    """HostError unless the call has what the action works on: an open image and exactly one layer."""
    title = actions.title(action)
    if PROCEDURE_BY_ACTION[action].needs_image:
        if not has_image:
            raise HostError("%s needs an open image." % title)
        if not one_layer and actions.BY_NAME[action].reads != "references":  # references: chosen by name
            raise HostError("%s works on one layer: select exactly one layer in the Layers dialog." % title)
    elif into_image and not has_image:
        raise HostError("Generate Image: 'Add to the current image' needs an open image.")


def progress_fraction(fraction):
    # type: (float) -> float
    """Worker progress mapped into the bar: 5% for reading, 85% for the worker, 10% for pasting."""
    return 0.05 + 0.85 * max(0.0, min(1.0, fraction))
