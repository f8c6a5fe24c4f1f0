"""Runs inside gimp-console-3.0 (python-fu-eval): calls the Imagen procedures and records checks.

The pytest side (test_gimp3.py) execs this file with CONFIG = {"report": path, "scenarios": [...]}
(plus what a scenario needs, such as the cancel scenario's "held") defined first, then reads the
JSON report. Each check is {"scenario", "name", "ok", "detail"};
doing all of them in one GIMP start keeps the suite fast.
"""

import hashlib
import json
import os
import shutil
import signal
import sys
import threading
import time
import traceback

import gi

gi.require_version("Gimp", "3.0")
gi.require_version("Gegl", "0.4")
from gi.repository import Gegl, Gimp, Gio  # noqa: E402

REPO = "/opt/imagen-gimp"
DATA = REPO + "/tests/data"
PREFIX = "python-fu-imagen-"
RGBA = "R'G'B'A u8"
REPORT = {"checks": [], "timings": {}, "errors": [], "references": {}, "cancel": {}, "dialog": {}, "warm": {}}
OPTIONS = {}  # the CONFIG of this run (main() sets it): paths the pytest side shares
NONINTERACTIVE = Gimp.RunMode.NONINTERACTIVE
SUCCESS = Gimp.PDBStatusType.SUCCESS


def check(scenario, name, ok, detail=""):
    REPORT["checks"].append({"scenario": scenario, "name": name, "ok": bool(ok), "detail": str(detail)[:2000]})
    return ok


# -- GIMP helpers ---------------------------------------------------------------------------------


def load(name):
    return Gimp.file_load(NONINTERACTIVE, Gio.File.new_for_path(os.path.join(DATA, name + ".jpg")))


def call(name, image, drawables, run_mode=NONINTERACTIVE, **properties):
    """Run a procedure; returns (status, error text or return value, seconds)."""
    proc = Gimp.get_pdb().lookup_procedure(PREFIX + name)
    config = proc.create_config()
    config.set_property("run-mode", run_mode)
    config.set_property("image", image)
    if drawables:
        config.set_core_object_array("drawables", drawables)
    for key, value in properties.items():
        config.set_property(key.replace("_", "-"), value)
    started = time.time()
    result = proc.run(config)
    seconds = time.time() - started
    status = result.index(0)
    second = result.index(1) if result.length() > 1 else None
    return status, second, seconds


def pixels(drawable, rect=None):
    if rect is None:
        rect = (0, 0, drawable.get_width(), drawable.get_height())
    return drawable.get_buffer().get(Gegl.Rectangle.new(*rect), 1.0, RGBA, Gegl.AbyssPolicy.NONE)


def gray(drawable):
    area = Gegl.Rectangle.new(0, 0, drawable.get_width(), drawable.get_height())
    return drawable.get_buffer().get(area, 1.0, "Y u8", Gegl.AbyssPolicy.NONE)


def digest(data):
    return hashlib.sha1(data).hexdigest()


def walk(layers):
    for layer in layers:
        yield layer
        if layer.is_group():
            yield from walk(layer.get_children())


def snapshot(image):
    """Everything a failed call must leave alone: size, layers, their pixels, masks, parasites."""
    layers = []
    for layer in walk(image.get_layers()):
        mask = layer.get_mask()
        layers.append(
            {
                "name": layer.get_name(),
                "offsets": list(layer.get_offsets()[1:]),
                "size": [layer.get_width(), layer.get_height()],
                "visible": layer.get_visible(),
                "pixels": None if layer.is_group() else digest(pixels(layer)),
                "mask": digest(gray(mask)) if mask else None,
                "parasites": sorted(layer.get_parasite_list()),
            }
        )
    return {
        "size": [image.get_width(), image.get_height()],
        "layers": layers,
        "parasites": sorted(image.get_parasite_list()),
    }


def composite(image):
    """The image as shown (all visible layers), as RGBA bytes of the canvas."""
    copy = image.duplicate()
    flat = copy.flatten()
    data = pixels(flat)
    copy.delete()
    return data


def outside_equal(before, after, width, height, rect):
    """Are the pixels outside rect (x, y, w, h) identical in two canvas-sized RGBA byte strings?"""
    x0, y0 = max(0, rect[0]), max(0, rect[1])
    x1, y1 = min(width, rect[0] + rect[2]), min(height, rect[1] + rect[3])
    stride = width * 4
    for y in range(height):
        row = slice(y * stride, (y + 1) * stride)
        if y < y0 or y >= y1:
            if before[row] != after[row]:
                return False, f"row {y} differs"
        else:
            start = y * stride
            if before[start : start + x0 * 4] != after[start : start + x0 * 4]:
                return False, f"row {y} left of the selection differs"
            if before[start + x1 * 4 : start + stride] != after[start + x1 * 4 : start + stride]:
                return False, f"row {y} right of the selection differs"
    return True, ""


def parasite_json(layer):
    parasite = layer.get_parasite("imagen-gimp-provenance")
    if parasite is None:
        return None
    return json.loads(bytes(parasite.get_data()).decode("utf-8"))


def new_group(image, before_count):
    layers = image.get_layers()
    if len(layers) != before_count + 1:
        return None
    groups = [layer for layer in layers if layer.is_group()]
    return groups[0] if groups else None


def mask_zero_outside(layer, rect):
    """Is the layer's mask 0 everywhere outside rect (image coordinates)?"""
    mask = layer.get_mask()
    data = gray(mask)
    _ok, ox, oy = layer.get_offsets()
    width, height = layer.get_width(), layer.get_height()
    for y in range(height):
        for x_start, x_end in ((0, width),):
            row = data[y * width : (y + 1) * width]
            iy = y + oy
            if rect[1] <= iy < rect[1] + rect[3]:
                left = max(0, min(width, rect[0] - ox))
                right = max(0, min(width, rect[0] + rect[2] - ox))
                if any(row[:left]) or any(row[right:]):
                    return False
            elif any(row[x_start:x_end]):
                return False
    return True


def fails_cleanly(scenario, name, image, drawables, expect_text, **properties):
    """A call that must fail, show a message, and leave the image exactly as it was."""
    before = snapshot(image)
    images_before = len(Gimp.get_images())
    status, error, seconds = call(name, image, drawables, **properties)
    check(scenario, "fails with an error status", status != SUCCESS, status)
    text = error if isinstance(error, str) else ""
    check(scenario, f"message says {expect_text!r}", expect_text.lower() in text.lower(), text)
    check(scenario, "image left exactly as it was", snapshot(image) == before, json.dumps(snapshot(image))[:600])
    check(scenario, "no new image", len(Gimp.get_images()) == images_before, len(Gimp.get_images()))
    return seconds


# -- scenarios ------------------------------------------------------------------------------------


def scenario_registration():
    s = "registration"
    pdb = Gimp.get_pdb()
    for action in ("auto-mask", "verify"):  # Imagen's extras left with Imagen
        check(s, f"{action} is gone", pdb.lookup_procedure(PREFIX + action) is None)
    setup = pdb.lookup_procedure(PREFIX + "check-setup")
    check(
        s,
        "check-setup registered under Filters/Imagen",
        setup is not None and "<Image>/Filters/Imagen" in list(setup.get_menu_paths()),
    )
    for action in ("generate", "inpaint", "remove", "expand", "background", "edit", "upscale", "describe", "customize"):
        proc = pdb.lookup_procedure(PREFIX + action)
        if not check(s, f"{action} registered", proc is not None):
            continue
        check(
            s,
            f"{action} under Filters/Imagen",
            "<Image>/Filters/Imagen" in list(proc.get_menu_paths()),
            list(proc.get_menu_paths()),
        )
        names = [arg.name for arg in proc.get_arguments()]
        check(s, f"{action} has backend and tier arguments", "backend" in names and "tier" in names, names)


