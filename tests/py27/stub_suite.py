"""The GIMP 2.10 adapter through the gimpfu stub, with the pure-Python fake worker.

unittest only, Python 2/3-compatible: run.py runs this under a real Python 2.7 (Debian 11 root, see
tests/py27_root.sh), and tests/test_py27.py runs it under the venv's Python 3 too. Named *_suite.py
so pytest does not collect it (it needs run.py's sys.path and fake worker).
"""
# ruff: noqa: UP003, UP004, UP025, UP028, UP031  (Python 2.7 syntax: this file also runs under 2.7)

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import gimp
import gimpenums as E
import gimpfu
import stubtools

from plugin import errors
from plugin.hosts import job_client, paste_plan, pixel_bytes, procedures
from plugin.hosts import operation as host_op  # the dialog values -> operation
from plugin.link import worker_client

PREFIX = "python-fu-imagen-"
DEFAULT = object()  # "the test's image / layer"; None means no image, as GIMP passes it
W, H = 40, 30


def gradient(width=W, height=H, bpp=4):
    data = bytearray()
    for y in range(height):
        for x in range(width):
            pixel = [(x * 6) % 256, (y * 8) % 256, (x + y) % 256, 255][:bpp] if bpp >= 3 else \
                [(x * 6 + y) % 256, 255][:bpp]
            data += bytearray(pixel)
    return bytes(data)


def parasite(layer, name=paste_plan.PARASITE_NAME):
    found = layer.parasite_find(name)
    return json.loads(found.data.decode("utf-8")) if found else None


class AdapterCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        stubtools.load_plugin()

    def setUp(self):
        stubtools.reset()
        self.image, self.layer = stubtools.image_from_rgba(W, H, gradient())

    def call(self, name, image=DEFAULT, drawable=DEFAULT, **values):
        """(True, return value) or (False, the message the user saw)."""
        image = self.image if image is DEFAULT else image
        drawable = self.layer if drawable is DEFAULT else drawable
        before = len(gimp._stub.messages)
        try:
            return True, stubtools.call(PREFIX + name, image, drawable, **values)
        except gimp.error:
            shown = gimp._stub.messages[before:]
            return False, shown[-1].decode("utf-8") if isinstance(shown[-1], bytes) else shown[-1]

    def succeed(self, name, **values):
        ok, result = self.call(name, **values)
        self.assertTrue(ok, "%s failed: %s\n%s" % (name, result, gimp._stub.last_traceback))
        return result

    def fails_cleanly(self, name, expect, image=DEFAULT, drawable=DEFAULT, **values):
        image = self.image if image is DEFAULT else image
        before = stubtools.snapshot(image)
        images_before = list(gimp.image_list())
        ok, text = self.call(name, image, drawable, **values)
        self.assertFalse(ok, "%s should have failed" % name)
        self.assertIn(expect.lower(), text.lower())
        self.assertEqual(stubtools.snapshot(image), before)
        self.assertEqual(stubtools.new_images(images_before), [])
        self.assertEqual(gimp._stub.calls[-1], (PREFIX + name, E.PDB_EXECUTION_ERROR))
        return text

    def group(self, image=None):
        groups = [layer for layer in (image or self.image).layers if isinstance(layer, gimp.GroupLayer)]
        self.assertEqual(len(groups), 1)
        return groups[0]

    def assert_one_undo_group(self, image=None):
        image = image or self.image
        self.assertEqual(image.undo_groups, 1)
        self.assertEqual(image.undo_depth, 0)
        self.assertTrue(image.changes)
        self.assertTrue(all(depth == 1 for _what, depth, _enabled in image.changes), image.changes)


