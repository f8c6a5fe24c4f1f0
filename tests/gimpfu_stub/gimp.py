"""Stub of GIMP 2.10's pygimp `gimp` module: images, layers, channels, pixel regions, parasites, pdb.

Mirrors the real names and signatures the Imagen adapter uses (pygimp-image.c, pygimp-drawable.c,
pygimp-tile.c, gimpmodule.c of the gimp-2-10 branch), keeps pixels in memory, and records what a
test needs to check: messages, progress, pixel reads, undo groups and which changes happened inside
them. Written in Python 2/3-compatible syntax: the same stub runs under pytest and under Python 2.7.
Everything that is not part of pygimp is under the `_stub` name.
"""
# ruff: noqa: UP003, UP004, UP025, UP028, UP031  (Python 2.7 syntax: this file also runs under 2.7)

import sys

import gimpenums as E

PY2 = sys.version_info[0] == 2
_TEXT = (str, type(u""))
BPP = {E.RGB_IMAGE: 3, E.RGBA_IMAGE: 4, E.GRAY_IMAGE: 1, E.GRAYA_IMAGE: 2}
BASE_OF_TYPE = {E.RGB_IMAGE: E.RGB, E.RGBA_IMAGE: E.RGB, E.GRAY_IMAGE: E.GRAY, E.GRAYA_IMAGE: E.GRAY}


class error(RuntimeError):
    """pygimp's gimp.error: what a failed pdb call raises."""


class _State(object):
    """What happened, for tests; reset with _stub.reset()."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.messages = []
        self.progress = []  # ("init", text) / ("update", fraction) / ("text", text) / ("end",)
        self.reads = []  # (drawable name, x, y, w, h) of every pixel-region read
        self.images = []
        self.displays = []
        self.has_display = False  # like gimp-console: gimp.Display() fails
        self.installed = {}  # proc name -> dict(params, results, menu, label, imagetypes, ...)
        self.run_proc = None
        self.calls = []  # (proc name, status) of plug-in calls through pdb
        self.last_traceback = None
        self.flushed = 0


_stub = _State()


def _native(value, what):
    """What PyArg_ParseTuple's "s" does: text only; on 2.7 unicode must be ASCII (it encodes with ascii)."""
    if not isinstance(value, _TEXT):
        raise TypeError("%s must be a string, not %s" % (what, type(value).__name__))
    if PY2 and isinstance(value, type(u"")):
        return value.encode("ascii")  # UnicodeEncodeError for non-ASCII, as in pygimp
    return value


def _data(value, what):
    """What "s#" takes: a byte string (str on 2.7, bytes on 3)."""
    if not isinstance(value, bytes):
        raise TypeError("%s must be a byte string, not %s" % (what, type(value).__name__))
    return value


class Parasite(object):
    def __init__(self, name, flags, data):
        self.name = _native(name, "parasite name")
        self.flags = int(flags)
        self.data = _data(data, "parasite data")


class _ParasiteHolder(object):
    def _parasites(self):
        if not hasattr(self, "_parasite_map"):
            self._parasite_map = {}
        return self._parasite_map

    def parasite_find(self, name):
        return self._parasites().get(name)

    def parasite_attach(self, parasite):
        self._record("parasite " + parasite.name)
        self._parasites()[parasite.name] = parasite

    def attach_new_parasite(self, name, flags, data):
        self.parasite_attach(Parasite(name, flags, data))

    def parasite_detach(self, name):
        self._record("detach " + name)
        self._parasites().pop(name, None)

    def parasite_list(self):
        return tuple(sorted(self._parasites()))


_ids = [0]


def _next_id():
    _ids[0] += 1
    return _ids[0]


class Item(_ParasiteHolder):
    def __init__(self, image, name):
        self.ID = _next_id()
        self.image = image
        self._name = _native(name, "name")
        self._visible = True
        self.parent = None
        self.valid = True

    def _record(self, what):
        if self.image is not None:
            self.image._record(what)

    @property
    def name(self):
        return self._name

    @name.setter
    def name(self, value):
        self._record("name")
        self._name = _native(value, "name")

    @property
    def visible(self):
        return self._visible

    @visible.setter
    def visible(self, value):
        self._record("visible")
        self._visible = bool(value)