def scenario_remove():
    """Remove Object on a photo: group, two variations, masks, parasites, untouched original."""
    s = "remove"
    image = load("cat")
    source = image.get_layers()[0]
    original = pixels(source)
    shown_before = composite(image)
    undo_before = image.undo_is_enabled()
    sel = (150, 90, 120, 100)
    image.select_ellipse(Gimp.ChannelOps.REPLACE, *sel)
    status, error, seconds = call(
        "remove", image, [source], backend="local", variations=2, seed=7, grow=4, feather=8, context=48
    )
    REPORT["timings"]["remove"] = seconds
    if not check(s, "succeeds", status == SUCCESS, error):
        image.delete()
        return
    group = new_group(image, 1)
    if not check(s, "one group added", group is not None, [layer.get_name() for layer in image.get_layers()]):
        image.delete()
        return
    check(s, "group is above the source", image.get_layers()[0] == group)
    check(s, "group named after the action", group.get_name().startswith("Remove Object"), group.get_name())
    children = group.get_children()
    check(s, "two variation layers", len(children) == 2, len(children))
    check(
        s,
        "first visible, rest hidden",
        [c.get_visible() for c in children] == [True, False],
        [c.get_visible() for c in children],
    )
    check(s, "seed in the layer names", all("seed" in c.get_name() for c in children), [c.get_name() for c in children])
    bleed = 4 + 8
    around = (sel[0] - bleed - 1, sel[1] - bleed - 1, sel[2] + 2 * bleed + 2, sel[3] + 2 * bleed + 2)
    for index, child in enumerate(children):
        _ok, ox, oy = child.get_offsets()
        inside = (
            ox >= around[0]
            and oy >= around[1]
            and ox + child.get_width() <= around[0] + around[2]
            and oy + child.get_height() <= around[1] + around[3]
        )
        check(
            s, f"layer {index} lies over the selection", inside, (ox, oy, child.get_width(), child.get_height(), around)
        )
        check(s, f"layer {index} has a mask", child.get_mask() is not None)
        if child.get_mask() is not None:
            check(s, f"layer {index} mask is 0 outside the grown selection", mask_zero_outside(child, around))
        data = parasite_json(child)
        check(
            s,
            f"layer {index} provenance parasite",
            data is not None
            and data.get("action") == "remove"
            and data.get("backend") == "local"
            and "seed" in data
            and "model" in data,
            data,
        )
        text = json.dumps(data or {}).lower()
        check(
            s,
            f"layer {index} parasite holds no secrets",
            not any(word in text for word in ("token", "password", "private_key")),
            text[:300],
        )
    check(s, "source layer pixels identical", pixels(source) == original)
    shown_after = composite(image)
    same, detail = outside_equal(shown_before, shown_after, image.get_width(), image.get_height(), around)
    check(s, "pixels outside the selection unchanged", same, detail)
    check(s, "pixels inside the selection changed", shown_before != shown_after)
    check(s, "undo state as before", image.undo_is_enabled() == undo_before)
    image.delete()


def scenario_offset_layer():
    """A layer offset partly off the canvas: the result lands at the right image coordinates."""
    s = "offset-layer"
    image = load("coffee")
    base = image.get_layers()[0]
    layer = Gimp.Layer.new_from_drawable(load_layer_source("cat"), image)
    image.insert_layer(layer, None, 0)
    layer.set_offsets(-120, 200)  # 451x300: sticks out left and bottom of the 600x400 canvas
    before_base = pixels(base)
    before_layer = pixels(layer)
    sel = (40, 260, 90, 80)  # on canvas, on the layer
    image.select_rectangle(Gimp.ChannelOps.REPLACE, *sel)
    status, error, _seconds = call(
        "remove", image, [layer], backend="local", variations=1, seed=3, grow=2, feather=4, context=40
    )
    if not check(s, "succeeds", status == SUCCESS, error):
        image.delete()
        return
    group = new_group(image, 2)
    check(s, "group added", group is not None)
    if group is not None:
        child = group.get_children()[0]
        _ok, ox, oy = child.get_offsets()
        layer_rect = (-120, 200, layer.get_width(), layer.get_height())
        check(
            s,
            "result within the layer",
            ox >= layer_rect[0]
            and oy >= layer_rect[1]
            and ox + child.get_width() <= layer_rect[0] + layer_rect[2]
            and oy + child.get_height() <= layer_rect[1] + layer_rect[3],
            (ox, oy, child.get_width()),
        )
        bleed = 6
        check(
            s,
            "result covers the selection",
            ox <= sel[0]
            and oy <= sel[1]
            and ox + child.get_width() >= sel[0] + sel[2]
            and oy + child.get_height() >= sel[1] + sel[3],
            (ox, oy, child.get_width(), child.get_height()),
        )
        grown = (sel[0] - bleed - 1, sel[1] - bleed - 1, sel[2] + 2 * bleed + 2, sel[3] + 2 * bleed + 2)
        check(s, "mask 0 outside the grown selection", mask_zero_outside(child, grown))
    check(s, "offset layer pixels identical", pixels(layer) == before_layer)
    check(s, "other layer pixels identical", pixels(base) == before_base)
    check(s, "offset layer not moved", list(layer.get_offsets()[1:]) == [-120, 200])
    image.delete()


_SOURCES = {}


def load_layer_source(name):
    if name not in _SOURCES:
        _SOURCES[name] = load(name)
    return _SOURCES[name].get_layers()[0]


def scenario_cloud_only():
    """Local backend on text-driven actions: a clear 'needs Vertex AI' error, image untouched."""
    s = "cloud-only"
    image = load("astronaut")
    layer = image.get_layers()[0]
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 100, 100, 120, 120)
    fails_cleanly(s + "/insert", "inpaint", image, [layer], "Vertex AI", backend="local", prompt="a red hat")
    fails_cleanly(s + "/edit", "edit", image, [layer], "Vertex AI", backend="local", prompt="make it night")
    fails_cleanly(s + "/generate", "generate", image, [layer], "Vertex AI", backend="local", prompt="a lighthouse")
    fails_cleanly(s + "/describe", "describe", image, [layer], "Vertex AI", backend="local")
    fails_cleanly(
        s + "/background-prompt",
        "background",
        image,
        [layer],
        "Vertex AI",
        backend="local",
        mode="prompt",
        prompt="a beach",
    )
    image.delete()


def scenario_invalid():
    """Bad parameters and missing selections fail with a message that says what to do."""
    s = "invalid"
    image = load("cat")
    layer = image.get_layers()[0]
    Gimp.Selection.none(image)
    fails_cleanly(s + "/remove-no-selection", "remove", image, [layer], "selection", backend="local")
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 10, 10, 50, 50)
    fails_cleanly(s + "/insert-empty-prompt", "inpaint", image, [layer], "prompt", backend="gemini", prompt="  ")
    fails_cleanly(
        s + "/expand-zero-margins", "expand", image, [layer], "margins", backend="local", expand_mode="margins"
    )
    image.delete()