class TestRegistration(AdapterCase):
    def test_every_procedure_is_installed_under_the_imagen_menu(self):
        installed = gimp._stub.installed
        names = [p.name for p in procedures.PROCEDURES] + [procedures.SETUP_PROCEDURE]
        self.assertEqual(sorted(installed), sorted(names))
        for spec in procedures.PROCEDURES:
            info = installed[spec.name]
            self.assertEqual(info["menu"], "<Image>/Filters/Imagen")
            self.assertEqual(info["label"], spec.label)
            names = [param[1] for param in info["params"]]
            self.assertEqual(names, ["run-mode", "image", "drawable"] + [p.name for p in spec.params])
            self.assertEqual(len(info["results"]),
                             1 if spec.action in ("generate", "upscale", "customize") else 0)
            self.assertEqual(info["imagetypes"], "RGB*, GRAY*" if spec.needs_image else "")

    def test_parameter_types_follow_the_shared_table(self):
        kinds = {"text": E.PDB_STRING, "string": E.PDB_STRING, "names": E.PDB_STRING, "file": E.PDB_STRING,
                 "int": E.PDB_INT32, "float": E.PDB_FLOAT, "bool": E.PDB_INT32, "choice": E.PDB_INT32,
                 "color": E.PDB_COLOR}
        for spec in procedures.PROCEDURES:
            types = [param[0] for param in gimp._stub.installed[spec.name]["params"][3:]]
            self.assertEqual(types, [kinds[p.kind] for p in spec.params])


class TestSharedHelpers(unittest.TestCase):
    """pixel_bytes.py's helpers for what hosts hand over, under this Python (2.7 in CI)."""

    def test_pad_region_places_rows_in_a_zero_frame(self):
        from plugin.geometry import Rect

        padded = pixel_bytes.pad_region(b"abcdef", Rect(1, 0, 3, 2), Rect(0, -1, 4, 3), 1)
        self.assertEqual(padded, b"\0\0\0\0\0abc\0def")
        self.assertEqual(pixel_bytes.pad_region(b"xy", Rect(0, 0, 1, 1), Rect(0, 0, 1, 1), 2), b"xy")
        self.assertEqual(pixel_bytes.pad_region(b"", Rect(5, 5, 0, 0), Rect(0, 0, 2, 1), 1), b"\0\0")

    def test_pixel_formats_round_trip(self):
        rgb = b"\x01\x02\x03\x04\x05\x06"
        self.assertEqual(pixel_bytes.to_rgba(rgb, 3), b"\x01\x02\x03\xff\x04\x05\x06\xff")
        self.assertEqual(pixel_bytes.from_rgba(pixel_bytes.to_rgba(rgb, 3), 3), rgb)
        self.assertEqual(pixel_bytes.to_rgba(b"\x10\x80", 2), b"\x10\x10\x10\x80")
        self.assertEqual(pixel_bytes.from_rgba(b"\x10\x10\x10\x80", 2), b"\x10\x80")
        self.assertEqual(pixel_bytes.from_rgba(b"\xff\xff\xff\x00", 1), b"\xff")
        self.assertRaises(ValueError, pixel_bytes.to_rgba, b"\x00", 5)

    def test_values_as_gimpfu_gives_them(self):
        import gimpcolor

        self.assertEqual(host_op.color_hex((255, 128, 0), "#000000"), u"#ff8000")
        self.assertEqual(host_op.color_hex(gimpcolor.RGB(0.0, 0.5, 1.0), "#000000"), u"#0080ff")
        self.assertEqual(host_op.color_hex(None, "#ffffff"), "#ffffff")
        self.assertEqual(pixel_bytes.hex_rgb("#102030"), (16, 32, 48))
        backend = [p for p in procedures.PROCEDURE_BY_ACTION["remove"].params if p.name == "backend"][0]
        self.assertEqual(pixel_bytes.choice_nick(backend, 1), u"local")
        self.assertEqual(pixel_bytes.choice_nick(backend, b"imagen"), u"imagen")
        self.assertEqual(procedures.choice_value(backend, u"vertex"), u"imagen")  # the name of earlier versions
        self.assertRaises(errors.HostError, pixel_bytes.choice_nick, backend, 9)
        self.assertEqual(host_op.to_unicode(b"caf\xc3\xa9"), u"caf\u00e9")
        self.assertEqual(host_op.to_unicode(None), u"")
        self.assertEqual(host_op.to_unicode(host_op.native_str(u"caf\u00e9")), u"caf\u00e9")
        self.assertTrue(isinstance(host_op.native_str(u"x"), str))

    def test_imagen_is_offered_only_when_the_settings_enable_it(self):
        """The 2.7 line reader (no tomllib here) and GIMP 2.10's PF_OPTION list for the Backend."""
        from plugin import params, settings_file
        from plugin.hosts import gimp2_arguments

        folder = tempfile.mkdtemp()
        path = os.path.join(folder, "config.toml")
        old = os.environ.get("IMAGEN_GIMP_CONFIG")
        os.environ["IMAGEN_GIMP_CONFIG"] = path
        try:
            self.assertEqual(settings_file._toml is None, sys.version_info[0] == 2)  # 2.7: the line reader
            labels = [label for _nick, _value, label in params.BACKEND.extra]
            for text, enabled in ((u"", False), (u"[imagen]\nenabled = true\n", True),
                                  (u"[gemini]\nenabled = true\n[imagen]\n# enabled = true\n", False),
                                  (u"[imagen]  # legacy\n  enabled=true  # keeps an endpoint\n", True),
                                  (u"[imagen]\nenabled = false\n", False)):
                with open(path, "wb") as handle:
                    handle.write(text.encode("utf-8"))
                self.assertEqual(settings_file.imagen_enabled(), enabled, text)
                pf = gimp2_arguments.pf_param(params.BACKEND)
                self.assertEqual(list(pf[4]), labels if enabled else labels[:3])  # the others keep their numbers
        finally:
            shutil.rmtree(folder)
            if old is None:
                del os.environ["IMAGEN_GIMP_CONFIG"]
            else:
                os.environ["IMAGEN_GIMP_CONFIG"] = old

    def test_check_target(self):
        job_client.check_target("remove", True, True)
        job_client.check_target("generate", False, False)
        self.assertRaises(errors.HostError, job_client.check_target, "remove", False, False)
        self.assertRaises(errors.HostError, job_client.check_target, "remove", True, False)
        self.assertRaises(errors.HostError, job_client.check_target, "generate", False, False, True)


