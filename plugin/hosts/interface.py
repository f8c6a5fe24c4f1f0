"""The host interface: what a call (hosts/job_client.py) needs from a GIMP (or from the tests' fake), nothing more.

Host is the read half: Gimp3Host (hosts/gimp3.py), Gimp2Host (hosts/gimp2.py) and
tests/host_support.FakeHost implement it. Writer is the write half, the primitives a paste plan is
applied through (hosts/paste_exec.py): Gimp3Writer (hosts/gimp3_paste.py), Gimp2Writer
(hosts/gimp2_paste.py) and tests/host_support.FakeImage. Everything else of a call (planning, the job,
the worker, the paste plan and its order, undo group and roll back) is shared. Coordinates are
the image's; pixels are bytes: RGBA 8-bit (R'G'B'A u8), the selection one byte per pixel. Python 2.7
syntax (GIMP 2.10 shares it).
"""

from __future__ import absolute_import

import abc

_Abstract = abc.ABCMeta("_Abstract", (object,), {})  # an abstract base in Python 2.7 and 3 alike


class Host(object):
    """One procedure call's view of GIMP. Methods a host lacks raise NotImplementedError."""

    layer = None  # the layer the action reads (the host's handle); None when it reads none
    result_layer = None  # Refine Result / Run Again: the selected result layer (`layer` is what lies under it)

    def writer(self):
        # type: () -> Writer
        """The write half (Writer, below) over the call's image: what the paste goes through."""
        raise NotImplementedError

    def canvas_size(self):
        # type: () -> tuple
        """(width, height) of the image; None when there is no image (Generate Image)."""
        raise NotImplementedError

    def layer_rect(self):
        # type: () -> object
        """The active layer's Rect in image coordinates; None when the action reads no layer."""
        raise NotImplementedError

    def selection_bounds(self):
        # type: () -> object
        """The selection's bounding Rect; None when nothing is selected."""
        raise NotImplementedError

    def read_pixels(self, rect, transparent_outside):
        # type: (object, bool) -> bytes
        """rect of the layer as RGBA, one read: transparent where rect leaves the layer when
        transparent_outside, else the layer's edge pixels repeated."""
        raise NotImplementedError

    def read_selection(self, rect):
        # type: (object) -> bytes
        """The selection channel over rect, 0..255, zero outside the image."""
        raise NotImplementedError

    def selected_layer_names(self):
        # type: () -> list
        """The layers selected in the Layers dialog, in order."""
        raise NotImplementedError

    def layer_names(self):
        # type: () -> list
        """Every layer of the image, groups included, top to bottom."""
        raise NotImplementedError

    def read_layer(self, name):
        # type: (str) -> tuple
        """A whole layer as (width, height, RGBA bytes): a reference for Generate from References."""
        raise NotImplementedError

    def progress(self, fraction, text):
        # type: (float, str) -> None
        """Move the progress bar; fraction None starts it with text."""
        raise NotImplementedError

    def message(self, text):
        # type: (str) -> None
        """Tell the user something (a note, a partial result's reason)."""
        raise NotImplementedError

    def read_scene(self, rect):
        # type: (object) -> bytes
        """Harmonize: RGBA of the visible layers below the active layer, merged (for reading only: the
        image is not changed), over rect in image coordinates; transparent where nothing is."""
        raise NotImplementedError

    def read_recipe(self):
        # type: () -> dict
        """The active layer's imagen-gimp-provenance parasite, parsed (a result's recipe); None without."""
        raise NotImplementedError

    def read_layer_mask(self, rect):
        # type: (object) -> bytes
        """The active layer's mask over rect, 0..255 (0 where the layer does not reach); None without one."""
        raise NotImplementedError


class Writer(_Abstract):
    """The host interface's write half: one image's primitives, each one GIMP call's job in GIMP's terms.
    A writer lacking one cannot be made (abstract methods), so a host never pastes half a plan for that.

    hosts/paste_exec.py walks a paste plan through these (the order, the undo group, the roll back are
    decided there, once for both GIMPs); Gimp3Writer (hosts/gimp3_paste.py), Gimp2Writer
    (hosts/gimp2_paste.py) and tests/host_support.FakeImage implement them. Items (layers, groups) are
    the host's own handles; a parent None is the image's top level; positions count from the top.
    """

    image = None  # the host's image these primitives change (a new image is returned to the PDB caller)

    @abc.abstractmethod
    def size(self):
        # type: () -> tuple
        """(width, height) of the image."""

    @abc.abstractmethod
    def undo_group_start(self):
        # type: () -> None
        """Changes from here on are one step in Edit > Undo, until undo_group_end."""

    @abc.abstractmethod
    def undo_group_end(self):
        # type: () -> None
        """The undo step started by undo_group_start closed."""

    @abc.abstractmethod
    def resize(self, width, height, offset_x, offset_y):
        # type: (int, int, int, int) -> None
        """The canvas to width x height, the content moved by the offsets (grow, or shrink back)."""

    @abc.abstractmethod
    def parent(self, item):
        # type: (object) -> object
        """The group holding item; None at the image's top level."""

    @abc.abstractmethod
    def position(self, item):
        # type: (object) -> int
        """item's position among its siblings, 0 on top."""

    @abc.abstractmethod
    def insert_group(self, name, parent, position):
        # type: (str, object, int) -> object
        """A new, empty layer group inserted under parent at position; returned."""

    @abc.abstractmethod
    def insert_layer(self, name, width, height, parent, position):
        # type: (str, int, int, object, int) -> object
        """A new transparent layer with alpha (grey in a grey image) inserted under parent at position."""

    @abc.abstractmethod
    def set_offsets(self, layer, x, y):
        # type: (object, int, int) -> None
        """layer's top left corner moved to (x, y) in the image."""

    @abc.abstractmethod
    def write_pixels(self, layer, rgba):
        # type: (object, bytes) -> None
        """The whole layer's pixels from RGBA bytes (R'G'B'A u8, as the worker writes them)."""

    @abc.abstractmethod
    def add_mask(self, layer, values):
        # type: (object, bytes) -> None
        """A layer mask added to layer, its values (one byte a pixel, the layer's size) written."""

    @abc.abstractmethod
    def set_visible(self, item, visible):
        # type: (object, bool) -> None
        """item shown or hidden (the eye in the Layers dialog)."""

    @abc.abstractmethod
    def attach_parasite(self, item, name, data):
        # type: (object, str, bytes) -> None
        """A persistent, undoable parasite on item; item None: on the image (the comment)."""

    @abc.abstractmethod
    def remove_layer(self, item):
        # type: (object) -> None
        """item (a group with its layers) removed, if it is still in the image."""

    @abc.abstractmethod
    def replace_selection(self, x, y, width, height, values):
        # type: (int, int, int, int, bytes) -> None
        """The image's selection replaced: values (one byte a pixel, soft edges kept) over the rectangle,
        which lies inside the image (it may be empty), nothing selected elsewhere."""

    @abc.abstractmethod
    def new_image(self, width, height):
        # type: (int, int) -> Writer
        """A new RGB image, its undo off, as a Writer of its own."""

    @abc.abstractmethod
    def display(self):
        # type: () -> None
        """A new image finished: its undo on again, and shown in a window when the call is interactive."""

    @abc.abstractmethod
    def delete_image(self):
        # type: () -> None
        """A new image that failed half way, deleted."""