def scenario_expand():
    """Expand Canvas by margins and to an aspect ratio: canvas grows, original moves, not repainted."""
    s = "expand"
    image = load("coffee")
    layer = image.get_layers()[0]
    original = pixels(layer)
    Gimp.Selection.none(image)
    status, error, seconds = call(
        "expand",
        image,
        [layer],
        backend="local",
        expand_mode="margins",
        left=40,
        top=0,
        right=60,
        bottom=30,
        seed=1,
        context=64,
    )
    REPORT["timings"]["expand"] = seconds
    if check(s, "margins: succeeds", status == SUCCESS, error):
        check(
            s,
            "margins: canvas size",
            [image.get_width(), image.get_height()] == [700, 430],
            [image.get_width(), image.get_height()],
        )
        check(
            s,
            "margins: original moved by left/top",
            list(layer.get_offsets()[1:]) == [40, 0],
            list(layer.get_offsets()[1:]),
        )
        check(s, "margins: original pixels identical", pixels(layer) == original)
        group = new_group(image, 1)
        if check(s, "margins: group added", group is not None):
            child = group.get_children()[0]
            _ok, ox, oy = child.get_offsets()
            right, bottom = ox + child.get_width(), oy + child.get_height()
            check(
                s,
                "margins: layer inside the new canvas",
                ox >= 0 and oy >= 0 and right <= 700 and bottom <= 430,
                (ox, oy, right, bottom),
            )
            check(
                s,
                "margins: layer reaches the new borders",
                ox == 0 and right == 700 and bottom == 430,
                (ox, oy, right, bottom),
            )
            check(s, "margins: parasite", (parasite_json(child) or {}).get("action") == "outpaint")
            flat = composite(image)
            inner = flat[(10 * 700 + 40 + 10) * 4 : (10 * 700 + 40 + 10) * 4 + 4]
            check(
                s,
                "margins: original area shows the original",
                inner == original[(10 * 600 + 10) * 4 : (10 * 600 + 10) * 4 + 4],
            )
    image.delete()

    image = load("cat")  # 451x300 -> 16:9 = 534x300, centred
    layer = image.get_layers()[0]
    original = pixels(layer)
    status, error, _seconds = call(
        "expand", image, [layer], backend="local", expand_mode="aspect", aspect_ratio="landscape-16-9", anchor="center"
    )
    if check(s, "aspect: succeeds", status == SUCCESS, error):
        width, height = image.get_width(), image.get_height()
        check(s, "aspect: 16:9 canvas", height == 300 and abs(width / height - 16 / 9) < 0.01, (width, height))
        left = layer.get_offsets()[1]
        check(s, "aspect: centred", abs(left - (width - 451 - left)) <= 1, (left, width))
        check(s, "aspect: original pixels identical", pixels(layer) == original)
    image.delete()


def scenario_background():
    s = "background"
    image = load("astronaut")
    layer = image.get_layers()[0]
    original = pixels(layer)
    image.select_ellipse(Gimp.ChannelOps.REPLACE, 120, 40, 280, 440)  # the astronaut: the subject
    status, error, _seconds = call("background", image, [layer], backend="local", mode="transparent")
    if check(s, "transparent: succeeds", status == SUCCESS, error):
        group = new_group(image, 1)
        if check(s, "group added", group is not None):
            child = group.get_children()[0]
            check(
                s,
                "result covers the layer",
                [child.get_width(), child.get_height()] == [512, 512] and list(child.get_offsets()[1:]) == [0, 0],
            )
            data = pixels(child)
            check(s, "some pixels made transparent", any(data[i] < 255 for i in range(3, len(data), 4 * 97)))
            check(s, "parasite", (parasite_json(child) or {}).get("action") == "background")
    check(s, "original pixels identical", pixels(layer) == original)
    image.delete()

    image = load("cat")  # no selection: the engine finds the subject itself
    layer = image.get_layers()[0]
    original = pixels(layer)
    status, error, _seconds = call("background", image, [layer], backend="local", mode="blur", blur_radius=12)
    if check(s, "no selection, blur: succeeds", status == SUCCESS, error):
        group = new_group(image, 1)
        check(
            s,
            "no selection: one layer over the whole layer",
            group is not None and [(c.get_width(), c.get_height()) for c in group.get_children()] == [(451, 300)],
        )
    check(s, "no selection: original pixels identical", pixels(layer) == original)
    image.delete()


def scenario_formats():
    """Grayscale and 16-bit images: read through babl, results pasted as layers of the image's kind."""
    s = "formats"
    for label, convert in (
        ("gray", lambda img: img.convert_grayscale()),
        ("16-bit", lambda img: img.convert_precision(Gimp.Precision.U16_NON_LINEAR)),
    ):
        image = load("cat")
        convert(image)
        layer = image.get_layers()[0]
        original = pixels(layer)
        image.select_rectangle(Gimp.ChannelOps.REPLACE, 200, 100, 40, 40)
        status, error, _seconds = call("remove", image, [layer], backend="local", context=32)
        if check(s, f"{label}: succeeds", status == SUCCESS, error):
            group = new_group(image, 1)
            check(s, f"{label}: a group with one layer", group is not None and len(group.get_children()) == 1)
        check(s, f"{label}: original pixels identical", pixels(layer) == original)
        image.delete()


def _synthetic_layer(image, kind, width, height, babl_format, bpp, offsets):
    """A layer whose pixels run through every value: byte c of pixel (x, y) is (x + 37 * c + 11 * y) % 256,
    alpha (the last byte, when there is one) y % 256, so every colour meets every alpha."""
    data = bytearray(width * height * bpp)
    for y in range(height):
        for x in range(width):
            start = (y * width + x) * bpp
            for c in range(bpp):
                data[start + c] = (x + 37 * c + 11 * y) % 256
            if bpp in (2, 4):
                data[start + bpp - 1] = y % 256
    layer = Gimp.Layer.new(image, f"synthetic {babl_format}", width, height, kind, 100.0, Gimp.LayerMode.NORMAL)
    image.insert_layer(layer, None, 0)
    layer.set_offsets(*offsets)
    buffer = layer.get_buffer()
    buffer.set(Gegl.Rectangle.new(0, 0, width, height), babl_format, bytes(data))
    buffer.flush()
    return layer


def scenario_host_read():
    """The host's region read (plugin/hosts/gimp3.Gimp3Host, run here in GIMP's Python): the exact bytes
    babl gives for R'G'B'A u8 of the rectangle (transparent, or the edge repeated, outside the layer),
    for layers with offsets and partial overlap, without alpha, grey, 16-bit, linear, float and in
    another colour space; and the selection channel's bytes."""
    s = "host-read"
    if REPO not in sys.path:
        sys.path.insert(0, REPO)
    from plugin.geometry import Rect
    from plugin.hosts import gimp3, procedures

    spec = procedures.PROCEDURE_BY_NAME[PREFIX + "remove"]

    def expected(layer, rect, transparent_outside):
        _ok, ox, oy = layer.get_offsets()
        abyss = Gegl.AbyssPolicy.NONE if transparent_outside else Gegl.AbyssPolicy.CLAMP
        area = Gegl.Rectangle.new(rect.x - ox, rect.y - oy, rect.width, rect.height)
        return layer.get_buffer().get(area, 1.0, RGBA, abyss)

    def compare(label, image, layer, rects):
        job = gimp3.Gimp3Host(spec, NONINTERACTIVE, image, [layer], {})
        for rect, transparent_outside in rects:
            got = job.read_pixels(rect, transparent_outside)
            want = expected(layer, rect, transparent_outside)
            first = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]), None)
            check(
                s,
                f"{label}: {tuple(rect)} transparent outside={transparent_outside}: exact pixels",
                got == want,
                f"{len(got)} vs {len(want)} bytes, first difference at byte {first}",
            )
        return job

    canvas = Gimp.Image.new(300, 280, Gimp.ImageBaseType.RGB)
    gray = Gimp.Image.new(300, 280, Gimp.ImageBaseType.GRAY)
    # on the layer; the whole canvas (the layer sticks out left and top); past the layer's right edge;
    # wholly outside the layer
    rects = [
        (Rect(10, 20, 90, 70), False),
        (Rect(0, 0, 300, 280), True),
        (Rect(200, 100, 100, 90), True),
        (Rect(-40, -30, 20, 10), True),
        (Rect(5, 0, 3, 1), False),
    ]
    for image, kind, babl_format, bpp in (
        (canvas, Gimp.ImageType.RGB_IMAGE, "R'G'B' u8", 3),
        (canvas, Gimp.ImageType.RGBA_IMAGE, "R'G'B'A u8", 4),
        (gray, Gimp.ImageType.GRAY_IMAGE, "Y' u8", 1),
        (gray, Gimp.ImageType.GRAYA_IMAGE, "Y'A u8", 2),
    ):
        layer = _synthetic_layer(image, kind, 256, 256, babl_format, bpp, (-17, -9))
        compare(babl_format, image, layer, rects)
    # a photo layer (no alpha) at an offset, in other precisions and a colour space that is not sRGB
    cat = load_layer_source("cat")
    for label, change in (
        ("8-bit", None),
        ("16-bit", Gimp.Precision.U16_NON_LINEAR),
        ("linear 8-bit", Gimp.Precision.U8_LINEAR),
        ("float", Gimp.Precision.FLOAT_LINEAR),
        ("Adobe RGB", "adobe"),
    ):
        image = Gimp.Image.new(500, 360, Gimp.ImageBaseType.RGB)
        layer = Gimp.Layer.new_from_drawable(cat, image)
        image.insert_layer(layer, None, 0)
        layer.set_offsets(60, -25)
        if change == "adobe":
            image.set_color_profile(Gimp.ColorProfile.new_rgb_adobe())
        elif change is not None:
            image.convert_precision(change)
        image.select_ellipse(Gimp.ChannelOps.REPLACE, 100, 40, 160, 120)
        job = compare(label, image, layer, [(Rect(90, 30, 200, 150), False), (Rect(0, 0, 500, 360), True)])
        area = Rect(80, 20, 220, 160)
        selection = (
            image.get_selection().get_buffer().get(Gegl.Rectangle.new(*area), 1.0, "Y u8", Gegl.AbyssPolicy.NONE)
        )
        check(s, f"{label}: selection bytes", job.read_selection(area) == selection)
        image.delete()
    canvas.delete()
    gray.delete()


