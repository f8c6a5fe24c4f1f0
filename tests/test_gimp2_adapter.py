"""The GIMP 2.10 adapter (plugin/hosts/gimp2.py) through the gimpfu stub, with the real worker.

Every action runs the way GIMP 2.10 would run it: imagen_gimp_2.py registers through gimpfu, the
call goes through pdb and gimpfu's _run, pixels are read through pixel regions and the worker runs
in the venv. The local backend does what it can offline; the Vertex AI actions run against the
loopback emulator through the real client; failing actions must leave the image exactly as it was.
tests/test_py27.py runs the adapter's stub suite (tests/py27) under Python 2.7 as well.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

STUB = Path(__file__).resolve().parent / "gimpfu_stub"
sys.path.insert(0, str(STUB))

import gimp  # noqa: E402
import gimpenums as E  # noqa: E402
import gimpfu  # noqa: E402
import stubtools  # noqa: E402
from conftest import photo  # noqa: E402

from emulator import quick_engine, start_in_thread  # noqa: E402
from plugin import errors  # noqa: E402
from plugin import params as P  # noqa: E402
from plugin.hosts import gimp2, gimp2_arguments, paste_plan, pixel_bytes, procedures  # noqa: E402
from plugin.hosts import operation as host_op  # noqa: E402

PREFIX = "python-fu-imagen-"


@pytest.fixture(scope="module", autouse=True)
def installed(tmp_path_factory):
    """Registered as GIMP 2.10 starts it, with no settings file (the Backend menu then has no Imagen)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("IMAGEN_GIMP_CONFIG", str(tmp_path_factory.mktemp("settings") / "config.toml"))
        return stubtools.load_plugin()


