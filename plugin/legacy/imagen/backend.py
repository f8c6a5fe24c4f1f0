"""Imagen (legacy) on Vertex AI through google-cloud-aiplatform's PredictionServiceClient (REST transport).

Google shut the Imagen family down in 2026 (generate, capability, upscale, imagetext, imageverification);
this backend stays for projects that keep an Imagen endpoint and is never chosen by `auto`. What it
shares with the Gemini backend (credentials, location, deadline, retries, cancel) is a VertexTransport.
Imagen is regional: the `global` location is called as us-central1.
"""

from __future__ import annotations

from typing import Any

from plugin.actions import served_by
from plugin.backends.base import (
    BackendResult,
    Capabilities,
    EditRequest,
    Progress,
    no_progress,
)
from plugin.backends.cloud import CloudBackend
from plugin.config import Settings
from plugin.legacy.imagen import sizing
from plugin.legacy.imagen.requests import PredictCall, build_call
from plugin.legacy.imagen.responses import read_predictions

ACTIONS = served_by("imagen")  # after the imports: plugin.ops has loaded the wing's actions
DEFAULT_REGION = "us-central1"


class ImagenBackend(CloudBackend):
    name = "imagen"

    def __init__(self, settings: Settings, **connection: Any):
        """`connection`: the transport, or its options (CloudBackend); Imagen's own retry count by default."""
        import plugin.legacy.imagen.ops  # noqa: F401  (registers auto_mask / verify)

        connection.setdefault("max_retries", settings.imagen.max_retries)
        super().__init__(settings, **connection)
        self._client: Any = None

    # --- Backend interface ---------------------------------------------------------------------

    def capabilities(self) -> Capabilities:
        return Capabilities(actions=ACTIONS, batch_variations=True)

    def run(self, request: EditRequest, progress: Progress = no_progress) -> BackendResult:
        """The request at the size Imagen works at (sizing.py), the answer back at the request's size."""
        return sizing.sized(lambda sent: super(ImagenBackend, self).run(sent, progress), request)

    def call(self, request: EditRequest, progress: Progress = no_progress) -> BackendResult:
        """The request sent as it is, at its own size (`run` sizes it first)."""
        call = build_call(request, self.settings)
        progress(0.02, f"sending to {call.model}")
        predictions = self.predict(call, progress)
        progress(0.97, "reading the answer")
        return read_predictions(call, predictions)

    # --- the call ------------------------------------------------------------------------------

    @property
    def location(self) -> str:
        location = self.settings.location or DEFAULT_REGION
        return DEFAULT_REGION if location == "global" else location

    def endpoint_path(self, model: str) -> str:
        return f"projects/{self.transport.project}/locations/{self.location}/publishers/google/models/{model}"

    def predict(self, call: PredictCall, progress: Progress = no_progress) -> list:
        """POST :predict with retries, one deadline and cancellation; returns plain predictions."""
        context = self.transport.context(
            call.model,
            f"imagen_{call.role}",
            self.location,
            replacement=self.settings.load_catalogue().replacement_for(call.model),
        )
        try:
            client = self._get_client()
        except Exception as exc:  # noqa: BLE001 - every failure becomes a message
            from plugin.backends.vertex_errors import map_error

            raise map_error(exc, context) from exc
        from google.protobuf import json_format, struct_pb2

        instance = json_format.ParseDict(call.instance, struct_pb2.Value())
        parameters = json_format.ParseDict(call.parameters, struct_pb2.Value())
        endpoint = self.endpoint_path(call.model)

        def attempt(remaining: float) -> list:
            response = client.predict(endpoint=endpoint, instances=[instance], parameters=parameters, timeout=remaining)
            return [json_format.MessageToDict(value) for value in response._pb.predictions]

        return self.transport.call(attempt, context, progress)

    def _get_client(self) -> Any:
        if self._client is None:
            from google.cloud import aiplatform_v1

            credentials, _project = self.transport.credentials()
            options = {"api_endpoint": self.transport.host(self.location)}
            self._client = aiplatform_v1.PredictionServiceClient(
                transport="rest", credentials=credentials, client_options=options
            )
        return self._client