def scenario_upscale():
    s = "upscale"
    image = load("cat")
    layer = image.get_layers()[0]
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 100, 50, 120, 80)
    before = snapshot(image)
    status, new_image, seconds = call("upscale", image, [layer], backend="local", factor="x2")
    REPORT["timings"]["upscale"] = seconds
    if check(s, "selection x2: succeeds", status == SUCCESS, new_image):
        check(s, "selection x2: new image returned", isinstance(new_image, Gimp.Image))
        if isinstance(new_image, Gimp.Image):
            check(
                s,
                "selection x2: size",
                [new_image.get_width(), new_image.get_height()] == [240, 160],
                [new_image.get_width(), new_image.get_height()],
            )
            layers = new_image.get_layers()
            check(
                s,
                "selection x2: one layer with provenance",
                len(layers) == 1 and (parasite_json(layers[0]) or {}).get("action") == "upscale",
            )
            new_image.delete()
    check(s, "source image untouched", snapshot(image) == before)
    Gimp.Selection.none(image)
    status, new_image, _seconds = call("upscale", image, [layer], backend="local", factor="x4")
    if check(s, "layer x4: succeeds", status == SUCCESS, new_image) and isinstance(new_image, Gimp.Image):
        check(
            s,
            "layer x4: size",
            [new_image.get_width(), new_image.get_height()] == [1804, 1200],
            [new_image.get_width(), new_image.get_height()],
        )
        new_image.delete()
    image.delete()


def scenario_last_values():
    """WITH_LAST_VALS runs with the stored (here: default) values; auto falls back to local offline."""
    s = "last-values"
    image = load("rocket")
    layer = image.get_layers()[0]
    original = pixels(layer)
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 300, 150, 60, 60)
    status, error, _seconds = call("remove", image, [layer], run_mode=Gimp.RunMode.WITH_LAST_VALS)
    if check(s, "remove WITH_LAST_VALS succeeds", status == SUCCESS, error):
        group = new_group(image, 1)
        check(s, "one layer (default variations)", group is not None and len(group.get_children()) == 1)
        child = group.get_children()[0] if group is not None else None
        check(
            s,
            "auto chose local offline",
            child is not None and (parasite_json(child) or {}).get("backend") == "local",
            child and parasite_json(child),
        )
    check(s, "original pixels identical", pixels(layer) == original)
    image.delete()


def scenario_fault():
    """With a worker that crashes after writing one layer: nothing pasted, message names a bug."""
    s = "fault"
    image = load("cat")
    layer = image.get_layers()[0]
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 150, 90, 60, 60)
    fails_cleanly(s + "/crash", "remove", image, [layer], "crashed", backend="local", prompt="FAULT:crash")
    fails_cleanly(s + "/user", "remove", image, [layer], "injected problem", backend="local", prompt="FAULT:user")
    fails_cleanly(s + "/garbage", "remove", image, [layer], "no picture", backend="local", prompt="FAULT:garbage")
    image.delete()


def scenario_vertex_blocked():
    """The emulator's first answer is a safety block: a plain message, nothing pasted."""
    s = "vertex-blocked"
    image = load("cat")
    layer = image.get_layers()[0]
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 150, 90, 60, 60)
    fails_cleanly(s, "inpaint", image, [layer], "safety filter", backend="gemini", prompt="a red hat")
    image.delete()