@pytest.fixture(autouse=True)
def session(monkeypatch, tmp_path):
    """A fresh GIMP session, offline settings, the real worker from the venv."""
    stubtools.reset()
    for name in (
        "IMAGEN_GIMP_WORKER_MODULE",
        "IMAGEN_GIMP_PYTHON",
        "IMAGEN_GIMP_ENDPOINT",
        "IMAGEN_GIMP_BACKEND",
        "GOOGLE_CLOUD_PROJECT",
        "GOOGLE_APPLICATION_CREDENTIALS",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("IMAGEN_GIMP_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "no-gcloud"))


@pytest.fixture(scope="module")
def emulator_server():
    server, _url = start_in_thread(engine=quick_engine)
    yield server
    server.stop()


@pytest.fixture
def cloud(monkeypatch, emulator_server):
    monkeypatch.setenv("IMAGEN_GIMP_ENDPOINT", emulator_server.url)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "test-project")
    emulator_server.requests.clear()
    return emulator_server


def load(name: str, crop: tuple | None = None):
    """A photo from tests/data as a one-layer image; crop=(width, height) keeps the slow engines quick."""
    picture = photo(name)
    if crop:
        picture = np.ascontiguousarray(picture[: crop[1], : crop[0]])
    height, width = picture.shape[:2]
    return stubtools.image_from_rgba(width, height, picture.tobytes())


def call(name, image, drawable, **values):
    return stubtools.call(PREFIX + name, image, drawable, **values)


def text(value) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


def fails_cleanly(name, image, drawable, expect, **values) -> str:
    before = stubtools.snapshot(image)
    images = list(gimp.image_list())
    messages = len(gimp._stub.messages)
    with pytest.raises(gimp.error):
        call(name, image, drawable, **values)
    shown = [text(m) for m in gimp._stub.messages[messages:]]
    assert shown and expect.lower() in shown[-1].lower(), shown
    assert stubtools.snapshot(image) == before
    assert stubtools.new_images(images) == []
    assert gimp._stub.progress[-1] == ("end",)
    return shown[-1]


def group_of(image):
    groups = [layer for layer in image.layers if isinstance(layer, gimp.GroupLayer)]
    assert len(groups) == 1, [layer.name for layer in image.layers]
    return groups[0]


def gray(drawable) -> np.ndarray:
    return np.frombuffer(bytes(drawable._pixels), np.uint8).reshape(drawable.height, drawable.width)


def rgba(drawable) -> np.ndarray:
    return np.frombuffer(bytes(drawable._pixels), np.uint8).reshape(drawable.height, drawable.width, -1)


def provenance(layer) -> dict:
    return json.loads(layer.parasite_find(paste_plan.PARASITE_NAME).data.decode("utf-8"))


def one_undo_group(image) -> bool:
    return (
        image.undo_groups == 1
        and image.undo_depth == 0
        and bool(image.changes)
        and all(depth == 1 for _what, depth, _enabled in image.changes)
    )


# -- registration ----------------------------------------------------------------------------------


def test_the_same_procedures_and_arguments_as_gimp3(installed):
    assert sorted(installed) == sorted([p.name for p in procedures.PROCEDURES] + [procedures.SETUP_PROCEDURE])
    for spec in procedures.PROCEDURES:
        registered = gimpfu._registered_plugins_[spec.name]
        params = registered[8]
        assert [p[1] for p in params] == ["image", "drawable"] + [p.name for p in spec.params]
        assert registered[11] == procedures.MENU_PATH and registered[5] == spec.label
        for param, pf in zip(spec.params, params[2:], strict=True):
            assert gimp2_arguments.plain_value(param, pf[3]) == param.default, (spec.name, param.name)  # same defaults
            if param.kind == "int":
                assert pf[0] == gimpfu.PF_SPINNER and pf[4][:2] == param.extra
            if param.kind == "choice":
                assert pf[0] == gimpfu.PF_OPTION and len(pf[4]) == len(P.offered_choices(param, False))
                assert pf[4] == tuple(label for _nick, _value, label in P.offered_choices(param, False))


def test_values_come_in_as_gimpfu_hands_them_over():
    spec = procedures.PROCEDURE_BY_ACTION["background"]
    # mode (PF_OPTION index), color (tuple), blur (a float from a spin button), file (None), prompt (UTF-8),
    # grow, feather, context, variations, seed, backend (index), tier (index), max size (index), model
    args = [2, pixel_bytes.hex_rgb("#102030"), 7.0, None, b"caf\xc3\xa9", 4, 8, 64, 1, 0, 1, 0, 2, ""]
    values = gimp2_arguments.read_values(spec, tuple(args))
    assert values["mode"] == "blur" and values["color"] == "#102030" and values["blur-radius"] == 7
    assert values["image-path"] == "" and values["prompt"] == "caf\u00e9" and values["backend"] == "local"
    assert values["tier"] == "quality" and values["max-size"] == "size-2k"
    from gimpcolor import RGB

    assert host_op.color_hex(RGB(1.0, 0.5, 0.0), "#ffffff") == "#ff8000"
    with pytest.raises(errors.HostError, match="backend"):
        gimp2_arguments.read_values(spec, tuple(args[:10] + [9] + args[11:]))


# -- actions with the local engine ----------------------------------------------------------------


def test_remove_object_two_variations():
    image, source = load("cat")
    original = stubtools.pixels(source)
    sel = (150, 90, 120, 100)
    gimp.pdb.gimp_image_select_ellipse(image, E.CHANNEL_OP_REPLACE, *sel)
    call("remove", image, source, backend="local", variations=2, seed=7, grow=4, feather=8, context=48)
    group = group_of(image)
    assert image.layers == [group, source]
    assert text(group.name).startswith("Remove Object")
    children = group.layers
    assert [c.visible for c in children] == [True, False]
    assert all("seed" in text(c.name) for c in children)
    bleed = 12
    grown = (sel[0] - bleed - 1, sel[1] - bleed - 1, sel[2] + 2 * bleed + 2, sel[3] + 2 * bleed + 2)
    for child in children:
        ox, oy = child.offsets
        assert ox >= grown[0] and oy >= grown[1]
        assert ox + child.width <= grown[0] + grown[2] and oy + child.height <= grown[1] + grown[3]
        mask = gray(child.mask)
        assert mask.max() == 255 and mask[child.height // 2, child.width // 2] == 255
        data = provenance(child)
        assert data["action"] == "remove" and data["backend"] == "local" and "model" in data
        assert not any(word in json.dumps(data).lower() for word in ("token", "password", "private_key"))
        region = rgba(source)[oy : oy + child.height, ox : ox + child.width]
        assert (rgba(child)[mask == 255] != region[mask == 255]).any()  # the object is gone
    assert [provenance(c)["seed"] for c in children] == [7, 8]
    assert stubtools.pixels(source) == original
    assert one_undo_group(image)
    reads = {name: (w, h) for name, _x, _y, w, h in gimp._stub.reads}
    assert reads["Background"][0] * reads["Background"][1] < 451 * 300 / 2  # only the region of interest


def test_offset_layer_partly_off_canvas():
    image, base = load("coffee")
    cat = photo("cat")
    layer = gimp.Layer(image, "cat", 451, 300, E.RGBA_IMAGE, 100.0, E.LAYER_MODE_NORMAL)
    image.insert_layer(layer, position=0)
    layer._pixels[:] = cat.tobytes()
    layer.set_offsets(-120, 200)
    before_layer, before_base = stubtools.pixels(layer), stubtools.pixels(base)
    sel = (40, 260, 90, 80)
    gimp.pdb.gimp_image_select_rectangle(image, E.CHANNEL_OP_REPLACE, *sel)
    call("remove", image, layer, backend="local", seed=3, grow=2, feather=4, context=40)
    child = group_of(image).layers[0]
    ox, oy = child.offsets
    assert ox >= -120 and oy >= 200 and ox + child.width <= 331 and oy + child.height <= 500
    assert ox <= sel[0] and oy <= sel[1]
    assert ox + child.width >= sel[0] + sel[2] and oy + child.height >= sel[1] + sel[3]
    mask = gray(child.mask)
    ys, xs = np.nonzero(mask)
    assert xs.min() + ox >= sel[0] - 7 and ys.max() + oy < sel[1] + sel[3] + 7
    assert stubtools.pixels(layer) == before_layer and stubtools.pixels(base) == before_base
    assert layer.offsets == (-120, 200)
    assert image.layers.index(group_of(image)) == image.layers.index(layer) - 1


def test_expand_canvas_by_margins_and_to_a_ratio():
    image, layer = load("coffee", crop=(200, 140))
    original = stubtools.pixels(layer)
    call(
        "expand",
        image,
        layer,
        backend="local",
        expand_mode="margins",
        left=20,
        top=0,
        right=30,
        bottom=16,
        seed=1,
        context=32,
    )
    assert (image.width, image.height) == (250, 156)
    assert layer.offsets == (20, 0) and stubtools.pixels(layer) == original
    child = group_of(image).layers[0]
    ox, oy = child.offsets
    assert (ox, ox + child.width, oy + child.height) == (0, 250, 156) and oy >= 0
    assert provenance(child)["action"] == "outpaint"
    assert one_undo_group(image)

    image, layer = load("cat", crop=(200, 130))  # 200x130 -> 16:9 = 232x130, centred
    call("expand", image, layer, backend="local", expand_mode="aspect", aspect_ratio="landscape-16-9", context=24)
    assert image.height == 130 and abs(image.width / image.height - 16 / 9) < 0.01
    left = layer.offsets[0]
    assert abs(left - (image.width - 200 - left)) <= 1


def test_background_cut_out_with_the_selection_as_subject():
    image, layer = load("astronaut")
    original = stubtools.pixels(layer)
    gimp.pdb.gimp_image_select_ellipse(image, E.CHANNEL_OP_REPLACE, 120, 40, 280, 440)
    call("background", image, layer, backend="local", mode="transparent")
    child = group_of(image).layers[0]
    assert (child.width, child.height, child.offsets) == (512, 512, (0, 0))
    assert (rgba(child)[..., 3] < 255).any()
    assert provenance(child)["action"] == "background"
    assert stubtools.pixels(layer) == original


def test_upscale_the_selection_and_a_layer_into_new_images():
    image, layer = load("cat")
    gimp.pdb.gimp_image_select_rectangle(image, E.CHANNEL_OP_REPLACE, 100, 50, 120, 80)
    before = stubtools.snapshot(image)
    new = call("upscale", image, layer, backend="local", factor="x2")
    assert isinstance(new, gimp.Image) and (new.width, new.height) == (240, 160)
    assert len(new.layers) == 1 and provenance(new.layers[0])["action"] == "upscale"
    assert stubtools.snapshot(image) == before and image.undo_groups == 0
    small, small_layer = stubtools.image_from_rgba(60, 40, photo("rocket")[:40, :60].tobytes())
    bigger = call("upscale", small, small_layer, backend="local", factor="x4")
    assert (bigger.width, bigger.height) == (240, 160)


def test_select_subject_replaces_the_selection_in_one_undo_step():
    image, layer = load("astronaut")
    original = stubtools.pixels(layer)
    gimp.pdb.gimp_image_select_rectangle(image, E.CHANNEL_OP_REPLACE, 260, 300, 252, 212)  # the helmet's box
    image.changes.clear()
    call("subject", image, layer)
    sel = gray(image.selection)
    assert sel[:300].max() == 0 and sel[:, :260].max() == 0  # nothing outside the box
    assert (sel[400:480, 320:460] >= 128).mean() > 0.9  # the helmet
    assert ((sel > 0) & (sel < 255)).any()  # soft edges
    assert len(image.layers) == 1 and not image.channels  # no layer, the temporary channel gone
    assert one_undo_group(image) and stubtools.pixels(layer) == original


def test_with_last_values_uses_the_defaults_and_auto_goes_local_offline():
    image, layer = load("rocket")
    original = stubtools.pixels(layer)
    gimp.pdb.gimp_image_select_rectangle(image, E.CHANNEL_OP_REPLACE, 300, 150, 60, 60)
    gimp.run_from_menu(PREFIX + "remove", image, layer, E.RUN_WITH_LAST_VALS)
    children = group_of(image).layers
    assert len(children) == 1 and provenance(children[0])["backend"] == "local"
    assert stubtools.pixels(layer) == original


# -- actions through Vertex AI (the emulator) --------------------------------------------------------


def test_inpaint_edit_generate_and_describe_through_gemini(cloud):
    image, layer = load("cat", crop=(240, 200))
    original = stubtools.pixels(layer)
    gimp.pdb.gimp_image_select_ellipse(image, E.CHANNEL_OP_REPLACE, 150, 90, 60, 50)
    call("inpaint", image, layer, backend="gemini", prompt="a red ball of wool", variations=2, seed=11)
    group = group_of(image)
    assert text(group.name).startswith("Inpaint") and "a red ball" in text(group.name)
    assert [c.visible for c in group.layers] == [True, False]
    assert all(c.mask is not None and provenance(c)["backend"] == "gemini" for c in group.layers)
    call("edit", image, layer, backend="gemini", prompt="make it night")
    assert len([g for g in image.layers if isinstance(g, gimp.GroupLayer)]) == 2
    assert stubtools.pixels(layer) == original and image.undo_groups == 2

    new = call("generate", None, None, backend="gemini", prompt="a lighthouse at dusk", aspect_ratio="landscape-16-9")
    assert isinstance(new, gimp.Image) and new.width > new.height
    messages = len(gimp._stub.messages)
    call("describe", image, layer, backend="gemini", store_comment=True)
    assert len(gimp._stub.messages) > messages
    comment = image.parasite_find(paste_plan.COMMENT_PARASITE).data
    assert comment.endswith(b"\0") and len(comment) > 5


def add_layer(image, name, picture, offsets=(0, 0)):
    height, width = picture.shape[:2]
    layer = gimp.Layer(image, name, width, height, E.RGBA_IMAGE, 100.0, E.LAYER_MODE_NORMAL)
    image.insert_layer(layer, position=0)
    layer._pixels[:] = np.ascontiguousarray(picture).tobytes()
    layer.set_offsets(*offsets)
    image.changes[:] = []
    return layer


def sent_references(server) -> list:
    """The reference pictures of the last :generateContent request (RGB), and its instruction."""
    from tests.gemini_support import picture

    parts = server.generate_bodies()[-1]["contents"][0]["parts"]
    return [picture(part) for part in parts if "inlineData" in part], parts[-1]["text"]


def test_generate_from_references_named_layers_into_a_new_image(cloud):
    image, layer = load("cat", crop=(240, 200))
    mug = add_layer(image, "Mug, red", photo("coffee")[:90, :120], offsets=(-30, 150))  # partly off canvas
    sketch = add_layer(image, "Sketch", photo("rocket")[:64, :48])
    before = stubtools.snapshot(image)
    images = list(gimp.image_list())
    new = call(
        "customize",
        image,
        layer,
        backend="gemini",
        prompt="a mug on a beach",
        reference_layers="Mug, red, Sketch",
        variations=2,
        seed=9,
        description="a red mug",
    )
    assert isinstance(new, gimp.Image) and stubtools.new_images(images) == [new]
    assert len(new.layers) == 2 and [x.visible for x in new.layers] == [True, False]
    data = provenance(new.layers[0])
    assert data["action"] == "customize" and data["backend"] == "gemini"
    assert data["parameters"]["reference_layers"] == ["Mug, red", "Sketch"]
    sent, instruction = sent_references(cloud)
    assert "keep its identity" in instruction and "(a red mug)" in instruction
    assert [picture.shape[:2] for picture in sent] == [(90, 120), (64, 48)]  # whole layers
    assert (sent[0] == rgba(mug)[..., :3]).all() and (sent[1] == rgba(sketch)[..., :3]).all()
    assert stubtools.snapshot(image) == before and image.undo_groups == 0


def test_generate_from_references_with_the_active_layer_into_the_image(cloud):
    image, layer = load("astronaut", crop=(160, 120))
    original = stubtools.pixels(layer)
    returned = call("customize", image, layer, backend="gemini", prompt="a portrait", kind="style", into_image=True)
    assert returned is image
    group = group_of(image)
    assert image.layers == [group, layer] and text(group.name).startswith("Generate from References")
    assert len(group.layers) == 1 and provenance(group.layers[0])["parameters"]["kind"] == "style"
    assert "in the style of the reference" in sent_references(cloud)[1]
    assert stubtools.pixels(layer) == original and one_undo_group(image)


def test_imagen_only_extras_have_no_menu_entry():
    """Google shut Imagen down: automatic masks and the SynthID check have no successor API."""
    assert not any("auto-mask" in name or "verify" in name for name in gimpfu._registered_plugins_)
    assert not {"auto_mask", "verify"} & set(procedures.PROCEDURE_BY_ACTION)


def test_reference_mistakes_leave_the_image_alone(cloud):
    image, layer = load("cat", crop=(120, 100))
    add_layer(image, "Sketch", photo("rocket")[:40, :40])
    fails_cleanly(
        "customize", image, layer, "no layer called 'Skecth'", backend="gemini", prompt="x", reference_layers="Skecth"
    )
    fails_cleanly(
        "customize",
        image,
        layer,
        "a scribble reference is one layer",
        backend="gemini",
        prompt="x",
        kind="scribble",
        reference_layers="Sketch, Background",
    )
    fails_cleanly("customize", image, image.selection, "select the layer", backend="gemini", prompt="x")
    assert cloud.generate_bodies() == []  # none of them reached the service


# -- failures: a clear message, nothing changed -----------------------------------------------------


@pytest.mark.parametrize(
    "name, values",
    [
        ("inpaint", {"prompt": "a red hat"}),
        ("edit", {"prompt": "make it night"}),
        ("generate", {"prompt": "a lighthouse"}),
        ("describe", {}),
        ("background", {"mode": "prompt", "prompt": "a beach"}),
        ("customize", {"prompt": "a mug"}),
    ],
)
def test_cloud_only_actions_on_the_local_engine(name, values):
    image, layer = load("astronaut")
    gimp.pdb.gimp_image_select_rectangle(image, E.CHANNEL_OP_REPLACE, 100, 100, 120, 120)
    fails_cleanly(name, image, layer, "Vertex AI", backend="local", **values)


def test_invalid_calls_say_what_to_do():
    image, layer = load("cat")
    fails_cleanly("remove", image, layer, "needs a selection", backend="local")
    gimp.pdb.gimp_image_select_rectangle(image, E.CHANNEL_OP_REPLACE, 10, 10, 50, 50)
    fails_cleanly("inpaint", image, layer, "prompt", backend="gemini", prompt="  ")
    fails_cleanly("expand", image, layer, "margins", backend="local", expand_mode="margins")
    fails_cleanly("remove", image, image.selection, "works on one layer", backend="local")


def test_a_missing_venv_is_explained(monkeypatch):
    monkeypatch.setattr(gimp2, "REPO", "/nonexistent/imagen-gimp")
    image, layer = load("cat")
    gimp.pdb.gimp_image_select_rectangle(image, E.CHANNEL_OP_REPLACE, 10, 10, 50, 50)
    fails_cleanly("remove", image, layer, "install.sh", backend="local")


def test_a_worker_crash_after_one_layer_pastes_nothing(monkeypatch):
    monkeypatch.setenv("IMAGEN_GIMP_WORKER_MODULE", "fake_worker")
    monkeypatch.setenv("IMAGEN_GIMP_WORKER_PATH", str(Path(__file__).resolve().parent / "py27"))
    image, layer = load("cat")
    gimp.pdb.gimp_image_select_rectangle(image, E.CHANNEL_OP_REPLACE, 150, 90, 60, 60)
    assert "injected crash" in fails_cleanly("remove", image, layer, "crashed", backend="local", prompt="FAULT:crash")
    fails_cleanly("remove", image, layer, "injected problem", backend="local", prompt="FAULT:user")
    fails_cleanly("remove", image, layer, "no picture", backend="local", prompt="FAULT:garbage")
