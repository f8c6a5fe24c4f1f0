"""Gemini image models on Vertex AI (`:generateContent`), Imagen's named successor, behind the same actions.

Built on google-cloud-aiplatform's PredictionServiceClient.generate_content (REST transport), not
google-genai: it is the client the Imagen backend already uses, so credentials, the endpoint
override (the loopback emulator), the helper-thread deadline, cancel and the error messages are
VertexBackend's own; only the call and its body differ. Gemini image models return one candidate
per request, so variations are repeated calls with consecutive seeds, made here (not by the pipeline)
so that one blocked variation becomes a note instead of costing the others.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

from plugin.actions import GEMINI_ACTIONS
from plugin.backends.base import (
    BackendResult,
    Capabilities,
    EditRequest,
    Progress,
    UnsupportedOperation,
    no_progress,
)
from plugin.backends.call_retry import retrying
from plugin.backends.gemini_requests import DEFAULT_IMAGE_MODEL, GeminiCall, build_call, model_for
from plugin.backends.gemini_responses import read_response
from plugin.backends.imagen_responses import SafetyFiltered
from plugin.backends.vertex import Backoff, VertexBackend
from plugin.backends.vertex_errors import RETIRED_HINT, ModelUnavailable
from plugin.config import Settings
from plugin.ops import Background, Operation

ACTIONS = GEMINI_ACTIONS
CANNOT = {
    "upscale": "Gemini image models redraw a picture at about one megapixel; they do not upscale it. Use "
               "Upscale with the vertex backend (imagen-4.0-upscale-preview) or the local backend.",
    "customize": "Customization (subject, style and control references) is an Imagen capability-model "
                 "feature; choose the vertex backend for it.",
    "auto_mask": "Automatic masks (foreground, background, semantic classes) are an Imagen feature; make a "
                 "selection and use Inpaint with the gemini backend, or choose the vertex backend.",
    "verify": "SynthID watermark verification runs on Imagen's imageverification model; choose the vertex "
              "backend for it.",
}


class GeminiBackend(VertexBackend):
    name = "gemini"

    def __init__(self, settings: Settings, *, credentials: Any = None, backoff: Backoff | None = None,
                 cancel_event: threading.Event | None = None):
        super().__init__(settings, credentials=credentials, backoff=backoff, cancel_event=cancel_event)

    def capabilities(self) -> Capabilities:
        # Gemini answers at about one megapixel whatever it is sent, so more would add no detail.
        model = self.settings.models.get("gemini") or DEFAULT_IMAGE_MODEL
        return Capabilities(actions=ACTIONS, max_side=2048, max_pixels=1024 * 1024, batch_variations=True,
                            needs_network=True, model=model)

    def check_supported(self, op: Operation) -> None:
        if op.action not in ACTIONS:
            reason = CANNOT.get(op.action, "")
            raise UnsupportedOperation(f"The gemini backend cannot do '{op.title}'. {reason}".strip())

    def run(self, request: EditRequest, progress: Progress = no_progress) -> BackendResult:
        self.check_supported(request.op)
        op = request.op
        if isinstance(op, Background) and op.mode != "prompt":
            return super().run(request, progress)  # the local engine, as for Imagen
        call = build_call(request, self.settings)
        per_call = call.body["generationConfig"]["candidateCount"]
        rounds = -(-op.variations // per_call)
        result = BackendResult(model=call.model)
        blocked: list[SafetyFiltered] = []
        for index in range(rounds):
            this = _with_seed(call, op.seed, index)
            low, high = index / rounds, (index + 1) / rounds
            progress(low + 0.02 * (high - low), f"sending to {call.model}")
            try:
                part = read_response(this, self.predict(this, _scaled(progress, low, high)))
            except SafetyFiltered as exc:  # one blocked variation should not cost the others
                blocked.append(exc)
                continue
            result.images += part.images
            result.texts += part.texts
            result.notes += [n for n in part.notes if n not in result.notes]
            seed = None if op.seed is None else op.seed + index
            result.seeds += [seed] * len(part.images)
        if blocked and not (result.images or result.texts):
            raise blocked[0]
        if blocked:
            result.notes.append(f"{len(blocked)} of {rounds} calls were blocked: {blocked[0]}")
        result.images = result.images[:op.variations]
        result.seeds = result.seeds[:len(result.images)]
        return result

    def predict(self, call: Any, progress: Progress = no_progress) -> Any:
        """VertexBackend's waiting loop around our _attempts; retired-model advice fits Gemini."""
        try:
            return super().predict(call, progress)
        except ModelUnavailable as exc:
            default = f"the default Gemini image model is {DEFAULT_IMAGE_MODEL}"
            message = str(exc).replace(RETIRED_HINT, default)
            raise ModelUnavailable(message, exc.model, exc.role) from exc

    def _attempts(self, client: Any, call: GeminiCall, stop: threading.Event):
        """The generate_content call under the shared retry policy (VertexBackend.predict runs it and
        sets `stop` on cancel or deadline)."""
        from google.cloud import aiplatform_v1
        from google.protobuf import json_format

        message = aiplatform_v1.GenerateContentRequest.pb()()
        json_format.ParseDict(call.body, message)
        message.model = self.endpoint_path(call.model)

        def attempt(remaining: float) -> dict:
            response = client.generate_content(request=message, timeout=remaining)
            return json_format.MessageToDict(response._pb)

        return retrying(attempt, timeout=self.settings.timeout_seconds, backoff=self.backoff,
                        stop=stop, max_retries=self.settings.imagen.max_retries)

    def model_for(self, op: Operation) -> str:
        """The Gemini model this backend would use for `op` (for dialogs and notes)."""
        return model_for(op, self.settings)[1]


def _with_seed(call: GeminiCall, seed: int | None, index: int) -> GeminiCall:
    """The same call for the index-th round: seed + index, so variations differ and can be repeated."""
    if index == 0 or seed is None:
        return call
    again = copy.copy(call)
    again.body = copy.deepcopy(call.body)
    again.body["generationConfig"]["seed"] = seed + index
    return again


def _scaled(progress: Progress, low: float, high: float) -> Progress:
    def report(fraction: float, stage: str) -> None:
        progress(low + (high - low) * min(max(fraction, 0.0), 1.0), stage)

    return report