def scenario_vertex():
    """Gemini through google-genai against the emulator (today's service): generate, inpaint, edit,
    describe, upscale; Automatic picks Gemini because a project and an endpoint are set."""
    s = "vertex"
    images_before = len(Gimp.get_images())
    status, new_image, seconds = call(
        "generate",
        None,
        [],
        backend="auto",
        prompt="a lighthouse at dawn",
        variations=2,
        seed=11,
        aspect_ratio="landscape-16-9",
    )
    REPORT["timings"]["vertex-generate"] = seconds
    if check(s, "generate: succeeds", status == SUCCESS, new_image) and isinstance(new_image, Gimp.Image):
        layers = new_image.get_layers()
        check(s, "generate: new image with two layers", len(layers) == 2, len(layers))
        check(
            s,
            "generate: 16:9",
            abs(new_image.get_width() / new_image.get_height() - 16 / 9) < 0.1,
            (new_image.get_width(), new_image.get_height()),
        )
        check(s, "generate: first visible, second hidden", [x.get_visible() for x in layers] == [True, False])
        data = parasite_json(layers[0]) or {}
        check(
            s,
            "generate: provenance says gemini, the model and the prompt",
            data.get("backend") == "gemini"
            and data.get("prompt") == "a lighthouse at dawn"
            and data.get("model") == "gemini-3.1-flash-image"
            and data.get("tier") == "Standard",
            data,
        )
        check(
            s,
            "generate: no magenta draft pasted",
            all(draft_share(x) < 0.001 for x in layers),
            [draft_share(x) for x in layers],
        )
        check(s, "generate: one new image", len(Gimp.get_images()) == images_before + 1)
        new_image.delete()

    image = load("coffee")
    layer = image.get_layers()[0]
    original = pixels(layer)
    status, returned, _seconds = call(
        "generate", image, [layer], backend="auto", prompt="a paper boat", into_image=True
    )
    if check(s, "generate into image: succeeds", status == SUCCESS, returned):
        group = new_group(image, 1)
        check(s, "generate into image: a group on top", group is not None and image.get_layers()[0] == group)
        check(s, "generate into image: no other image", len(Gimp.get_images()) == images_before + 1)
        check(s, "generate into image: original untouched", pixels(layer) == original)
    image.delete()

    image = load("cat")
    layer = image.get_layers()[0]
    original = pixels(layer)
    shown_before = composite(image)
    sel = (160, 60, 100, 80)
    image.select_ellipse(Gimp.ChannelOps.REPLACE, *sel)
    status, error, seconds = call(
        "inpaint",
        image,
        [layer],
        backend="auto",
        prompt="a red knitted hat",
        variations=3,
        seed=5,
        grow=4,
        feather=8,
        context=64,
    )
    REPORT["timings"]["vertex-inpaint"] = seconds
    if check(s, "inpaint: succeeds", status == SUCCESS, error):
        group = new_group(image, 1)
        if check(
            s,
            "inpaint: group named after the prompt",
            group is not None and "a red knitted hat" in group.get_name(),
            group and group.get_name(),
        ):
            children = group.get_children()
            check(
                s,
                "inpaint: three variations, first visible",
                [c.get_visible() for c in children] == [True, False, False],
                len(children),
            )
            check(s, "inpaint: each has a mask", all(c.get_mask() is not None for c in children))
            seeds = [(parasite_json(c) or {}).get("seed") for c in children]
            check(s, "inpaint: seeds recorded", all(seed is not None for seed in seeds), seeds)
            check(
                s,
                "inpaint: each layer holds the final picture, not a draft",
                all(draft_share(c) < 0.001 for c in children),
                [draft_share(c) for c in children],
            )
        around = (sel[0] - 13, sel[1] - 13, sel[2] + 26, sel[3] + 26)
        same, detail = outside_equal(shown_before, composite(image), image.get_width(), image.get_height(), around)
        check(s, "inpaint: pixels outside the selection unchanged", same, detail)
    check(s, "inpaint: original untouched", pixels(layer) == original)

    image.select_rectangle(Gimp.ChannelOps.REPLACE, 50, 50, 200, 150)
    status, error, _seconds = call("edit", image, [layer], backend="auto", prompt="make it look like winter")
    if check(s, "edit: succeeds", status == SUCCESS, error):
        groups = [g for g in image.get_layers() if g.is_group() and g.get_name().startswith("Edit with")]
        check(
            s,
            "edit: group right above the source layer",
            len(groups) == 1 and image.get_item_position(groups[0]) + 1 == image.get_item_position(layer),
        )
        child = groups[0].get_children()[0] if groups else None
        check(
            s,
            "edit: layer over the selection with a mask",
            child is not None and list(child.get_offsets()[1:]) == [50, 50] and child.get_mask() is not None,
            child and (child.get_offsets(), child.get_width(), child.get_height()),
        )
    check(s, "edit: original untouched", pixels(layer) == original)

    Gimp.Selection.none(image)
    before = snapshot(image)
    status, error, _seconds = call("describe", image, [layer], backend="auto", store_comment=False)
    check(s, "describe: succeeds", status == SUCCESS, error)
    check(s, "describe: image unchanged without store-comment", snapshot(image) == before)
    status, error, _seconds = call("describe", image, [layer], backend="auto", store_comment=True)
    comment = image.get_parasite("gimp-comment")
    text = bytes(comment.get_data()).decode("utf-8", "replace").rstrip("\0") if comment else ""
    check(s, "describe: stored as the image comment", status == SUCCESS and len(text) > 3, text)

    image.select_rectangle(Gimp.ChannelOps.REPLACE, 40, 40, 120, 90)
    status, new_image, _seconds = call("upscale", image, [layer], backend="auto", factor="x2")
    if check(s, "upscale: succeeds", status == SUCCESS, new_image) and isinstance(new_image, Gimp.Image):
        (up,) = new_image.get_layers()
        check(
            s,
            "upscale: twice the selection, named generative",
            (new_image.get_width(), new_image.get_height()) == (240, 180) and "(generative)" in up.get_name(),
            up.get_name(),
        )
        new_image.delete()
    image.delete()


def draft_share(layer):
    """The share of a layer's pixels that are the emulator's flat magenta draft (a pasted thought image)."""
    data = pixels(layer)
    magenta = sum(1 for i in range(0, len(data), 4 * 97) if data[i] >= 253 and data[i + 1] <= 2 and data[i + 2] >= 253)
    return magenta / max(1, len(range(0, len(data), 4 * 97)))


def rgb_digest(layer):
    """sha1 of a whole layer as R'G'B' u8: what the worker must send as its reference PNG."""
    area = Gegl.Rectangle.new(0, 0, layer.get_width(), layer.get_height())
    return digest(layer.get_buffer().get(area, 1.0, "R'G'B' u8", Gegl.AbyssPolicy.NONE))


def scenario_vertex_refs():
    """Generate from References through Gemini, and Check Setup against the emulator.

    The pytest side checks that the emulator received exactly the reference layers recorded here
    (REPORT["references"]).
    """
    s = "vertex-refs"
    image = load("cat")
    base = image.get_layers()[0]
    mug = Gimp.Layer.new_from_drawable(load_layer_source("coffee"), image)
    image.insert_layer(mug, None, 0)
    mug.set_name("Mug, on the table")  # a comma in the name: still one layer
    mug.set_offsets(-40, 120)  # partly off the canvas: the whole layer is the reference
    originals = {"base": pixels(base), "mug": pixels(mug)}
    before = snapshot(image)
    images_before = len(Gimp.get_images())
    status, new_image, seconds = call(
        "customize",
        image,
        [base],
        backend="gemini",
        prompt="a mug on a beach",
        reference_layers="Mug, on the table",
        description="a white mug",
        variations=2,
    )
    REPORT["timings"]["vertex-customize"] = seconds
    REPORT["references"]["a mug on a beach"] = [rgb_digest(mug)]
    if check(s, "named: succeeds", status == SUCCESS, new_image) and isinstance(new_image, Gimp.Image):
        layers = new_image.get_layers()
        check(s, "named: new image with two layers", len(layers) == 2, len(layers))
        check(s, "named: first visible, second hidden", [x.get_visible() for x in layers] == [True, False])
        data = parasite_json(layers[0]) or {}
        check(
            s,
            "named: provenance names the reference layer",
            data.get("action") == "customize"
            and data.get("backend") == "gemini"
            and data.get("parameters", {}).get("reference_layers") == ["Mug, on the table"],
            data,
        )
        check(s, "named: one new image", len(Gimp.get_images()) == images_before + 1)
        check(s, "named: source image untouched", snapshot(image) == before)
        new_image.delete()

    status, returned, _seconds = call(
        "customize", image, [base, mug], backend="gemini", prompt="a cat with a mug", into_image=True
    )
    REPORT["references"]["a cat with a mug"] = [rgb_digest(base), rgb_digest(mug)]
    if check(s, "selected layers: succeeds", status == SUCCESS, returned):
        group = new_group(image, 2)
        check(
            s,
            "selected layers: a group above the first",
            group is not None and image.get_item_position(group) + 1 == image.get_item_position(base),
            [layer.get_name() for layer in image.get_layers()],
        )
        child = group.get_children()[0] if group is not None else None
        refs = (parasite_json(child) or {}).get("parameters", {}).get("reference_layers") if child else None
        check(s, "selected layers: both are references", refs == [base.get_name(), mug.get_name()], refs)
        if group is not None:
            image.remove_layer(group)

    fails_cleanly(
        s + "/unknown-name",
        "customize",
        image,
        [base],
        "no layer called 'Mugg'",
        backend="gemini",
        prompt="x",
        reference_layers="Mugg",
    )
    fails_cleanly(
        s + "/two-scribbles",
        "customize",
        image,
        [base, mug],
        "a scribble reference is one layer",
        backend="gemini",
        prompt="x",
        kind="scribble",
    )
    check(s, "original pixels identical", pixels(base) == originals["base"] and pixels(mug) == originals["mug"])
    image.delete()

    proc = Gimp.get_pdb().lookup_procedure(PREFIX + "check-setup")
    config = proc.create_config()
    config.set_property("run-mode", NONINTERACTIVE)
    result = proc.run(config)
    report = result.index(1) if result.index(0) == SUCCESS else ""
    REPORT["setup"] = report
    check(
        s,
        "check setup: succeeds and reports every check",
        result.index(0) == SUCCESS and "OK      Vertex AI: reachable at http://127.0.0.1" in report,
        report,
    )


# -- cancel: GIMP kills the plug-in process -------------------------------------------------------