class Drawable(Item):
    def __init__(self, image, name, width, height, kind, offsets=(0, 0)):
        Item.__init__(self, image, name)
        if kind not in BPP:
            raise error("unsupported drawable type %r" % (kind,))
        self.width, self.height, self.type = int(width), int(height), kind
        self._offsets = (int(offsets[0]), int(offsets[1]))
        self._pixels = bytearray(self.width * self.height * BPP[kind])
        self._pending = {}  # uncommitted pixel-region writes: flush() makes them real

    bpp = property(lambda self: BPP[self.type])
    has_alpha = property(lambda self: self.type in (E.RGBA_IMAGE, E.GRAYA_IMAGE))
    is_rgb = property(lambda self: self.type in (E.RGB_IMAGE, E.RGBA_IMAGE))
    is_gray = property(lambda self: self.type in (E.GRAY_IMAGE, E.GRAYA_IMAGE))
    offsets = property(lambda self: self._offsets)

    def get_pixel_rgn(self, x, y, width, height, dirty=True, shadow=False):
        return PixelRgn(self, x, y, width, height, dirty, shadow)

    def flush(self):
        if self._pending:
            self._record("pixels " + self._name)
        for (x, y, w, h), data in sorted(self._pending.items()):
            self._write(x, y, w, h, data)
        self._pending = {}
        _stub.flushed += 1

    def update(self, x, y, width, height):
        pass

    def merge_shadow(self, undo=False):
        self.flush()

    def _read(self, x, y, w, h):
        bpp, out = self.bpp, bytearray()
        for row in range(y, y + h):
            start = (row * self.width + x) * bpp
            out += self._pixels[start:start + w * bpp]
        return bytes(out)

    def _write(self, x, y, w, h, data):
        bpp = self.bpp
        for index, row in enumerate(range(y, y + h)):
            start = (row * self.width + x) * bpp
            self._pixels[start:start + w * bpp] = data[index * w * bpp:(index + 1) * w * bpp]


class Channel(Drawable):
    def __init__(self, image, name, width, height, opacity=100.0, color=None):
        Drawable.__init__(self, image, name, width, height, E.GRAY_IMAGE)
        self.opacity = opacity


class Layer(Drawable):
    def __init__(self, image, name, width, height, type=E.RGB_IMAGE, opacity=100.0, mode=E.NORMAL_MODE):
        if not isinstance(image, Image):
            raise TypeError("image must be a gimp.Image")
        Drawable.__init__(self, image, name, width, height, type)
        self.opacity, self.mode = float(opacity), mode
        self.mask = None

    def set_offsets(self, offset_x, offset_y):
        self._record("offsets " + self._name)
        self._offsets = (int(offset_x), int(offset_y))

    def translate(self, offset_x, offset_y):
        self.set_offsets(self._offsets[0] + offset_x, self._offsets[1] + offset_y)

    def create_mask(self, type):
        if type not in (E.ADD_MASK_WHITE, E.ADD_MASK_BLACK):
            raise error("stub: only white and black masks")
        mask = Channel(self.image, self._name + " mask", self.width, self.height)
        if type == E.ADD_MASK_WHITE:
            mask._pixels[:] = b"\xff" * len(mask._pixels)
        return mask

    def add_mask(self, mask):
        if self.mask is not None:
            raise error("layer already has a mask")
        if (mask.width, mask.height) != (self.width, self.height):
            raise error("mask size differs from the layer")
        self._record("mask " + self._name)
        self.mask = mask


class GroupLayer(Layer):
    def __init__(self, image, name="", opacity=100.0, mode=E.NORMAL_MODE):
        kind = E.GRAYA_IMAGE if image.base_type == E.GRAY else E.RGBA_IMAGE
        Layer.__init__(self, image, name, 1, 1, kind, opacity, mode)
        self.layers = []

    def get_pixel_rgn(self, *args, **kwargs):
        raise error("stub: a group's pixels are its children's")


