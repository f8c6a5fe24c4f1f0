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

from emulator.engines import local_engine, quick_engine
from emulator.faults import Fault
from emulator.server import EmulatorServer, Recorded, start_in_thread

__all__ = ["EmulatorServer", "Fault", "Recorded", "local_engine", "quick_engine", "start_in_thread"]