def processes():
    """pid -> (parent pid, command line) of every live process; zombies are dead (they compute nothing)."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                state, parent = handle.read().rsplit(")", 1)[1].split()[:2]
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                command = handle.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except (OSError, ValueError):
            continue
        if state not in ("Z", "X"):
            table[int(entry)] = (int(parent), command)
    return table


def children(table, parent, word):
    return [pid for pid, (ppid, command) in table.items() if ppid == parent and word in command]


class PlugInKiller(threading.Thread):
    """Does what GIMP does on Cancel: SIGKILL the plug-in process while its worker is busy.

    Waits until the Imagen plug-in (a child of GIMP running imagen_gimp.py) has a worker child
    (`worker_word` in its command line) and busy(worker command) is true, then kills the plug-in.
    Makes no GIMP call: the main thread is inside the PDB call. After `patience` seconds it kills
    whatever plug-in it found, so nothing waits for a slow answer; `stop` ends it early when the
    call returned by itself.
    """

    def __init__(self, gimp_pid, worker_word, busy, patience=120.0, find_worker=None):
        super().__init__(name="plug-in killer", daemon=True)
        self.gimp_pid = gimp_pid
        self.worker_word = worker_word
        # (table, plug-in pid) -> worker pids; default: children of the plug-in (the cold worker)
        self.find_worker = find_worker or (lambda table, plugin: children(table, plugin, worker_word))
        self.busy = busy
        self.patience = patience
        self.stop = threading.Event()
        self.plugin_pid = self.worker_pid = None
        self.plugin_command = self.worker_command = ""
        self.worker_busy = self.killed = False

    def run(self):
        deadline = time.monotonic() + self.patience
        while not self.stop.is_set() and time.monotonic() < deadline:
            table = processes()
            plugins = children(table, self.gimp_pid, "imagen_gimp.py")
            if plugins:
                self.plugin_pid, self.plugin_command = plugins[0], table[plugins[0]][1]
                workers = self.find_worker(table, self.plugin_pid)
                if workers:
                    self.worker_pid, self.worker_command = workers[0], table[workers[0]][1]
                    self.worker_busy = self.busy(self.worker_command)
                    if self.worker_busy:
                        break
            self.stop.wait(0.05)
        if self.plugin_pid is not None and not self.stop.is_set():
            try:
                os.kill(self.plugin_pid, signal.SIGKILL)
                self.killed = True
            except ProcessLookupError:
                pass


def gone(pid, command, seconds):
    """Has process pid (with this command line) ended within `seconds`? Polls /proc."""
    deadline = time.monotonic() + seconds
    while True:
        if processes().get(pid, (None, None))[1] != command:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)


def last_error():
    try:
        return Gimp.get_pdb().get_last_error()
    except Exception as exc:  # not in every 3.0 binding
        return f"({exc})"


def cancel_mid_job(s, worker_word, busy, find_worker=None, **properties):
    """Run Remove Object on a fresh photo and kill the plug-in mid-job (PlugInKiller); check that
    the worker died with it, the call came back with an error, GIMP is fine and the image, its
    pixels and its undo history are as before. Returns the image (undo on, clean) for more calls.

    Design: python-fu-eval runs this driver as a plug-in process of its own, and GIMP answers its
    PDB call when the Imagen plug-in returns or dies. So the main thread makes the call while a
    thread watches /proc and SIGKILLs the plug-in, as GIMP's Cancel does (GIMP's
    gimp_plug_in_close: kill(pid, SIGKILL) on the plug-in process only, never on its children).
    """
    image = load("cat")
    image.undo_enable()  # as in GIMP's window (a script's file_load leaves undo off)
    layer = image.get_layers()[0]
    image.select_ellipse(Gimp.ChannelOps.REPLACE, 150, 90, 120, 100)
    image.clean_all()  # from here on, any undo step would mark the image dirty
    before = snapshot(image)
    shown_before = composite(image)
    images_before = len(Gimp.get_images())
    gimp_pid = os.getppid()  # GIMP started this python-fu-eval process
    gimp_command = processes().get(gimp_pid, (0, ""))[1]
    check(s, "the driver runs under GIMP", "gimp" in gimp_command, gimp_command)
    killer = PlugInKiller(gimp_pid, worker_word, busy, find_worker=find_worker)
    killer.start()
    status, error, seconds = call("remove", image, [layer], seed=5, grow=4, feather=8, context=64, **properties)
    killer.stop.set()
    killer.join(10)
    REPORT["timings"][s] = seconds
    REPORT["cancel"][s] = {
        "status": str(status),
        "error": str(error),
        "pdb_error": last_error(),
        "plugin_command": killer.plugin_command,
        "worker_command": killer.worker_command,
    }
    check(s, "the plug-in process was found", killer.plugin_pid is not None)
    check(s, "its worker was found", killer.worker_pid is not None)
    check(s, "the kill came while the worker was busy", killer.worker_busy)
    check(s, "the plug-in process was killed", killer.killed)
    check(s, "the call returns an error status", status != SUCCESS, (status, error))
    if killer.worker_pid is not None:
        check(
            s,
            "the worker is gone within 10 s",
            gone(killer.worker_pid, killer.worker_command, 10),
            processes().get(killer.worker_pid),
        )
        folder = killer.worker_command.split()[-1] if find_worker is None else "/nonexistent-folder"
        left = {pid: command for pid, (_ppid, command) in processes().items() if folder in command}
        check(s, "no process works on the cancelled job", not left, left)
        for pid in left:  # an orphan must not outlive the test
            os.kill(pid, signal.SIGKILL)
        # the killed plug-in cannot remove it: the next job's sweep does (scenario_cancel checks)
        REPORT["cancel"][s]["job_folder"] = folder
        REPORT["cancel"][s]["job_folder_after_kill"] = os.path.isdir(folder)
    if killer.plugin_pid is not None:
        check(s, "the plug-in process is gone", gone(killer.plugin_pid, killer.plugin_command, 10))
    check(s, "GIMP is still running", processes().get(gimp_pid, (0, ""))[1] == gimp_command)
    check(
        s,
        "the image is still open",
        image.is_valid() and len(Gimp.get_images()) == images_before,
        len(Gimp.get_images()),
    )
    after = snapshot(image)
    check(
        s,
        "same layer count",
        len(image.get_layers()) == len(before["layers"]),
        [item.get_name() for item in image.get_layers()],
    )
    check(s, "no layer group added", not any(item.is_group() for item in walk(image.get_layers())))
    check(s, "layers, pixels, masks, parasites as before", after == before, json.dumps(after)[:600])
    check(s, "the image shows the same pixels", composite(image) == shown_before)
    check(s, "nothing added to the undo history (image not dirty)", not image.is_dirty())
    check(s, "undo still enabled", image.undo_is_enabled())
    return image


def scenario_cancel():
    """Cancel while Imagen (the emulator, holding the request with its "slow" fault) works on the job.

    The real worker and client: the pytest side creates OPTIONS["held"] once the emulator holds
    the request, and the plug-in is killed then. A retry then works, as a user would try it.
    While it waits the worker writes a progress line each second, so a broken pipe would end it
    soon even without its parent-death signal; cancel-silent covers a worker that writes nothing.
    """
    s = "cancel"
    image = cancel_mid_job(s, "plugin.link.worker", lambda _command: os.path.exists(OPTIONS["held"]), backend="gemini")
    layer = image.get_layers()[0]
    status, error, _seconds = call("remove", image, [layer], backend="gemini", seed=5, grow=4, feather=8, context=64)
    if check(s, "Remove Object works again after the cancel", status == SUCCESS, error):
        check(
            s,
            "the retry adds one group",
            new_group(image, 1) is not None,
            [item.get_name() for item in image.get_layers()],
        )
        check(s, "the retry marks the image changed (so the dirty check can fail)", image.is_dirty())
    folder = REPORT["cancel"][s].get("job_folder")
    if folder:
        REPORT["cancel"][s]["job_folder_left"] = os.path.isdir(folder)  # after the retry's sweep
        shutil.rmtree(folder, ignore_errors=True)  # the cached root must not collect them
    image.delete()


def scenario_cancel_silent():
    """Cancel while the worker computes without writing a line (a long engine stage, the first JIT
    compile): only the worker's parent-death signal can end it, as no broken pipe tells it.

    Runs in the fault session: fault_worker's FAULT:silent says "computing", creates `silent` in
    the job folder and then prints nothing for minutes.
    """
    s = "cancel-silent"
    image = cancel_mid_job(
        s,
        "fault_worker",
        lambda command: os.path.exists(os.path.join(command.split()[-1], "silent")),
        backend="local",
        prompt="FAULT:silent",
    )
    folder = REPORT["cancel"][s].get("job_folder")
    if folder:  # no job follows here to sweep it
        shutil.rmtree(folder, ignore_errors=True)  # the cached root must not collect them
    image.delete()


# -- the warm worker: one process per GIMP serves every call ---------------------------------------

WARM_WORD = "plugin.link.warm_server"


def warm_servers():
    """pid of every warm worker of this GIMP (they name their owner in their command line)."""
    owner = f" {os.getppid()} "
    return sorted(
        pid for pid, (_ppid, command) in processes().items() if WARM_WORD in command and owner in command + " "
    )


def remove_once(s, name, image, layer):
    status, error, seconds = call("remove", image, [layer], backend="local", seed=5, grow=4, feather=8, context=48)
    REPORT["timings"][f"{s} {name}"] = seconds
    return check(s, f"{name}: succeeds", status == SUCCESS, error) and new_group(image, 1) is not None


def scenario_warm():
    """A first call starts the warm worker, a second uses the same one; a worker killed between two calls
    is replaced and the call still works (and says so); GIMP quitting ends it (checked by the pytest side)."""
    s = "warm"
    image = load("cat")
    layer = image.get_layers()[0]
    image.select_ellipse(Gimp.ChannelOps.REPLACE, 150, 90, 120, 100)
    remove_once(s, "first call", image, layer)
    first = warm_servers()
    check(s, "one warm worker runs after the first call", len(first) == 1, first)
    check(s, "the first call added one group", len([x for x in image.get_layers() if x.is_group()]) == 1)
    remove_once(s, "warm second call", image, layer)
    check(s, "the second call used the same worker", warm_servers() == first, warm_servers())
    check(s, "the second call added its own group", len([x for x in image.get_layers() if x.is_group()]) == 2)
    for pid in first:
        os.kill(pid, signal.SIGKILL)
    check(s, "the killed worker is gone", all(gone(pid, processes().get(pid, (0, ""))[1], 10) for pid in first))
    remove_once(s, "call after the worker was killed", image, layer)
    replaced = warm_servers()
    check(s, "a new worker serves the next call", len(replaced) == 1 and replaced != first, (first, replaced))
    check(s, "three groups, each call's", len([x for x in image.get_layers() if x.is_group()]) == 3)
    REPORT["warm"] = {"servers": replaced}
    image.delete()


def warm_job(table, _plugin):
    """The job process of this GIMP's warm worker: its child (a fork, so the same command line)."""
    return [pid for server in warm_servers() for pid in children(table, server, WARM_WORD)]