class Image(_ParasiteHolder):
    def __init__(self, width, height, type=E.RGB):
        self.ID = _next_id()
        self.width, self.height, self.base_type = int(width), int(height), type
        self.layers = []
        self.selection = Channel(self, "Selection Mask", self.width, self.height)
        self.active_layer = None
        self.undo_enabled = True
        self.undo_depth = 0
        self.undo_groups = 0
        self.changes = []  # (what, undo depth, undo enabled)
        self.valid = True
        _stub.images.append(self)

    image = property(lambda self: self)

    def _record(self, what):
        self.changes.append((what, self.undo_depth, self.undo_enabled))

    def insert_layer(self, layer, *args, **kwargs):
        """pygimp: insert_layer(layer, parent=None, position=-1); an explicit None parent is a TypeError."""
        names = ("parent", "position")
        given = dict(zip(names, args))  # noqa: B905
        given.update(kwargs)
        if "parent" in given and not isinstance(given["parent"], Layer):
            raise TypeError("parent must be a layer")
        _insert(self, layer, given.get("parent"), given.get("position", -1))

    def add_layer(self, layer, position=-1):
        _insert(self, layer, None, position)

    def remove_layer(self, layer):
        _remove(self, layer)

    def resize(self, new_width, new_height, offset_x, offset_y):
        self._record("resize")
        for layer in _walk(self.layers):
            ox, oy = layer._offsets
            layer._offsets = (ox + offset_x, oy + offset_y)
        old = self.selection
        self.width, self.height = int(new_width), int(new_height)
        self.selection = Channel(self, "Selection Mask", self.width, self.height)
        for y in range(old.height):
            ny = y + offset_y
            if 0 <= ny < self.height:
                for x in range(old.width):
                    nx = x + offset_x
                    if 0 <= nx < self.width:
                        self.selection._pixels[ny * self.width + nx] = old._pixels[y * old.width + x]

    def undo_group_start(self):
        self.undo_depth += 1
        self.undo_groups += 1

    def undo_group_end(self):
        if self.undo_depth <= 0:
            raise error("undo group end without start")
        self.undo_depth -= 1

    def disable_undo(self):
        self.undo_enabled = False

    def enable_undo(self):
        self.undo_enabled = True


class Display(object):
    def __init__(self, image):
        if not _stub.has_display:
            raise error("could not create display")
        self.image = image
        _stub.displays.append(self)


class PixelRgn(object):
    """pygimp's PixelRgn: rgn[x1:x2, y1:y2] is a byte string in DRAWABLE coordinates, inside the region."""

    def __init__(self, drawable, x, y, w, h, dirty, shadow):
        if x < 0 or y < 0 or w <= 0 or h <= 0 or x + w > drawable.width or y + h > drawable.height:
            raise error("pixel region (%d, %d, %d, %d) is outside the drawable" % (x, y, w, h))
        self.drawable, self.x, self.y, self.w, self.h = drawable, x, y, w, h
        self.dirty, self.shadow, self.bpp = dirty, shadow, drawable.bpp

    def _area(self, key):
        if not isinstance(key, tuple) or len(key) != 2:
            raise TypeError("subscript must be a 2-tuple")
        bounds = []
        for part, low, size in ((key[0], self.x, self.w), (key[1], self.y, self.h)):
            if isinstance(part, slice):
                if part.step is not None:
                    raise TypeError("slice steps are not supported")
                start = low if part.start is None else part.start
                stop = low + size if part.stop is None else part.stop
            else:
                start, stop = part, part + 1
            if start < low or stop > low + size or stop <= start:
                raise IndexError("subscript out of range")
            bounds.append((start, stop))
        (x1, x2), (y1, y2) = bounds
        return x1, y1, x2 - x1, y2 - y1

    def __getitem__(self, key):
        x, y, w, h = self._area(key)
        _stub.reads.append((self.drawable.name, x, y, w, h))
        return self.drawable._read(x, y, w, h)

    def __setitem__(self, key, value):
        if not self.dirty:
            raise error("pixel region is not writable (dirty=False)")
        x, y, w, h = self._area(key)
        value = _data(value, "pixel data")
        if len(value) != w * h * self.bpp:
            raise ValueError("size mismatch: %d bytes for %dx%dx%d" % (len(value), w, h, self.bpp))
        self.drawable._pending[(x, y, w, h)] = value


# -- tree helpers (not pygimp) ----------------------------------------------------------------------

def _walk(layers):
    for layer in layers:
        yield layer
        if isinstance(layer, GroupLayer):
            for child in _walk(layer.layers):
                yield child


def _siblings(image, parent):
    return image.layers if parent is None else parent.layers


def _insert(image, layer, parent, position):
    if layer.image is not image:
        raise error("layer belongs to another image")
    if layer.parent is not None or layer in image.layers:
        raise error("layer is already in the image")
    if image.base_type != BASE_OF_TYPE[layer.type]:
        raise error("layer type does not match the image's base type")
    if parent is not None and not isinstance(parent, GroupLayer):
        raise error("parent is not a group layer")
    siblings = _siblings(image, parent)
    position = len(siblings) if position < 0 or position > len(siblings) else position
    image._record("insert " + layer.name)
    siblings.insert(position, layer)
    layer.parent = parent


def _remove(image, layer):
    siblings = _siblings(image, layer.parent)
    if layer not in siblings:
        raise error("layer is not in the image")
    image._record("remove " + layer.name)
    siblings.remove(layer)
    for item in _walk([layer]):
        item.valid = False
    layer.parent = None


