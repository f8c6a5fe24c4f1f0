"""Backends behind one interface; `make_backend` picks one by name."""

from __future__ import annotations

from plugin.backends.base import Backend, BackendError
from plugin.config import Settings
from plugin.ops import BACKEND_ALIASES, BACKENDS

KNOWN = BACKENDS


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


def _why_not_cloud(settings: Settings) -> str:
    """What Automatic found missing for Vertex AI, in words (credentials first: they are what people lack)."""
    from plugin.config import setup_problems

    problems = setup_problems(settings)
    if settings.project and not problems:  # a file was found but google.auth could not use it
        problems = [
            "credentials: the Application Default Credentials found cannot be used; run `gcloud auth "
            "application-default login` again"
        ]
    return "; ".join(problems) or "no Google Cloud project set (GOOGLE_CLOUD_PROJECT)"


def make_backend(name: str, settings: Settings) -> Backend:
    """The backend called `name`. `auto` is Google's Gemini models on Vertex AI when a project and
    credentials are found, else the local engine; it never picks Imagen (legacy), which Google shut
    down, unless the settings' own backend says so."""
    name = BACKEND_ALIASES.get(name, name)
    chosen_by_auto = False
    was_auto = name == "auto"
    if name == "auto":
        if settings.backend == "auto":
            name, chosen_by_auto = ("gemini", True) if cloud_configured(settings) else ("local", False)
        else:
            name = BACKEND_ALIASES.get(settings.backend, settings.backend)
    if name == "local":
        from plugin.backends.local import LocalBackend

        return LocalBackend(why_not_cloud=_why_not_cloud(settings) if was_auto else "")
    if name == "gemini":
        from plugin.backends.gemini import GeminiBackend

        return GeminiBackend(settings, chosen_by_auto=chosen_by_auto)
    if name == "imagen":
        from plugin.legacy.imagen.backend import ImagenBackend

        return ImagenBackend(settings)
    raise BackendError(f"backend {name!r} is unknown; choose one of {', '.join(KNOWN)}")