def scenario_warm_cancel():
    """Cancel (the plug-in SIGKILLed) while the warm worker's job computes: the job dies, the worker stays
    and serves the next call; the image is untouched (cancel_mid_job checks it)."""
    s = "warm-cancel"
    warmup = load("cat")
    warmup.select_ellipse(Gimp.ChannelOps.REPLACE, 150, 90, 120, 100)
    remove_once(s, "a call that starts the worker", warmup, warmup.get_layers()[0])
    warmup.delete()
    servers = warm_servers()
    image = cancel_mid_job(
        s, WARM_WORD, lambda _command: os.path.exists(OPTIONS["held"]), find_worker=warm_job, backend="gemini"
    )
    check(s, "the warm worker survived the cancel", warm_servers() == servers, (servers, warm_servers()))
    check(s, "no job of the worker is left", not warm_job(processes(), None), warm_job(processes(), None))
    layer = image.get_layers()[0]
    status, error, _seconds = call("remove", image, [layer], backend="gemini", seed=5, grow=4, feather=8, context=64)
    if check(s, "Remove Object works again after the cancel", status == SUCCESS, error):
        check(s, "the retry adds one group", new_group(image, 1) is not None)
    check(s, "the same worker served the retry", warm_servers() == servers, (servers, warm_servers()))
    image.delete()


def scenario_warm_pair():
    """One of two GIMPs of the same user running at once: each call works, on this GIMP's own worker."""
    s = "warm-pair"
    image = load("cat")
    layer = image.get_layers()[0]
    image.select_ellipse(Gimp.ChannelOps.REPLACE, 150, 90, 120, 100)
    remove_once(s, "first call", image, layer)
    mine = warm_servers()
    open(OPTIONS["mark"], "w").close()
    deadline = time.monotonic() + 120
    while not os.path.exists(OPTIONS["peer"]) and time.monotonic() < deadline:
        time.sleep(0.1)
    check(s, "the other GIMP runs at the same time", os.path.exists(OPTIONS["peer"]))
    remove_once(s, "second call", image, layer)
    check(
        s,
        "one worker of this GIMP, the same for both calls",
        len(mine) == 1 and warm_servers() == mine,
        (mine, warm_servers()),
    )
    REPORT["warm"] = {"servers": mine}
    time.sleep(2)  # the other GIMP's second call must not find this one gone mid-way
    image.delete()


def scenario_dialog():
    """The action dialogs, built as an interactive run builds them (needs a display: Xvfb).

    Each has its cost line in "Variations, model and cost"; turning the Variations spin button and
    picking a backend or a tier in the combo boxes (the widgets the user touches) rewrite it at once,
    through the config's notify signals. The dialogs are sized for a 451x300 image with a 120x100
    selection (GEOMETRY). The texts go to REPORT["dialog"] for the pytest side to compare.
    """
    s = "dialog"
    gi.require_version("GimpUi", "3.0")
    gi.require_version("Gtk", "3.0")
    from gi.repository import GimpUi, GObject, Gtk

    if REPO not in sys.path:
        sys.path.insert(0, REPO)
    from plugin.geometry import Rect
    from plugin.hosts import procedures
    from ui import cost as costs
    from ui import dialogs

    GimpUi.init("imagen-gimp-test")
    texts = REPORT["dialog"]
    setup = costs.cloud_setup()
    texts["setup"] = [setup.backend, setup.project, setup.endpoint, setup.credentials, setup.unreadable]
    geometry = ((451, 300), Rect(0, 0, 451, 300), Rect(100, 80, 120, 100))
    # Imagen (legacy) is in the Backend menu only when the settings enable it: this session's do ([imagen]
    # enabled = true, test_gimp3._drive_dialog); without a settings file the combo box has no Imagen row
    configured = os.environ.get("IMAGEN_GIMP_CONFIG", "")
    for path, wanted in (
        ("/nonexistent/config.toml", ["auto", "local", "gemini"]),
        (configured, ["auto", "local", "gemini", "imagen"]),
    ):
        os.environ["IMAGEN_GIMP_CONFIG"] = path
        insert = procedures.PROCEDURE_BY_ACTION["insert"]
        config = Gimp.get_pdb().lookup_procedure(insert.name).create_config()
        dialog, cost = dialogs.build_dialog(Gimp.get_pdb().lookup_procedure(insert.name), config, insert, geometry)
        combo = dialog.get_widget("backend", GObject.TYPE_NONE).get_widget()
        offered = [nick for nick in ("auto", "local", "gemini", "imagen") if combo.set_active(nick)]
        check(s, f"the Backend menu with settings {path}: {', '.join(wanted)}", offered == wanted, offered)
        cost.close()
        dialog.destroy()
    for spec in procedures.PROCEDURES:
        if not spec.params:  # Select Subject asks nothing: an interactive run shows no dialog (gimp3.run)
            continue
        proc = Gimp.get_pdb().lookup_procedure(spec.name)
        config = proc.create_config()
        dialog, cost = dialogs.build_dialog(proc, config, spec, geometry)
        if not check(s, f"{spec.action}: has a cost line", cost is not None):
            dialog.destroy()
            continue
        frame = cost.label.get_parent().get_parent()
        heading = frame.get_label_widget() if isinstance(frame, Gtk.Frame) else None
        check(
            s,
            f"{spec.action}: the line is in the run frame",
            heading is not None and heading.get_text() == "Variations, model and cost",
            type(frame).__name__,
        )
        texts[spec.action] = cost.label.get_text()
        if spec.action == "insert":
            dialog.get_widget("variations", GObject.TYPE_NONE).set_value(3)
            texts["insert variations 3"] = cost.label.get_text()
            combo = dialog.get_widget("backend", GObject.TYPE_NONE).get_widget()  # a GimpStringComboBox
            for nick in ("gemini", "local", "imagen", "auto"):
                combo.set_active(nick)
                check(
                    s,
                    f"insert: the combo box sets backend {nick}",
                    config.get_property("backend") == nick,
                    config.get_property("backend"),
                )
                texts["insert " + nick] = cost.label.get_text()
            tiers = dialog.get_widget("tier", GObject.TYPE_NONE).get_widget()
            for nick in ("quality", "fast"):
                tiers.set_active(nick)
                texts["insert " + nick] = cost.label.get_text()
        if spec.action == "background":
            dialog.get_widget("mode", GObject.TYPE_NONE).get_widget().set_active("prompt")
            texts["background prompt"] = cost.label.get_text()
        cost.close()
        dialog.destroy()
        # the config outlives the dialog: no handler may be left (Refine Result and Run Again have no backend)
        names = [param.name for param in spec.params]
        if "backend" in names:
            config.set_property("backend", "local")
        else:
            config.set_property("variations", 2)
        check(s, f"{spec.action}: close() disconnects", cost.handlers == [], cost.handlers)


