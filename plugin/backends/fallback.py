"""`auto` on Vertex AI: the configured Imagen model first, the Gemini image model when Imagen is gone.

Google has announced the Imagen endpoints' retirement and named gemini-2.5-flash-image as the
replacement. When Vertex AI answers that the configured Imagen model is retired or unknown
(ModelUnavailable), the same request goes to the Gemini backend and the user is told once. The
retired model ID is remembered in a small state file beside the settings, so later jobs (each runs
in its own worker process) skip the doomed Imagen call and do not repeat the note; choosing another
Imagen model in the settings makes auto try Imagen again.
"""

from __future__ import annotations

import json
from pathlib import Path

from plugin.backends.base import Backend, BackendResult, Capabilities, EditRequest, Progress, no_progress
from plugin.backends.gemini import ACTIONS as GEMINI_ACTIONS
from plugin.backends.gemini import GeminiBackend
from plugin.backends.vertex import VertexBackend
from plugin.backends.vertex_errors import ModelUnavailable
from plugin.config import Settings, config_path
from plugin.ops import Operation

IMAGEN_ROLE = {"generate": "generate", "describe": "describe", "upscale": "upscale", "verify": "verify"}


def imagen_role(op: Operation) -> str:
    """Which [models] role the Imagen backend reads for this action (edits share 'edit')."""
    return IMAGEN_ROLE.get(op.action, "edit")


def state_file() -> Path:
    return config_path().parent / "retired-models.json"


class FallbackBackend(Backend):
    """Imagen (VertexBackend) with Gemini (GeminiBackend) behind it for retired or unknown models."""

    name = "auto"

    def __init__(self, settings: Settings, primary: VertexBackend | None = None,
                 secondary: GeminiBackend | None = None, state: Path | None = None):
        self.settings = settings
        self.primary = primary or VertexBackend(settings)
        self.secondary = secondary or GeminiBackend(settings)
        self.state = state if state is not None else state_file()
        self.retired = self._load()

    def capabilities(self) -> Capabilities:
        # Imagen's: a superset of actions, one call returns all variations (Gemini loops itself).
        return self.primary.capabilities()

    def check_supported(self, op: Operation) -> None:
        self.primary.check_supported(op)

    def cancel(self) -> None:
        self.primary.cancel()
        self.secondary.cancel()

    def run(self, request: EditRequest, progress: Progress = no_progress) -> BackendResult:
        op = request.op
        model = self.settings.model_for(imagen_role(op))
        if model in self.retired and op.action in GEMINI_ACTIONS:
            return self.secondary.run(request, progress)
        reached = [0.0]

        def primary_progress(fraction: float, stage: str) -> None:
            reached[0] = max(reached[0], fraction)
            progress(fraction, stage)

        def secondary_progress(fraction: float, stage: str) -> None:  # the bar never runs backwards
            progress(reached[0] + (1.0 - reached[0]) * fraction, stage)

        try:
            return self.primary.run(request, primary_progress)
        except ModelUnavailable as exc:
            if op.action not in GEMINI_ACTIONS:
                raise
            result = self.secondary.run(request, secondary_progress)
            result.notes.insert(0, self._note(exc, result.model))
            self._remember(exc.model)
            return result

    def _note(self, exc: ModelUnavailable, gemini_model: str) -> str:
        role = exc.role or "generate"
        return (f"Imagen model {exc.model} is retired or not offered here, so {gemini_model} (Gemini, "
                f"Google's named successor) did this instead. auto will use Gemini for it from now on; to "
                f"try another Imagen model set [models] {role} = \"...\" in the settings, or choose the "
                "gemini backend to skip Imagen. This note is shown once.")

    def _load(self) -> set[str]:
        try:
            data = json.loads(self.state.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return set()
        return {str(m) for m in data.get("retired", [])} if isinstance(data, dict) else set()

    def _remember(self, model: str) -> None:
        self.retired.add(model)
        try:
            self.state.parent.mkdir(parents=True, exist_ok=True)
            self.state.write_text(json.dumps({"retired": sorted(self.retired)}, indent=1), encoding="utf-8")
        except OSError:
            pass  # only the once-only note and a saved round trip depend on it