class TestEntry(unittest.TestCase):
    def test_a_linked_entry_finds_the_repository(self):
        """GIMP runs the link in its plug-in folder; the entry follows it back to the repository."""
        folder = tempfile.mkdtemp()
        try:
            link = os.path.join(folder, "imagen_gimp_2.py")
            os.symlink(os.path.join(stubtools.REPO, "imagen_gimp_2.py"), link)
            code = ("import sys, runpy; sys.path[:] = [p for p in sys.path if p not in ('', %r)]; "
                    "sys.path.insert(0, %r); runpy.run_path(%r, run_name='__main__'); import gimp, plugin; "
                    "print(len(gimp._stub.installed)); print(plugin.__file__)"
                    % (stubtools.REPO, stubtools.HERE, link))
            env = dict(os.environ)
            env.pop("PYTHONPATH", None)
            out = subprocess.check_output([sys.executable, "-B", "-c", code], cwd=folder, env=env)
            count, where = out.decode("utf-8").split()
            self.assertEqual(int(count), len(procedures.PROCEDURES) + 1)  # and Check Setup
            self.assertTrue(os.path.realpath(where).startswith(os.path.realpath(stubtools.REPO)), where)
        finally:
            shutil.rmtree(folder)


class TestMaskedActions(AdapterCase):
    def test_remove_adds_a_group_with_one_masked_layer_per_variation(self):
        gimp.pdb.gimp_image_select_rectangle(self.image, E.CHANNEL_OP_REPLACE, 12, 10, 8, 6)
        original = stubtools.pixels(self.layer)
        self.succeed("remove", backend="local", variations=2, seed=5, grow=1, feather=1, context=3)
        group = self.group()
        self.assertEqual(self.image.layers, [group, self.layer])
        self.assertTrue(group.name.startswith(b"Remove Object" if bytes is str else "Remove Object"))
        children = group.layers
        self.assertEqual(len(children), 2)
        self.assertEqual([c.visible for c in children], [True, False])
        roi = (12 - 5, 10 - 5, 8 + 10, 6 + 10)  # selection + grow + feather + context
        for child in children:
            self.assertEqual(child.offsets + (child.width, child.height), roi)
            self.assertEqual(child.type, E.RGBA_IMAGE)
            mask = bytearray(child.mask._pixels)
            inside = [mask[(y - roi[1]) * roi[2] + (x - roi[0])]
                      for y in range(10, 16) for x in range(12, 20)]
            self.assertEqual(set(inside), set([255]))
            self.assertEqual(sum(mask), 255 * 8 * 6)
            data = parasite(child)
            self.assertEqual((data["action"], data["backend"], data["model"]), ("remove", "fake", "fake-1"))
            self.assertNotIn("access_token", data)
            self.assertEqual(data["plugin_version"], paste_plan.PLUGIN_VERSION)
        self.assertEqual([parasite(c)["seed"] for c in children], [5, 6])
        self.assertEqual(stubtools.pixels(self.layer), original)
        self.assert_one_undo_group()
        progress = gimp._stub.progress
        self.assertEqual(progress[0], ("init", b"Remove Object: reading the picture" if bytes is str
                                       else "Remove Object: reading the picture"))
        fractions = [event[1] for event in progress if event[0] == "update"]
        self.assertTrue(fractions and all(0.0 <= f <= 1.0 for f in fractions))
        self.assertEqual(fractions, sorted(fractions))
        self.assertEqual(progress[-1], ("end",))

    def test_only_the_region_of_interest_is_read(self):
        gimp.pdb.gimp_image_select_rectangle(self.image, E.CHANNEL_OP_REPLACE, 20, 12, 4, 4)
        self.succeed("remove", backend="local", grow=0, feather=0, context=2)
        self.assertEqual(sorted(gimp._stub.reads),
                         [("Background", 18, 10, 8, 8), ("Selection Mask", 18, 10, 8, 8)])

    def test_offset_layer_partly_off_canvas(self):
        layer = gimp.Layer(self.image, "moved", 30, 20, E.RGBA_IMAGE, 100.0, E.LAYER_MODE_NORMAL)
        self.image.insert_layer(layer, position=0)
        layer._pixels[:] = bytearray(gradient(30, 20))
        layer.set_offsets(-10, 15)  # sticks out left and bottom of the 40x30 canvas
        gimp.pdb.gimp_image_select_rectangle(self.image, E.CHANNEL_OP_REPLACE, 0, 18, 5, 4)
        self.image.changes[:] = []
        self.succeed("remove", drawable=layer, backend="local", grow=0, feather=0, context=4)
        child = self.group().layers[0]
        # the ROI reaches off the canvas on the layer (x -4), never past the layer
        self.assertEqual(child.offsets + (child.width, child.height), (-4, 15, 13, 11))
        mask = bytearray(child.mask._pixels)
        self.assertEqual(sum(mask), 255 * 5 * 4)  # off-canvas columns read as "not selected"
        self.assertEqual(mask[(18 - 15) * 13 + 4], 255)
        self.assertEqual(mask[(18 - 15) * 13 + 3], 0)
        self.assertEqual(self.image.layers[0], self.group())
        self.assertEqual(layer.offsets, (-10, 15))

    def test_group_goes_above_a_layer_inside_a_group(self):
        folder = gimp.GroupLayer(self.image, "folder")
        self.image.insert_layer(folder, position=0)
        inner = gimp.Layer(self.image, "inner", W, H, E.RGBA_IMAGE, 100.0, E.LAYER_MODE_NORMAL)
        gimp.pdb.gimp_image_insert_layer(self.image, inner, folder, 0)
        gimp.pdb.gimp_image_select_rectangle(self.image, E.CHANNEL_OP_REPLACE, 5, 5, 5, 5)
        self.succeed("remove", drawable=inner, backend="local")
        self.assertEqual(folder.layers[1], inner)
        self.assertTrue(isinstance(folder.layers[0], gimp.GroupLayer))

    def test_inpaint_and_background_and_edit(self):
        gimp.pdb.gimp_image_select_ellipse(self.image, E.CHANNEL_OP_REPLACE, 10, 5, 16, 12)
        self.succeed("inpaint", prompt=u"a red kite \u2601", backend="gemini")
        self.succeed("background", mode="color", color=(10, 20, 30), backend="local")
        self.succeed("edit", prompt="night", backend="gemini")
        groups = [layer for layer in self.image.layers if isinstance(layer, gimp.GroupLayer)]
        self.assertEqual(len(groups), 3)
        self.assertEqual(self.image.undo_groups, 3)

    def test_long_non_ascii_prompt_names_the_group(self):
        gimp.pdb.gimp_image_select_rectangle(self.image, E.CHANNEL_OP_REPLACE, 5, 5, 5, 5)
        prompt = u"une cath\u00e9drale gothique au cr\u00e9puscule, brume l\u00e9g\u00e8re sur la Seine"
        self.succeed("inpaint", prompt=prompt.encode("utf-8") if bytes is str else prompt, backend="gemini")
        name = self.group().name
        name = name.decode("utf-8") if isinstance(name, bytes) else name
        self.assertTrue(name.startswith(u"Inpaint: une cath\u00e9drale"), name)
        self.assertTrue(name.endswith(u"\u2026"))
        self.assertEqual(parasite(self.group().layers[0])["prompt"], prompt)