def selection_of(image):
    """The selection channel's values (one byte a pixel over the canvas)."""
    return gray(image.get_selection())


def save_raw(name, drawable):
    """A drawable's RGBA for the pytest side to compare with the engine run outside GIMP."""
    path = f"/tmp/imagen-models-{name}.rgba"
    with open(path, "wb") as handle:
        handle.write(pixels(drawable))
    REPORT.setdefault("models", {})[name] = [path, drawable.get_width(), drawable.get_height()]


def scenario_subject():
    """Select Subject: the selection is replaced (soft edges), no layer is added, the pixels stay."""
    s = "subject"
    proc = Gimp.get_pdb().lookup_procedure(PREFIX + "subject")
    check(
        s,
        "registered under Filters/Imagen",
        proc is not None and "<Image>/Filters/Imagen" in list(proc.get_menu_paths()),
    )
    image = load("astronaut")
    layer = image.get_layers()[0]
    before = snapshot(image)
    status, error, seconds = call("subject", image, [layer])
    REPORT["timings"]["subject"] = seconds
    if check(s, "whole layer: succeeds", status == SUCCESS, error):
        check(s, "whole layer: no layer added, nothing else changed", snapshot(image) == before)
        sel = selection_of(image)
        width = image.get_width()
        check(
            s,
            "whole layer: her face is selected",
            min(sel[y * width + x] for y in range(60, 100, 7) for x in range(200, 260, 7)) == 255,
        )
        check(
            s,
            "whole layer: the backdrop is not",
            max(sel[y * width + x] for y in range(5, 40, 5) for x in range(480, 510, 5)) == 0,
        )
        check(s, "whole layer: soft edges", any(0 < v < 255 for v in sel))
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 260, 300, 252, 212)  # around the helmet
    status, error, _seconds = call("subject", image, [layer])
    if check(s, "selection box: succeeds", status == SUCCESS, error):
        sel = selection_of(image)
        width = image.get_width()
        outside = [
            sel[y * width + x]
            for y in range(0, 512, 4)
            for x in range(0, 512, 4)
            if not (260 <= x < 512 and 300 <= y < 512)
        ]
        check(s, "selection box: nothing selected outside the box", max(outside) == 0)
        check(
            s,
            "selection box: the helmet is selected",
            sum(sel[y * width + x] >= 128 for y in range(400, 480, 4) for x in range(320, 460, 4)) > 0.9 * 20 * 35,
        )
    check(s, "no layer added", len(list(walk(image.get_layers()))) == 1)
    image.delete()


def scenario_models():
    """Replace Background and Upscale on the offline engine: results kept for the pytest side, which
    compares them with the neural engine run outside GIMP."""
    s = "models"
    image = load("astronaut")
    layer = image.get_layers()[0]
    save_raw("background-source", layer)  # GIMP's JPEG decoding differs from Pillow's by a level here and there
    status, error, _seconds = call("background", image, [layer], backend="local", mode="transparent")
    if check(s, "background: succeeds", status == SUCCESS, error):
        group = new_group(image, 1)
        if check(s, "background: group added", group is not None):
            save_raw("background", group.get_children()[0])
    image.delete()
    image = load("cat")
    layer = image.get_layers()[0]
    status, new_image, _seconds = call("upscale", image, [layer], backend="local", factor="x2")
    if check(s, "upscale: succeeds", status == SUCCESS, new_image) and isinstance(new_image, Gimp.Image):
        save_raw("upscale", new_image.get_layers()[0])
        new_image.delete()
    image.select_rectangle(Gimp.ChannelOps.REPLACE, 200, 100, 24, 24)  # Real-ESRGAN: small areas only
    status, new_image, _seconds = call(
        "upscale", image, [layer], backend="local", factor="x4", offline_model="realesrgan"
    )
    if check(s, "upscale with Real-ESRGAN: succeeds", status == SUCCESS, new_image) and isinstance(
        new_image, Gimp.Image
    ):
        save_raw("upscale-esrgan", new_image.get_layers()[0])
        new_image.delete()
    image.delete()
    image = load("astronaut")  # 512 x 512: over Real-ESRGAN's 0.25 MP
    fails_cleanly(
        s,
        "upscale",
        image,
        [image.get_layers()[0]],
        "its limit is 0.25 MP",
        backend="local",
        factor="x2",
        offline_model="realesrgan",
    )
    image.delete()


SCENARIOS = {
    "subject": scenario_subject,
    "models": scenario_models,
    "registration": scenario_registration,
    "remove": scenario_remove,
    "offset-layer": scenario_offset_layer,
    "cloud-only": scenario_cloud_only,
    "invalid": scenario_invalid,
    "expand": scenario_expand,
    "background": scenario_background,
    "upscale": scenario_upscale,
    "last-values": scenario_last_values,
    "fault": scenario_fault,
    "formats": scenario_formats,
    "vertex-blocked": scenario_vertex_blocked,
    "vertex": scenario_vertex,
    "vertex-refs": scenario_vertex_refs,
    "cancel": scenario_cancel,
    "cancel-silent": scenario_cancel_silent,
    "dialog": scenario_dialog,
    "warm": scenario_warm,
    "warm-cancel": scenario_warm_cancel,
    "warm-pair": scenario_warm_pair,
    "host-read": scenario_host_read,
}


def main(config):
    OPTIONS.update(config)
    started = time.time()
    for name in config["scenarios"]:
        try:
            SCENARIOS[name]()
        except Exception:
            REPORT["errors"].append({"scenario": name, "traceback": traceback.format_exc()})
    for image in _SOURCES.values():
        image.delete()
    REPORT["timings"]["total"] = time.time() - started
    with open(config["report"], "w") as handle:
        json.dump(REPORT, handle, indent=1)


main(CONFIG)  # noqa: F821 - defined by the test before this file is executed
