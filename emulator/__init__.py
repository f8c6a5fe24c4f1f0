"""A loopback emulator of Vertex AI as Google serves it on 2026-12-01 (test and demo support, not product).

It speaks `:generateContent`, `:countTokens` and `models.get` for today's Gemini image and text models,
answers Google's 404 for every shut-down id, validates requests as strictly as the service documents,
and can be told to fail in each way the service fails; the legacy Imagen `:predict` side is there
only for a server started with imagen=True.

    from emulator import EmulatorServer, Fault, start_in_thread
    server, url = start_in_thread(faults=[Fault("429", count=2)])
    ...  # genai.Client(vertexai=True, ..., http_options=types.HttpOptions(base_url=url + "/"))
    server.stop()

Command line: `python -m emulator --port 8080` (or `imagen-gimp-emulator`); `--help` lists the options.
"""

from importlib import import_module
from typing import Any

_EXPORTS = {
    "EmulatorServer": "emulator.server",
    "Recorded": "emulator.server",
    "start_in_thread": "emulator.server",
    "Fault": "emulator.faults",
    "local_engine": "emulator.engines",
    "quick_engine": "emulator.engines",
}


def __getattr__(name: str) -> Any:
    """The names above, loaded on first use (PEP 562): the package itself imports none of its modules,
    so `from emulator import errors` inside them is no circle through this file."""
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'emulator' has no attribute {name!r}")


__all__ = ["EmulatorServer", "Fault", "Recorded", "local_engine", "quick_engine", "start_in_thread"]