# -- module functions -------------------------------------------------------------------------------

def message(text):
    _stub.messages.append(_native(text, "message"))


def progress_init(text=None):
    _stub.progress.append(("init", None if text is None else _native(text, "progress text")))


def progress_update(percentage):
    _stub.progress.append(("update", float(percentage)))


def displays_flush():
    pass


def delete(item):
    if isinstance(item, Image):
        pdb.gimp_image_delete(item)


def image_list():
    return [image for image in _stub.images if image.valid]


def main(init_proc, quit_proc, query_proc, run_proc):
    """gimp.main: GIMP's wire protocol starts here; the stub runs the query at once, keeps run_proc."""
    _stub.run_proc = run_proc
    query_proc()


def install_procedure(name, blurb, help, author, copyright, date, label, imagetypes, type, params, results):
    for definition in list(params) + list(results):
        if len(definition) != 3:
            raise TypeError("parameter definitions are (type, name, description)")
    _stub.installed[name] = {"blurb": blurb, "help": help, "label": label, "imagetypes": imagetypes,
                             "type": type, "params": list(params), "results": list(results), "menu": None}


def menu_register(name, path):
    _stub.installed[name]["menu"] = path


# -- pdb ----------------------------------------------------------------------------------------------

def _selection_bounds(image):
    sel, width = image.selection._pixels, image.width
    xs, ys = [], []
    for y in range(image.height):
        row = sel[y * width:(y + 1) * width]
        if any(row):
            ys.append(y)
            xs.extend((next(i for i, v in enumerate(row) if v), width - next(
                i for i, v in enumerate(reversed(row)) if v)))
    if not ys:
        return (0, 0, 0, image.width, image.height)
    return (1, min(xs), ys[0], max(xs), ys[-1] + 1)


def _select(image, operation, x, y, w, h, inside):
    if operation != E.CHANNEL_OP_REPLACE:
        raise error("stub: only CHANNEL_OP_REPLACE")
    sel = image.selection
    sel._pixels[:] = bytearray(len(sel._pixels))
    for row in range(max(0, y), min(image.height, y + h)):
        for col in range(max(0, x), min(image.width, x + w)):
            if inside(col + 0.5, row + 0.5):
                sel._pixels[row * image.width + col] = 255


def _ellipse(x, y, w, h):
    cx, cy, rx, ry = x + w / 2.0, y + h / 2.0, w / 2.0, h / 2.0
    return lambda px, py: ((px - cx) / rx) ** 2 + ((py - cy) / ry) ** 2 <= 1.0


def _shown_layers(layers):
    """Visible pixel layers, bottom first (a hidden group hides its children)."""
    out = []
    for layer in reversed(layers):
        if not layer.visible:
            continue
        if isinstance(layer, GroupLayer):
            out.extend(_shown_layers(layer.layers))
        else:
            out.append(layer)
    return out


def _new_from_visible(image, dest, name):
    """A new RGB(A) layer (not in the image) of the canvas as shown: layers over each other through
    their alpha and masks (normal mode, full opacity: what the adapter's results use)."""
    result = Layer(dest, _native(name, "name"), image.width, image.height, E.RGBA_IMAGE)
    canvas = result._pixels
    for layer in _shown_layers(image.layers):
        ox, oy = layer._offsets
        bpp, alpha = layer.bpp, layer.has_alpha
        for y in range(max(0, oy), min(image.height, oy + layer.height)):
            for x in range(max(0, ox), min(image.width, ox + layer.width)):
                at = ((y - oy) * layer.width + (x - ox)) * bpp
                pixel = layer._pixels[at:at + bpp]
                rgb = pixel[:3] if layer.is_rgb else pixel[:1] * 3
                weight = (pixel[bpp - 1] if alpha else 255) / 255.0
                if layer.mask is not None:
                    weight *= layer.mask._pixels[(y - oy) * layer.width + (x - ox)] / 255.0
                out = (y * image.width + x) * 4
                for channel in range(3):
                    canvas[out + channel] = int(round(canvas[out + channel] * (1 - weight) + rgb[channel] * weight))
                canvas[out + 3] = max(canvas[out + 3], int(round(weight * 255)))
    return result


def _position(image, item):
    return _siblings(image, item.parent).index(item)


def _delete_image(image):
    image.valid = False


def _undo_is_enabled(image):
    return image.undo_enabled


def _insert_channel(image, channel, parent, position):
    if parent is not None or (channel.width, channel.height) != (image.width, image.height):
        raise error("stub: a top-level channel the size of the image")
    image._record("channel added")
    image.channels = getattr(image, "channels", []) + [channel]


