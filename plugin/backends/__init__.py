"""Backends behind one interface; `make_backend` picks one by name."""

from __future__ import annotations

from plugin.backends.base import Backend, BackendError
from plugin.config import Settings

KNOWN = ("auto", "local", "vertex", "gemini")


def cloud_configured(settings: Settings) -> bool:
    """True when a project is set and credentials can be found, so `auto` may use the cloud."""
    if not settings.project:
        return False
    if settings.endpoint or settings.credentials_file:
        return True
    try:
        import google.auth

        google.auth.default()
    except Exception:  # any failure to find ADC means: not configured
        return False
    return True


def make_backend(name: str, settings: Settings) -> Backend:
    """The backend called `name`; `auto` is Vertex AI when configured (Imagen, falling back to Gemini
    when the Imagen model is retired), else the local engine."""
    if name == "auto":
        if settings.backend == "auto" and cloud_configured(settings):
            from plugin.backends.fallback import FallbackBackend

            return FallbackBackend(settings)
        name = settings.backend if settings.backend != "auto" else "local"
    if name == "local":
        from plugin.backends.local import LocalBackend

        return LocalBackend()
    if name == "vertex":
        from plugin.backends.vertex import VertexBackend

        return VertexBackend(settings)
    if name == "gemini":
        try:
            from plugin.backends.gemini import GeminiBackend
        except ImportError as exc:
            raise BackendError("The gemini backend is not available in this version.") from exc
        return GeminiBackend(settings)
    raise BackendError(f"backend {name!r} is unknown; choose one of {', '.join(KNOWN)}")
