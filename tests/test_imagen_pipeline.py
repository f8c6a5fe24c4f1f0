"""The vertex backend under the real pipeline (crop, working size, blend) with the emulator: what
the GIMP actions run, minus GIMP."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("google.cloud.aiplatform_v1")

from plugin import ops, pipeline  # noqa: E402
from plugin.backends import make_backend  # noqa: E402
from plugin.config import Settings  # noqa: E402

CAT = "tests/data/cat.jpg"


EMULATOR_OPTIONS = {"imagen": True}  # a project that keeps an Imagen endpoint


@pytest.fixture
def backend(emulator):
    emulator.requests.clear()
    return make_backend("vertex", Settings(project="p", endpoint=emulator.url))


def cat() -> np.ndarray:
    return np.asarray(Image.open(CAT).convert("RGBA")).copy()


def test_make_backend_gives_the_legacy_imagen_backend_for_vertex(backend):
    assert backend.name == "imagen"


def test_insert_through_pipeline_keeps_pixels_outside_selection(backend, emulator):
    image = cat()
    height, width = image.shape[:2]
    selection = np.zeros((height, width), np.uint8)
    selection[height // 3 : height // 2, width // 3 : width // 2] = 255
    op = ops.InpaintInsert(prompt="a small red ball", variations=2, grow=0, feather=0)
    output = pipeline.run(op, image, selection, backend)
    assert len(output.layers) == 2 and output.model == "imagen-3.0-capability-001"
    body = emulator.predict_bodies()[-1]
    assert body["parameters"]["sampleCount"] == 2  # one call for all variations
    for layer in output.layers:
        assert layer.pixels.ndim == 3 and layer.pixels.shape[2] == 4


def test_generate_through_pipeline(backend):
    output = pipeline.run(ops.Generate(prompt="a lighthouse", variations=2, seed=42), None, None, backend)
    assert len(output.layers) == 2
    assert all(layer.provenance.get("seed") == 42 for layer in output.layers)


def test_describe_through_pipeline(backend):
    output = pipeline.run(ops.Describe(), cat(), None, backend)
    assert output.texts and output.texts[0].startswith("emulator caption")