def _remove_channel(image, channel):
    image._record("channel removed")
    image.channels.remove(channel)


def _select_item(image, operation, item):
    if operation != E.CHANNEL_OP_REPLACE:
        raise error("stub: only CHANNEL_OP_REPLACE")
    if item not in getattr(image, "channels", []):
        raise error("stub: the item is not in the image")
    item.flush()
    image._record("selection")
    image.selection._pixels[:] = item._pixels


BUILTINS = {
    "gimp_selection_bounds": _selection_bounds,
    "gimp_selection_none": lambda image: _select(image, E.CHANNEL_OP_REPLACE, 0, 0, 0, 0, None),
    "gimp_image_select_rectangle": lambda image, op, x, y, w, h: _select(image, op, x, y, w, h,
                                                                         lambda px, py: True),
    "gimp_image_select_ellipse": lambda image, op, x, y, w, h: _select(image, op, x, y, w, h,
                                                                       _ellipse(x, y, w, h)),
    "gimp_image_insert_layer": _insert,
    "gimp_channel_new": lambda image, w, h, name, opacity, color: Channel(image, name, w, h, opacity, color),
    "gimp_image_insert_channel": _insert_channel,
    "gimp_image_remove_channel": _remove_channel,
    "gimp_image_select_item": _select_item,
    "gimp_image_remove_layer": _remove,
    "gimp_image_get_item_position": _position,
    "gimp_item_get_parent": lambda item: item.parent,
    "gimp_layer_new_from_visible": _new_from_visible,
    "gimp_item_delete": lambda item: setattr(item, "valid", False),
    "gimp_item_is_valid": lambda item: int(bool(item is not None and item.valid)),
    "gimp_image_undo_group_start": lambda image: image.undo_group_start(),
    "gimp_image_undo_group_end": lambda image: image.undo_group_end(),
    "gimp_image_undo_is_enabled": _undo_is_enabled,
    "gimp_image_delete": _delete_image,
    "gimp_progress_set_text": lambda text: _stub.progress.append(("text", _native(text, "text"))),
    "gimp_progress_pulse": lambda: _stub.progress.append(("pulse",)),
    "gimp_progress_end": lambda: _stub.progress.append(("end",)),
    "gimp_message": message,
    "gimp_displays_flush": displays_flush,
}


def run_from_menu(proc_name, image, drawable, run_mode=E.RUN_INTERACTIVE):
    """What GIMP's menu (and Filters > Repeat/Re-show) sends: the run mode, image and drawable only.

    GIMP truncates the argument list to the ones it collected (plug-in-commands.c), which is how
    gimpfu's _run knows to show its dialog or use the last values.
    """
    return _Procedure(proc_name)._run((run_mode, image, drawable))


class _Procedure(object):
    def __init__(self, name):
        self.proc_name = name

    def __call__(self, *args, **kwargs):
        run_mode = kwargs.pop("run_mode", E.RUN_NONINTERACTIVE)
        if kwargs:
            raise TypeError("only run_mode can be given by keyword")
        info = _stub.installed[self.proc_name]
        if len(args) != len(info["params"]) - 1:
            raise TypeError("wrong number of parameters: %d given, %d expected"
                            % (len(args), len(info["params"]) - 1))
        return self._run((run_mode,) + tuple(args))

    def _run(self, params):
        info = _stub.installed[self.proc_name]
        try:
            result = _stub.run_proc(self.proc_name, params)
        except Exception:
            import traceback
            _stub.last_traceback = traceback.format_exc()
            _stub.calls.append((self.proc_name, E.PDB_EXECUTION_ERROR))
            raise error("execution error")  # noqa: B904 (pygimp raises a fresh one)
        _stub.calls.append((self.proc_name, E.PDB_SUCCESS))
        if result is None and params[0] == E.RUN_INTERACTIVE:
            return None  # cancelled in the dialog
        if not info["results"]:
            return None
        if len(info["results"]) == 1 and isinstance(result, tuple):
            return result[0]
        return result


class _PDB(object):
    """gimp.pdb: pdb.gimp_foo_bar(...) runs gimp-foo-bar, the run mode filled in for plug-ins."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        if name in BUILTINS:
            return BUILTINS[name]
        dashed = name.replace("_", "-")
        if dashed in _stub.installed:
            return _Procedure(dashed)
        raise AttributeError("procedure not found: %s" % dashed)

    def __getitem__(self, name):
        return getattr(self, name.replace("-", "_"))


pdb = _PDB()
