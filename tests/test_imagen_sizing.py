"""Imagen's working size (plugin/legacy/imagen/sizing.py): the request scaled to what `:predict` takes,
the answer scaled back, so the pipeline blends it at the region's size and keeps every pixel outside.

Moved here from test_masks.py and test_compose.py when the pipeline stopped resizing for all backends."""

from __future__ import annotations

import numpy as np
import pytest

from plugin import ops
from plugin.geometry import fit_within
from plugin.legacy.imagen import sizing
from plugin.pipeline import run
from tests.conftest import FakeBackend, ellipse_mask, photo
from tests.test_compose import outside_identical
from tests.test_masks import square_selection


class SizedFake(FakeBackend):
    """The fake backend behind Imagen's sizing, with limits of the test's choosing (as ImagenBackend.run)."""

    def __init__(self, max_side=None, min_side=None, **kwargs):
        super().__init__(**kwargs)
        self.max_side, self.min_side = max_side, min_side

    def run(self, request, progress=None):
        return sizing.sized(lambda sent: super(SizedFake, self).run(sent), request, self.max_side, None, self.min_side)


def test_working_size_keeps_aspect_scaling_down_and_up():
    assert sizing.working_size(3000, 1500, 1024, None) == (1024, 512)
    assert sizing.working_size(100, 50, 1024, None) == (100, 50)  # never up without a minimum
    assert sizing.working_size(100, 50, 1024, None, min_side=512) == (512, 256)
    w, h = sizing.working_size(4000, 3000, None, 1_000_000)
    assert w * h <= 1_000_000 and abs(w / h - 4 / 3) < 0.01
    assert fit_within(7, 3, 2) == (2, 1)


def test_the_limits_keep_an_x4_upscale_under_the_17_megapixel_output():
    assert sizing.MAX_PIXELS * 16 <= 17_000_000


def test_resize_mask_hard_stays_binary():
    mask = square_selection()
    small = sizing.resize_mask(mask, (13, 11), hard=True)
    assert set(np.unique(small)) <= {0, 255}
    big = sizing.resize_mask(mask, (200, 160), hard=True)
    assert big.shape == (160, 200) and big[80, 100] == 255 and big[0, 0] == 0


def test_resize_rgba_does_not_darken_transparent_edges():
    rgba = np.zeros((20, 20, 4), np.uint8)
    rgba[:, :10] = (250, 250, 250, 255)  # white, opaque left half; transparent black right half
    out = sizing.resize_rgba(rgba, (57, 57))
    edge = out[:, 20:35]
    visible = edge[..., 3] > 20
    assert edge[visible][:, :3].min() > 200  # no dark fringe


@pytest.mark.parametrize("max_side,min_side", [(None, None), (64, None), (None, 1024)])
def test_pipeline_scales_down_and_up_and_keeps_outside(max_side, min_side):
    image = photo("coffee")
    height, width = image.shape[:2]
    selection = ellipse_mask(height, width, 301, 150, 61, 45)
    backend = SizedFake(max_side=max_side, min_side=min_side)
    op = ops.InpaintInsert(prompt="a red apple", grow=3, feather=7, context=40)
    output = run(op, image, selection, backend)
    request = backend.requests[0]
    if max_side:
        assert max(request.image.shape[:2]) == max_side
    if min_side:
        assert max(request.image.shape[:2]) == min_side
    assert request.mask.shape == request.image.shape[:2]
    assert set(np.unique(request.mask)) == {0, 255}  # the backend gets a hard mask
    layer = output.layers[0]
    outside_identical(image, layer)
    # the selected area itself is fully replaced by the backend's colour
    centre = layer.shown()[150 - layer.y, 301 - layer.x]
    assert tuple(centre[:3]) == (255, 0, 255)
    # the layer lies within selection bounds + grow + feather
    assert layer.x >= 301 - 61 - 10 and layer.x + layer.pixels.shape[1] <= 301 + 62 + 10


def test_a_subject_selection_stays_soft_and_an_upscale_keeps_its_size():
    image = np.full((300, 400, 4), 90, np.uint8)
    subject = np.zeros((300, 400), np.uint8)
    subject[100:200, 100:300] = 128
    background = ops.Background(mode="prompt", prompt="a beach")
    sent = sizing.at_working_size(ops_request(background, image, subject), 200, None)
    assert sent.image.shape == (150, 200, 4) and sent.mask[75, 100] == 128  # not made hard
    backend = SizedFake(max_side=200)
    result = backend.run(ops_request(ops.Upscale(factor=2), image, None))
    assert backend.requests[0].image.shape == (150, 200, 4) and result.images[0].shape == (300, 400, 4)


def ops_request(op, image, mask):
    from plugin.backends.base import EditRequest

    return EditRequest(op=op, image=image, mask=mask)
