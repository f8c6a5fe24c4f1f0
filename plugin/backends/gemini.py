"""Google's image models today (the Gemini 3 image family) on Vertex AI, through google-genai.

google-genai (`vertexai=True`) is Google's maintained client for Gemini on Vertex and knows today's
fields and enums (imageSize, thinkingLevel, IMAGE_SAFETY, NO_IMAGE), which aiplatform_v1's protos
lack. What both Vertex backends share (credentials, location, deadline, retries, cancel) is the
VertexTransport this backend holds (CloudBackend makes it). One request makes one picture; the pipeline
runs the variations of an action side by side.

Model choice: the operation's Model ID, else its tier (Quality / Standard / Fast) in the catalogue.
A model that answers 404 gets a message naming the catalogue's replacement; chosen by `auto`, the
same request goes to the replacement once, the layer and the message say so, and the next job goes
there directly (model_memory).
"""

from __future__ import annotations

import threading
from typing import Any

from plugin import actions
from plugin.actions import GEMINI_ACTIONS
from plugin.backends import gemini_conversation
from plugin.backends.base import BackendError, BackendResult, Capabilities, EditRequest, Progress, UnsupportedOperation
from plugin.backends.cloud import CloudBackend
from plugin.backends.gemini_requests import Choice, GeminiCall, build_call
from plugin.backends.gemini_responses import read_response
from plugin.backends.model_memory import ModelMemory
from plugin.backends.vertex_errors import ModelUnavailable
from plugin.catalogue import IMAGEN, TIER_LABELS
from plugin.config import Settings
from plugin.ops import Operation

ACTIONS = GEMINI_ACTIONS


