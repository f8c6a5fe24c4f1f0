"""The host interface: what job_client.run_job needs from a GIMP (or from the tests' fake) and nothing more.

Gimp3Host (hosts/gimp3.py), Gimp2Host (hosts/gimp2.py) and tests/host_support.FakeHost implement it;
everything else of a call (planning, the job, the worker, the paste plan) is shared. Coordinates are
the image's; pixels are bytes: RGBA 8-bit (R'G'B'A u8), the selection one byte per pixel. Python 2.7
syntax (GIMP 2.10 shares it).
"""

from __future__ import absolute_import


class Host(object):
    """One procedure call's view of GIMP. Methods a host lacks raise NotImplementedError."""

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
