# ruff: noqa: F821 - run inside driver.py, whose helpers (load, call, pixels, check ...) it uses
"""Harmonize in a real GIMP 3, against the emulator: spliced into driver.py before its main() call by
test_gimp3_harmonize.py (it uses the driver's helpers: load, call, pixels, gray, composite, check ...).

A coffee cup cut out of its photo (an ellipse of transparency) is pasted on the rocket photo; a second
object is an opaque rectangle cut out by a layer mask. Harmonize must add, right above the object, a
group per variation holding the harmonized object (masked to the object's shape) over its shadow layer
(masked, nothing beyond the shadow's reach), and leave the object and the photo as they were.
"""

CUP_AT = (300, 230)
CUP_SIZE = (150, 120)
REACH = 48


def _ellipse_alpha(width, height):
    rx, ry = width / 2 - 2, height / 2 - 2
    cx, cy = width / 2 - 0.5, height / 2 - 0.5
    return bytes(
        255 if ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1 else 0 for y in range(height) for x in range(width)
    )


def _pasted_cup(image):
    """The cup (coffee.jpg at 225,140) as a new RGBA layer with an elliptic alpha, at CUP_AT, on top."""
    width, height = CUP_SIZE
    source = load_layer_source("coffee")
    rgba = bytearray(pixels(source, (225, 140, width, height)))
    rgba[3::4] = _ellipse_alpha(width, height)
    layer = Gimp.Layer.new(image, "Cup", width, height, Gimp.ImageType.RGBA_IMAGE, 100.0, Gimp.LayerMode.NORMAL)
    image.insert_layer(layer, None, 0)
    layer.get_buffer().set(Gegl.Rectangle.new(0, 0, width, height), RGBA, bytes(rgba))
    layer.set_offsets(*CUP_AT)
    return layer


def _check_group(s, image, group, number, visible, obj_rect, obj_alpha):
    """One variation's group: the harmonized object over its shadow, masks, nothing far away."""
    children = group.get_children()
    names = [c.get_name() for c in children]
    if not check(
        s,
        f"group {number}: object over shadow",
        len(children) == 2 and names[0].startswith("Harmonized object") and names[1].startswith("Shadow"),
        names,
    ):
        return
    check(s, f"group {number}: visible only if first", group.get_visible() == visible, group.get_visible())
    obj, shadow = children
    check(s, f"group {number}: both layers masked", obj.get_mask() is not None and shadow.get_mask() is not None)
    _ok, ox, oy = obj.get_offsets()
    box = (ox, oy, obj.get_width(), obj.get_height())
    inside = (
        ox >= obj_rect[0]
        and oy >= obj_rect[1]
        and ox + box[2] <= obj_rect[0] + obj_rect[2]
        and oy + box[3] <= obj_rect[1] + obj_rect[3]
    )
    check(s, f"group {number}: object layer over the object", inside, (box, obj_rect))
    if obj.get_mask() is not None and inside:
        width = obj_rect[2]
        expected = b"".join(
            obj_alpha[
                (y - obj_rect[1]) * width + ox - obj_rect[0] : (y - obj_rect[1]) * width + ox - obj_rect[0] + box[2]
            ]
            for y in range(oy, oy + box[3])
        )
        check(s, f"group {number}: object layer masked to the object's shape", gray(obj.get_mask()) == expected)
    if shadow.get_mask() is not None:
        around = (obj_rect[0] - REACH, obj_rect[1] - REACH, obj_rect[2] + 2 * REACH, obj_rect[3] + 2 * REACH)
        check(s, f"group {number}: shadow mask 0 beyond its reach", mask_zero_outside(shadow, around))
        check(s, f"group {number}: shadow mask marks a shadow", any(gray(shadow.get_mask())))
    data = parasite_json(obj) or {}
    check(
        s,
        f"group {number}: provenance",
        data.get("action") == "harmonize" and data.get("role") == "object" and data.get("backend") == "gemini",
        data,
    )
    check(s, f"group {number}: no magenta draft", draft_share(obj) < 0.001, draft_share(obj))


def scenario_harmonize():
    s = "harmonize"
    image = load("rocket")
    scene = image.get_layers()[0]
    cup = _pasted_cup(image)
    before = {"scene": pixels(scene), "cup": pixels(cup)}
    shown_before = composite(image)
    status, error, seconds = call(
        "harmonize",
        image,
        [cup],
        backend="auto",
        prompt="evening light",
        variations=2,
        seed=9,
        context=96,
        shadow=REACH,
    )
    REPORT["timings"]["harmonize"] = seconds
    if check(s, "succeeds", status == SUCCESS, error):
        names = [layer.get_name() for layer in image.get_layers()]
        top = image.get_layers()
        ok = len(top) == 4 and top[2] == cup and top[3] == scene and all(g.is_group() for g in top[:2])
        if check(s, "two groups right above the object", ok, names):
            check(
                s,
                "groups named by variation",
                top[0].get_name().startswith("Harmonize #1") and top[1].get_name().startswith("Harmonize #2"),
                names,
            )
            alpha = _ellipse_alpha(*CUP_SIZE)
            for number, group in enumerate(top[:2], 1):
                _check_group(s, image, group, number, number == 1, CUP_AT + CUP_SIZE, alpha)
        check(s, "object layer untouched", pixels(cup) == before["cup"] and cup.get_mask() is None)
        check(s, "scene layer untouched", pixels(scene) == before["scene"])
        around = (CUP_AT[0] - REACH, CUP_AT[1] - REACH, CUP_SIZE[0] + 2 * REACH, CUP_SIZE[1] + 2 * REACH)
        shown = composite(image)
        same, detail = outside_equal(shown_before, shown, image.get_width(), image.get_height(), around)
        check(s, "beyond the shadow's reach the picture is as it was", same, detail)
        check(s, "the object changed", shown != shown_before)
    image.delete()

    # an opaque layer cut out by a layer mask: the mask is the object's shape
    image = load("rocket")
    label = Gimp.Layer.new(image, "Label", 100, 80, Gimp.ImageType.RGBA_IMAGE, 100.0, Gimp.LayerMode.NORMAL)
    image.insert_layer(label, None, 0)
    label.get_buffer().set(Gegl.Rectangle.new(0, 0, 100, 80), RGBA, bytes([210, 60, 40, 255]) * 8000)
    label.set_offsets(60, 300)
    mask = label.create_mask(Gimp.AddMaskType.WHITE)
    label.add_mask(mask)
    ellipse = _ellipse_alpha(100, 80)
    mask.get_buffer().set(Gegl.Rectangle.new(0, 0, 100, 80), "Y u8", ellipse)
    before_mask = gray(mask)
    status, error, _seconds = call("harmonize", image, [label], backend="auto", seed=3, shadow=REACH)
    if check(s, "masked layer: succeeds", status == SUCCESS, error):
        top = image.get_layers()
        if check(
            s,
            "masked layer: a group above it",
            len(top) == 3 and top[0].is_group() and top[1] == label,
            [layer.get_name() for layer in top],
        ):
            _check_group(s, image, top[0], 3, True, (60, 300, 100, 80), ellipse)
        check(s, "masked layer: its mask untouched", gray(label.get_mask()) == before_mask)
    image.delete()


SCENARIOS["harmonize"] = scenario_harmonize