class GeminiBackend(CloudBackend):
    name = "gemini"

    def __init__(
        self, settings: Settings, *, chosen_by_auto: bool = False, memory: ModelMemory | None = None, **connection: Any
    ):
        """`connection`: the transport, or its options (CloudBackend)."""
        super().__init__(settings, **connection)
        self.catalogue = settings.load_catalogue()
        self.chosen_by_auto = chosen_by_auto
        self._memory = memory
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._store: Any = None

    # --- Backend interface ---------------------------------------------------------------------

    def capabilities(self) -> Capabilities:
        # Full resolution in: the request builder frames the region for the model and resizes once.
        return Capabilities(
            actions=ACTIONS,
            parallel=self.settings.gemini.max_parallel,
            conversations=True,
        )

    def check_supported(self, op: Operation) -> None:
        if op.action not in ACTIONS:
            reason = actions.BY_NAME[op.action].gemini_missing
            raise UnsupportedOperation(f"The gemini backend cannot do '{op.title}'. {reason}".strip())

    def call(self, request: EditRequest, progress: Progress) -> BackendResult:
        op = request.op
        choice = self.choose(op)
        call = build_call(request, choice, self.settings)
        try:
            return self._send(call, progress, request)
        except ModelUnavailable as exc:
            replacement = exc.replacement
            continued = request.followup is not None and bool(request.followup.history)
            if continued or not (self.chosen_by_auto and replacement and replacement != choice.model.id):
                raise
            self.memory().remember(choice.model.id, replacement)
            again = self._choice(
                op,
                replacement,
                choice.role,
                choice.tier,
                replaced=choice.model.id,
                notes=(
                    f"{choice.model.id} answered that it is not available (404), so "
                    f"{replacement} made this instead; Automatic will use it from now on.",
                ),
            )
            return self._send(build_call(request, again, self.settings), progress, request)

    # --- which model ---------------------------------------------------------------------------

    def choose(self, op: Operation) -> Choice:
        """The model for `op`: its Model ID, else its tier's; under `auto`, a model the catalogue knows as
        shut down (or one that answered 404 before) is replaced without a doomed request."""
        kind = "text" if op.action == "describe" else "image"
        tier = self.catalogue.tier(kind, op.tier)
        role = op.tier if kind == "image" else f"text_{op.tier}"
        model_id = op.model or tier.model
        if op.model:
            role = "model"
        notes: tuple[str, ...] = ()
        replaced = ""
        if self.chosen_by_auto:
            known = self.catalogue.get(model_id, kind)
            remembered = self.memory().replacement(model_id)
            successor = remembered or (self.catalogue.replacement_for(model_id) if known.is_shut_down() else "")
            if successor:
                why = "answered 404 before" if remembered else known.lifecycle()
                notes = (f"{model_id} is not available ({why}); {successor} made this instead.",)
                replaced, model_id = model_id, successor
        return self._choice(
            op,
            model_id,
            role,
            op.tier,
            replaced=replaced,
            notes=notes,
            thinking=tier.thinking if model_id == tier.model else "",
        )

    def _choice(
        self,
        op: Operation,
        model_id: str,
        role: str,
        tier: str,
        replaced: str = "",
        notes: tuple[str, ...] = (),
        thinking: str = "",
    ) -> Choice:
        kind = "text" if op.action == "describe" else "image"
        model = self.catalogue.get(model_id, kind)
        if model.family == IMAGEN:
            successor = self.catalogue.replacement_for(model_id) or self.catalogue.tier(kind, "standard").model
            raise UnsupportedOperation(
                f"{model_id} is an Imagen model, which Google shut down ({model.lifecycle()}"
                f"); the gemini backend uses Gemini models such as {successor}. Clear the "
                "Model field or choose Imagen (legacy)."
            )
        if kind == "image" and not model.makes_images:
            raise UnsupportedOperation(
                f"{model_id} answers with text only and cannot make pictures; choose a "
                f"tier instead (Standard is {self.catalogue.tier('image', 'standard').model})."
            )
        if kind == "text" and model.makes_images:
            raise UnsupportedOperation(
                f"{model_id} makes pictures; Describe needs a text model such as "
                f"{self.catalogue.tier('text', 'standard').model}."
            )
        level = thinking if thinking in model.thinking else ""
        location, note = self.transport.location_for(model.locations, model_id)
        if not model.known:
            note = (note + " " if note else "") + (
                f"{model_id} is not in the catalogue; its limits were assumed from a similar model."
            )
        return Choice(model, role, tier, level, location, notes + ((note,) if note else ()), replaced)

    def memory(self) -> ModelMemory:
        if self._memory is None:
            self._memory = ModelMemory(self.transport.host("global"), self.settings.project)
        return self._memory

    # --- the call ------------------------------------------------------------------------------

    def store(self):
        """The conversation store (plugin/conversations.py), opened on first use."""
        if self._store is None:
            from plugin.conversations import Store

            self._store = Store.from_settings(self.settings)
        return self._store

    def _send(self, call: GeminiCall, progress: Progress, request: EditRequest) -> BackendResult:
        choice = call.choice
        model = choice.model
        context = self.transport.context(
            model.id,
            choice.role,
            choice.location,
            replacement=self.catalogue.replacement_for(model.id) or self._tier_default(choice),
        )
        progress(0.02, f"sending to {model.id}")
        client = self._client(choice.location, context)

        def attempt(remaining: float) -> Any:
            from google.genai import types

            config = call.config.model_copy(
                update={"http_options": types.HttpOptions(timeout=max(1000, int(remaining * 1000)))}
            )
            return client.models.generate_content(model=model.id, contents=call.contents(), config=config)

        try:
            response = self.transport.call(attempt, context, progress)
        except BackendError as exc:
            refusal = gemini_conversation.refused(exc, model.id) if call.history else exc
            if refusal is exc:
                raise
            raise refusal from exc
        progress(0.97, "reading the answer")
        result = read_response(call, response)  # a blocked answer raises here: it is never kept
        exchange = gemini_conversation.keep(self.store(), request, call, response, choice.tier)
        if exchange is not None:
            result.details["conversation"] = exchange.id
            result.details["turn"] = exchange.depth
            if exchange.instruction:
                result.details["instruction"] = exchange.instruction
            result.details["history_turns"] = len(call.history)
        result.notes[:0] = list(choice.notes)
        result.details.update(self._details(call))
        if call.label:
            result.details["label"] = call.label
        return result

    def _tier_default(self, choice: Choice) -> str:
        """For a 404 on a model the user named: the tier's own model, when that is another one."""
        kind = "text" if choice.role.startswith("text_") or not choice.model.makes_images else "image"
        default = self.catalogue.tier(kind, choice.tier).model
        return default if default != choice.model.id else ""

    def _details(self, call: GeminiCall) -> dict:
        choice = call.choice
        details: dict = {"tier": TIER_LABELS.get(choice.tier, choice.tier), "location": choice.location}
        image_config = getattr(call.config, "image_config", None)
        if image_config is not None:
            details["size"] = image_config.image_size or "1K"
            details["aspect_ratio"] = image_config.aspect_ratio
        if choice.thinking:
            details["thinking"] = choice.thinking
        if choice.replaced:
            details["replaced"] = choice.replaced
        return details

    def _client(self, location: str, context) -> Any:
        """One google-genai client per location (global, or a region), made on first use."""
        with self._lock:
            if location not in self._clients:
                from google import genai
                from google.genai import types

                from plugin.backends.vertex_errors import map_error

                try:
                    credentials, project = self.transport.credentials()
                except Exception as exc:  # noqa: BLE001 - SetupProblem passes through map_error as it is
                    raise map_error(exc, context) from exc
                options = types.HttpOptions(api_version="v1")
                if self.settings.endpoint:
                    options = types.HttpOptions(api_version="v1", base_url=self.settings.endpoint.rstrip("/") + "/")
                self._clients[location] = genai.Client(
                    vertexai=True, project=project, location=location, credentials=credentials, http_options=options
                )
            return self._clients[location]