class TestOtherActions(AdapterCase):
    def test_expand_by_margins_grows_the_canvas_and_keeps_the_original(self):
        original = stubtools.pixels(self.layer)
        self.succeed("expand", backend="local", expand_mode="margins", left=4, top=0, right=6, bottom=3)
        self.assertEqual((self.image.width, self.image.height), (50, 33))
        self.assertEqual(self.layer.offsets, (4, 0))
        self.assertEqual(stubtools.pixels(self.layer), original)
        child = self.group().layers[0]
        self.assertEqual(child.offsets + (child.width, child.height), (0, 0, 50, 33))
        self.assertEqual(bytearray(child.mask._pixels)[0], 255)
        self.assertEqual(bytearray(child.mask._pixels)[5 * 50 + 10], 0)
        self.assertEqual(parasite(child)["action"], "outpaint")
        self.assert_one_undo_group()

    def test_expand_to_an_aspect_ratio(self):
        self.succeed("expand", backend="local", expand_mode="aspect", aspect_ratio="square",
                     anchor="top-left")
        self.assertEqual((self.image.width, self.image.height), (40, 40))
        self.assertEqual(self.layer.offsets, (0, 0))

    def test_upscale_makes_a_new_image_and_leaves_the_source(self):
        gimp.pdb.gimp_image_select_rectangle(self.image, E.CHANNEL_OP_REPLACE, 10, 10, 6, 5)
        before = stubtools.snapshot(self.image)
        new = self.succeed("upscale", backend="local", factor="x4")
        self.assertTrue(isinstance(new, gimp.Image))
        self.assertEqual((new.width, new.height), (24, 20))
        self.assertEqual(len(new.layers), 1)
        self.assertEqual(parasite(new.layers[0])["action"], "upscale")
        self.assertTrue(new.undo_enabled)
        self.assertEqual(stubtools.snapshot(self.image), before)
        self.assertEqual(gimp._stub.displays, [])  # NONINTERACTIVE: no display

    def test_generate_new_image_or_into_the_current_one(self):
        new = self.succeed("generate", prompt="a lighthouse", backend="gemini")
        self.assertEqual((new.width, new.height), (32, 24))
        self.succeed("generate", prompt="a lighthouse", backend="gemini", into_image=True, variations=2)
        group = self.group()
        self.assertEqual(self.image.layers[0], group)
        self.assertEqual([c.offsets for c in group.layers], [(0, 0), (0, 0)])
        ok, text = self.call("generate", image=None, drawable=None, prompt="x", into_image=True)
        self.assertFalse(ok)
        self.assertIn("needs an open image", text)

    def test_generate_without_an_image(self):
        new = self.succeed("generate", image=None, drawable=None, prompt="a lighthouse", backend="gemini")
        self.assertEqual(len(new.layers), 1)

    def test_references_by_name_or_the_active_layer(self):
        name = host_op.native_str(u"Sk\u00e9tch, 2")  # UTF-8 bytes in 2.7, as pygimp has names
        sketch = gimp.Layer(self.image, name, 8, 6, E.RGBA_IMAGE, 100.0, E.LAYER_MODE_NORMAL)
        self.image.insert_layer(sketch, position=0)
        sketch._pixels[:] = bytearray(b"\x11\x22\x33\xff" * 48)
        new = self.succeed("customize", prompt="a mug", backend="gemini", reference_layers=name)
        self.assertEqual(bytes(new.layers[0]._pixels[:4]), b"\x11\x22\x33\xff")
        self.assertEqual(parasite(new.layers[0])["action"], "customize")
        self.succeed("customize", prompt="a mug", backend="gemini", kind="style", into_image=True)
        self.assertEqual(bytes(self.group().layers[0]._pixels[:4]), bytes(gradient()[:4]))
        self.fails_cleanly("customize", "no layer called", prompt="x", reference_layers="Nope")

    def test_check_setup_is_registered_and_reports(self):
        self.assertIn(procedures.SETUP_PROCEDURE, gimpfu._registered_plugins_)
        text, passed = worker_client.check_setup("/nonexistent-imagen-gimp")
        self.assertFalse(passed)
        self.assertTrue(text.startswith("PROBLEM "), text)
        self.assertIn("install.sh", text)

    def test_describe_shows_the_text_and_can_store_it(self):
        self.succeed("describe", backend="gemini")
        shown = gimp._stub.messages[-1]
        self.assertIn(u"caf\u00e9", shown.decode("utf-8") if isinstance(shown, bytes) else shown)
        self.assertEqual(self.image.parasite_list(), ())
        self.succeed("describe", backend="gemini", store_comment=True)
        data = self.image.parasite_find(paste_plan.COMMENT_PARASITE).data
        self.assertTrue(data.endswith(b"\0"))
        self.assertIn(u"caf\u00e9", data.decode("utf-8"))
        self.assert_one_undo_group()

    def test_gray_image_gets_gray_layers(self):
        image, layer = stubtools.image_from_rgba(W, H, gradient(bpp=2), kind=E.GRAYA_IMAGE, base=E.GRAY)
        gimp.pdb.gimp_image_select_rectangle(image, E.CHANNEL_OP_REPLACE, 3, 3, 4, 4)
        self.succeed("remove", image=image, drawable=layer, backend="local", grow=0, feather=0, context=0)
        child = self.group(image).layers[0]
        self.assertEqual(child.type, E.GRAYA_IMAGE)
        pixels = bytearray(child._pixels)
        self.assertEqual(len(pixels), 4 * 4 * 2)
        self.assertEqual(pixels[0], (255 * 77 + 255 * 29 + 128) >> 8)  # magenta as luma
        self.assertEqual(pixels[1], 255)

    def test_rgb_layer_without_alpha(self):
        image, layer = stubtools.image_from_rgba(W, H, gradient(bpp=3), kind=E.RGB_IMAGE)
        gimp.pdb.gimp_image_select_rectangle(image, E.CHANNEL_OP_REPLACE, 3, 3, 4, 4)
        self.succeed("remove", image=image, drawable=layer, backend="local", grow=0, feather=0, context=1)
        child = self.group(image).layers[0]
        corner = bytearray(child._pixels)[:4]
        self.assertEqual(corner, bytearray(gradient(bpp=4)[(2 * W + 2) * 4:(2 * W + 2) * 4 + 4]))


