"""What every backend on Google's side (Gemini, Imagen (legacy)) does alike, said once.

Apart from base.py because it leans on the local engine (base.py <- local.py <- this: no circle).
"""

from __future__ import annotations

from typing import Any

from plugin.backends.base import Backend, BackendResult, EditRequest, Progress, no_progress
from plugin.backends.local import background_here
from plugin.backends.transport import VertexTransport
from plugin.config import Settings
from plugin.ops import Background


class CloudBackend(Backend):
    """A backend on Google's side (Gemini, Imagen (legacy)): what every cloud backend does alike.

    It holds a VertexTransport (credentials, location, deadline, retries, cancel). Replace Background in a
    mode that needs no model (transparent, colour, blur, a picture) is done on this computer, at no cost,
    and said so; everything else is the subclass's `call`."""

    def __init__(self, settings: Settings, *, transport: VertexTransport | None = None, **connection: Any):
        """`connection`: VertexTransport's own options (credentials, backoff, cancel_event, max_retries)
        for the transport made here when none is given."""
        self.settings = settings
        self.transport = transport or VertexTransport(settings, **connection)

    def cancel(self) -> None:
        """Stop every call of this backend waiting now or starting later (safe from any thread)."""
        self.transport.cancel()

    def run(self, request: EditRequest, progress: Progress = no_progress) -> BackendResult:
        self.check_supported(request.op)
        if isinstance(request.op, Background) and request.op.mode != "prompt":
            return background_here(request, progress)
        return self.call(request, progress)

    def call(self, request: EditRequest, progress: Progress) -> BackendResult:
        """The request sent to the service (its operation supported, not a background done here)."""
        raise NotImplementedError
