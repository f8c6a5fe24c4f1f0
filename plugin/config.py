"""Settings: one TOML file, environment overrides, and where credentials come from.

The file is `$IMAGEN_GIMP_CONFIG`, else `~/.config/imagen-gimp/config.toml`. Environment variables
win over the file so CI and one-off runs need no file. Secrets are never stored here: credentials
come from Application Default Credentials, or a key file whose *path* the settings name.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MODELS = {
    "generate": "imagen-4.0-generate-001",
    "edit": "imagen-3.0-capability-001",
    "upscale": "imagen-4.0-upscale-preview",
    "describe": "imagetext@001",
    "verify": "imageverification@001",
    "gemini": "gemini-2.5-flash-image",
}


class ConfigError(ValueError):
    """The settings file is broken; the message names the file and the key."""


@dataclass
class Settings:
    project: str = ""
    location: str = "us-central1"
    credentials_file: str = ""  # a service-account key file's path; empty = ADC
    endpoint: str = ""  # override, e.g. http://127.0.0.1:8080 for the emulator
    backend: str = "auto"
    models: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_MODELS))
    timeout_seconds: float = 180.0
    source: str = ""  # which file the settings came from, for messages

    def model_for(self, role: str) -> str:
        return self.models.get(role) or DEFAULT_MODELS[role]


def config_path() -> Path:
    explicit = os.environ.get("IMAGEN_GIMP_CONFIG")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "imagen-gimp" / "config.toml"


def load_settings(path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Read the file if it exists, then apply GOOGLE_CLOUD_* and IMAGEN_GIMP_* overrides."""
    environ = os.environ if environ is None else environ
    path = path or config_path()
    settings = Settings()
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc}); fix or delete the file") from exc
        _apply_file(settings, data, path)
        settings.source = str(path)
    overrides = {
        "project": environ.get("GOOGLE_CLOUD_PROJECT"),
        "location": environ.get("GOOGLE_CLOUD_LOCATION"),
        "credentials_file": environ.get("IMAGEN_GIMP_CREDENTIALS_FILE"),
        "endpoint": environ.get("IMAGEN_GIMP_ENDPOINT"),
        "backend": environ.get("IMAGEN_GIMP_BACKEND"),
    }
    for key, value in overrides.items():
        if value:
            setattr(settings, key, value)
    return settings


def _apply_file(settings: Settings, data: dict, path: Path) -> None:
    known = {f.name for f in dataclasses.fields(Settings)} - {"source", "models"}
    for key, value in data.items():
        if key == "models":
            if not isinstance(value, dict):
                raise ConfigError(f"{path}: [models] must be a table of role = \"model-id\"")
            unknown = sorted(set(value) - set(DEFAULT_MODELS))
            if unknown:
                raise ConfigError(
                    f"{path}: models.{unknown[0]} is not a model role; known: {', '.join(DEFAULT_MODELS)}"
                )
            settings.models.update({k: str(v) for k, v in value.items()})
        elif key in known:
            expected = type(getattr(settings, key))
            if expected is float and isinstance(value, int):
                value = float(value)
            if not isinstance(value, expected):
                raise ConfigError(f"{path}: {key} must be {expected.__name__}, not {value!r}")
            setattr(settings, key, value)
        else:
            raise ConfigError(f"{path}: unknown key {key!r}; known: {', '.join(sorted(known | {'models'}))}")