class TestRunModes(AdapterCase):
    def test_interactive_then_with_last_values(self):
        answers = stubtools.args_for(PREFIX + "remove", backend="local", variations=3, seed=9)
        gimp._stub.dialog = lambda proc_name, defaults: answers
        gimp.pdb.gimp_image_select_rectangle(self.image, E.CHANNEL_OP_REPLACE, 5, 5, 5, 5)
        try:
            gimp.run_from_menu(PREFIX + "remove", self.image, self.layer, E.RUN_INTERACTIVE)
        finally:
            del gimp._stub.dialog
        self.assertEqual(len(self.group().layers), 3)
        gimp.run_from_menu(PREFIX + "remove", self.image, self.layer, E.RUN_WITH_LAST_VALS)
        groups = [layer for layer in self.image.layers if isinstance(layer, gimp.GroupLayer)]
        self.assertEqual([len(g.layers) for g in groups], [3, 3])
        self.assertEqual(parasite(groups[0].layers[0])["seed"], 9)

    def test_interactive_new_image_gets_a_display(self):
        gimp._stub.has_display = True
        answers = stubtools.args_for(PREFIX + "upscale", backend="local")
        gimp._stub.dialog = lambda proc_name, defaults: answers
        try:
            new = gimp.run_from_menu(PREFIX + "upscale", self.image, self.layer, E.RUN_INTERACTIVE)
        finally:
            del gimp._stub.dialog
        self.assertEqual([d.image for d in gimp._stub.displays], [new])


