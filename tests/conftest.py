"""Shared test helpers: real photos from tests/data and a scriptable fake backend."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from plugin.backends.base import Backend, BackendResult, Capabilities, EditRequest
from plugin.pipeline import load_rgba

DATA = Path(__file__).parent / "data"
# warm workers started by tests end with this pytest process (plugin/link/warm_client.py owner_pid)
os.environ.setdefault("IMAGEN_GIMP_WORKER_OWNER", str(os.getpid()))
# every Gemini picture keeps its exchange for Refine Result: tests keep theirs out of the user's cache
if not os.environ.get("IMAGEN_GIMP_CONVERSATIONS"):
    import tempfile

    os.environ["IMAGEN_GIMP_CONVERSATIONS"] = tempfile.mkdtemp(prefix="imagen-gimp-test-conversations-")
PHOTOS = ["cat", "coffee", "astronaut", "rocket"]


def photo(name: str) -> np.ndarray:
    return load_rgba(str(DATA / f"{name}.jpg"))


def ellipse_mask(height: int, width: int, cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    inside = ((xx - cx) / rx) ** 2 + ((yy - cy) / ry) ** 2 <= 1.0
    return np.where(inside, 255, 0).astype(np.uint8)


class FakeBackend(Backend):
    """Paints the masked area (or all) a flat colour, or what `paint` makes; records requests."""

    name = "fake"

    def __init__(self, colour=(255, 0, 255, 255), actions=None, paint=None):
        self.colour = colour
        self.actions = actions or {
            "insert",
            "remove",
            "outpaint",
            "edit",
            "upscale",
            "background",
            "describe",
            "generate",
        }
        self.paint = paint
        self.requests: list[EditRequest] = []

    def capabilities(self) -> Capabilities:
        return Capabilities(actions=frozenset(self.actions))

    def run(self, request: EditRequest, progress=None) -> BackendResult:
        self.check_supported(request.op)
        self.requests.append(request)
        if request.op.action == "describe":
            return BackendResult(texts=["a fake caption"], model="fake-1")
        if request.image is None:
            size = (64, 64)
        else:
            size = request.image.shape[:2]
        if request.op.action == "upscale":
            size = (size[0] * request.op.factor, size[1] * request.op.factor)
        if self.paint is not None:
            picture = self.paint(request)
        elif request.mask is not None and request.op.action != "background":
            # like a good model: the kept area comes back as it was, the masked area is new
            picture = request.image.copy()
            picture[request.mask > 0] = self.colour
        else:
            picture = np.empty(size + (4,), np.uint8)
            picture[:] = self.colour
        return BackendResult(images=[picture], model="fake-1")


@pytest.fixture
def fake_backend():
    return FakeBackend()


@pytest.fixture
def cloud_worker(monkeypatch, emulator, tmp_path):
    """The real worker, as a host starts it, talking to the loopback emulator (today's Gemini models)
    under Automatic, with no settings file: what a new user with only a project set has."""
    import sys

    monkeypatch.setenv("IMAGEN_GIMP_PYTHON", sys.executable)
    monkeypatch.setenv("IMAGEN_GIMP_ENDPOINT", emulator.url)
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "test-project")
    monkeypatch.setenv("IMAGEN_GIMP_CONFIG", str(tmp_path / "no-config.toml"))
    emulator.requests.clear()
    emulator.faults.clear()
    return emulator


@pytest.fixture(scope="module")
def emulator(request):
    """The loopback emulator of Vertex AI as served today, one per test module, with the quick engine.

    A module can set EMULATOR_OPTIONS (for example {"imagen": True} for a project that keeps an
    Imagen endpoint, or {"shut_down": [...]}) for start_in_thread.
    """
    from emulator import quick_engine, start_in_thread

    options = getattr(request.module, "EMULATOR_OPTIONS", {})
    server, _ = start_in_thread(engine=quick_engine, **options)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def server(emulator):
    """The emulator's own tests call it the server."""
    return emulator


@pytest.fixture
def genai(server):
    """google-genai on a clean emulator: no faults, no shut-down models, no recorded calls."""
    from tests.emulator_support import client

    server.faults.clear()
    server.shut_down.clear()
    server.requests.clear()
    return client(server.url)
