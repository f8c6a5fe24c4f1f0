"""Refine Result and Run Again in a real GIMP 3 (appended to driver.py by test_gimp3_refine.py, which
runs it against the loopback emulator): the refined layer lands in the result's group, the image's own
layers stay as they were, Run Again makes a new group and restores the selection from the result's mask,
and after saving as .xcf, closing and reopening, Refine Result continues the same conversation.
Uses driver.py's helpers (call, check, load, pixels, gray, selection_of, parasite_json, snapshot)."""

XCF = "/tmp/imagen-refine-test.xcf"


def _own_layers(image):
    """The image's own layers (not added by an action): their names, offsets and pixels."""
    return [
        (layer.get_name(), list(layer.get_offsets()[1:]), digest(pixels(layer)))
        for layer in image.get_layers()
        if not layer.is_group()
    ]


def _mask_on_canvas(image, layer):
    """The layer's mask where the layer lies on the canvas, 0 elsewhere (as the selection channel reads)."""
    width = image.get_width()
    canvas = bytearray(width * image.get_height())
    mask, (x, y), w = gray(layer.get_mask()), layer.get_offsets()[1:], layer.get_width()
    for row in range(layer.get_height()):
        canvas[(y + row) * width + x : (y + row) * width + x + w] = mask[row * w : (row + 1) * w]
    return bytes(canvas)


def scenario_refine():
    s = "refine"
    image = load("cat")
    layer = image.get_layers()[0]
    image.select_ellipse(Gimp.ChannelOps.REPLACE, 160, 60, 100, 80)
    status, error, _seconds = call(
        "inpaint",
        image,
        [layer],
        backend="auto",
        prompt="a red knitted hat",
        variations=1,
        seed=5,
    )
    if not check(s, "inpaint: succeeds", status == SUCCESS, error):
        return
    own = _own_layers(image)
    group = image.get_layers()[0]
    (result,) = group.get_children()
    first = parasite_json(result) or {}
    check(
        s,
        "inpaint: the layer keeps its recipe (conversation, region)",
        first.get("conversation") and first.get("turn") == 1 and len(first.get("region") or []) == 4,
        first,
    )
    Gimp.Selection.none(image)  # noqa: F821 - Refine Result needs no selection: the layer's mask is it

    status, error, _seconds = call("refine", image, [result], prompt="make it dark blue")
    if check(s, "refine: succeeds", status == SUCCESS, error):
        children = group.get_children()
        check(
            s,
            "refine: the new layer lands in the result's group, above it",
            len(children) == 2 and children[1] == result,
            [c.get_name() for c in children],
        )
        refined = children[0]
        data = parasite_json(refined) or {}
        check(
            s,
            "refine: turn 2 of the same conversation, same region",
            data.get("turn") == 2
            and data.get("instruction") == "make it dark blue"
            and data.get("region") == first.get("region"),
            data,
        )
        check(
            s,
            "refine: masked like the result",
            refined.get_mask() is not None and list(refined.get_offsets()[1:]) == list(result.get_offsets()[1:]),
        )
        check(
            s,
            "refine: no other group or layer",
            len(image.get_layers()) == 2,
            [x.get_name() for x in image.get_layers()],
        )
    check(s, "refine: the image's own layers unchanged", _own_layers(image) == own)

    image.select_rectangle(Gimp.ChannelOps.REPLACE, 0, 0, 30, 30)  # noqa: F821 - another selection: replaced
    status, error, _seconds = call("run-again", image, [result], new_seed=True, feather=12)
    if check(s, "run again: succeeds", status == SUCCESS, error):
        got, wanted = selection_of(image), _mask_on_canvas(image, result)
        off = [abs(a - b) for a, b in zip(got, wanted, strict=True) if a != b] if len(got) == len(wanted) else [-1]
        corner = sum(got[y * image.get_width() + x] for y in range(30) for x in range(30))
        check(
            s,
            "run again: the selection is the result's mask, where the result lies",
            got == wanted,
            f"{len(off)} pixels differ, by up to {max(off or [0])}; selected {sum(got)} of "
            f"{sum(wanted)}; in the old 30x30 box {corner}",
        )
        groups = [g for g in image.get_layers() if g.is_group()]
        again = groups[1].get_children() if len(groups) == 2 and groups[0] == group else []
        data = parasite_json(again[0]) if again else {}
        check(
            s,
            "run again: a new group right above the photo, the recipe with a new seed",
            len(again) == 1
            and data.get("prompt") == "a red knitted hat"
            and data.get("seed") != 5
            and data.get("turn") == 1
            and image.get_item_position(groups[1]) + 1 == image.get_item_position(layer),
            data,
        )
        parameters = data.get("parameters") or {}
        check(
            s,
            "run again: the changed feather over the mask's core, the rest as the recipe",
            parameters.get("feather") == 12 and parameters.get("grow") == 0 and parameters.get("context") == 64,
            parameters,
        )
        wider = again and sum(gray(again[0].get_mask())) > sum(gray(result.get_mask()))
        check(s, "run again: the new layer's soft edge reaches further", bool(wider))
    check(s, "run again: the image's own layers unchanged", _own_layers(image) == own)

    Gimp.file_save(NONINTERACTIVE, image, Gio.File.new_for_path(XCF), None)
    image.delete()
    image = Gimp.file_load(NONINTERACTIVE, Gio.File.new_for_path(XCF))
    groups = [g for g in image.get_layers() if g.is_group()]  # the refined result's group is on top
    refined = groups[0].get_children()[0] if groups else None
    data = parasite_json(refined) if refined is not None else None
    check(s, "reopened: the refined layer keeps its recipe", data and data.get("turn") == 2, data)
    own = _own_layers(image)
    third = {}
    status, error, _seconds = call("refine", image, [refined], prompt="a little smaller")
    if check(s, "reopened: refine succeeds", status == SUCCESS, error):
        children = groups[0].get_children()
        third.update(parasite_json(children[0]) or {})
        check(
            s,
            "reopened: the conversation continues (turn 3)",
            len(children) == 3 and third.get("turn") == 3 and third.get("instruction") == "a little smaller",
            third,
        )
    check(s, "reopened: the image's own layers unchanged", _own_layers(image) == own)

    newest = groups[0].get_children()[0] if groups else None
    status, error, _seconds = call("refine", image, [newest], prompt="in green", afresh=True)
    if check(s, "afresh: succeeds", status == SUCCESS, error):
        children = groups[0].get_children()
        data = parasite_json(children[0]) or {}
        check(
            s,
            "afresh: a new conversation in the same group",
            len(children) == 4
            and data.get("turn") == 1
            and data.get("instruction") == "in green"
            and data.get("conversation") != third.get("conversation"),
            data,
        )
    check(s, "afresh: the image's own layers unchanged", _own_layers(image) == own)
    image.delete()


SCENARIOS["refine"] = scenario_refine