class TestFailures(AdapterCase):
    def test_masked_action_without_selection(self):
        self.fails_cleanly("remove", "needs a selection", backend="local")

    def test_drawable_must_be_a_layer(self):
        gimp.pdb.gimp_image_select_rectangle(self.image, E.CHANNEL_OP_REPLACE, 5, 5, 5, 5)
        self.fails_cleanly("remove", "works on one layer", drawable=self.image.selection, backend="local")

    def test_worker_crash_pastes_nothing(self):
        gimp.pdb.gimp_image_select_rectangle(self.image, E.CHANNEL_OP_REPLACE, 5, 5, 5, 5)
        text = self.fails_cleanly("remove", "crashed", backend="local", prompt="FAULT:crash")
        self.assertIn("injected crash", text)

    def test_worker_user_error_and_garbage(self):
        gimp.pdb.gimp_image_select_rectangle(self.image, E.CHANNEL_OP_REPLACE, 5, 5, 5, 5)
        self.fails_cleanly("remove", "injected problem", backend="local", prompt="FAULT:user")
        self.fails_cleanly("remove", "no picture", backend="local", prompt="FAULT:garbage")

    def test_expand_already_at_the_ratio(self):
        square, layer = stubtools.image_from_rgba(W, W, gradient(W, W))
        self.fails_cleanly("expand", "already has the aspect ratio", image=square, drawable=layer,
                           expand_mode="aspect", aspect_ratio="square")

    def test_a_paste_that_fails_half_way_is_rolled_back(self):
        original = gimp.Layer.add_mask
        calls = []

        def add_mask_failing_second(layer, mask):
            calls.append(layer)
            if len(calls) == 2:
                raise gimp.error("no memory for the mask")
            return original(layer, mask)

        gimp.Layer.add_mask = add_mask_failing_second
        try:
            text = self.fails_cleanly("expand", "internal error", backend="local", expand_mode="margins",
                                      left=3, right=3, variations=2)
        finally:
            gimp.Layer.add_mask = original
        self.assertIn("no memory for the mask", text)
        self.assertEqual(self.image.undo_depth, 0)

    def test_partial_results_are_pasted_with_a_note(self):
        gimp.pdb.gimp_image_select_rectangle(self.image, E.CHANNEL_OP_REPLACE, 5, 5, 5, 5)
        self.succeed("inpaint", backend="gemini", prompt="FAULT:partial", variations=3)
        self.assertEqual(len(self.group().layers), 1)
        shown = [m.decode("utf-8") if isinstance(m, bytes) else m for m in gimp._stub.messages]
        self.assertTrue(any("2 of 3 variations did not come back" in m for m in shown), shown)
        self.assert_one_undo_group()

    def test_progress_ends_even_on_failure(self):
        self.fails_cleanly("remove", "selection", backend="local")
        self.assertEqual(gimp._stub.progress[-1], ("end",))


def python_label():
    return "Python %d.%d.%d" % sys.version_info[:3]


if __name__ == "__main__":
    os.environ.setdefault("IMAGEN_GIMP_WORKER_MODULE", "fake_worker")
    unittest.main()
