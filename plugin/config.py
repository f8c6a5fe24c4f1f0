"""Settings: one TOML file, environment overrides, and where credentials come from.

The file is `$IMAGEN_GIMP_CONFIG`, else `~/.config/imagen-gimp/config.toml`. Environment variables
win over the file so CI and one-off runs need no file. Secrets are never stored here: credentials
come from Application Default Credentials, or a key file whose *path* the settings name.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

from plugin import settings_file
from plugin.errors import UserError

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

DEFAULT_MODELS = {
    # Google's image models, in a retoucher's words; "" = the catalogue's choice (plugin/models.toml)
    "quality": "",
    "standard": "",
    "fast": "",
    # the text models that Describe Image uses at each tier
    "text_quality": "",
    "text_standard": "",
    "text_fast": "",
    # the Imagen (legacy) backend only: Google shut these down in 2026; for projects that keep an endpoint
    "imagen_generate": "imagen-4.0-generate-001",
    "imagen_edit": "imagen-3.0-capability-001",
    "imagen_upscale": "imagen-4.0-upscale-preview",
    "imagen_describe": "imagetext@001",
    "imagen_verify": "imageverification@001",
}
LEGACY_ROLES = {
    # [models] keys of versions before the Gemini 3 catalogue -> today's roles
    "generate": "imagen_generate",
    "edit": "imagen_edit",
    "upscale": "imagen_upscale",
    "verify": "imagen_verify",
    "gemini": "standard",
    "gemini_generate": "standard",
    "gemini_edit": "standard",
    "gemini_describe": "text_standard",
}
"""`describe` is either: an Imagen ID (imagetext@...) means imagen_describe, a Gemini one text_standard."""


class ConfigError(UserError, ValueError):
    """The settings file is broken; the message names the file and the key."""

    kind = "config"


SAFETY_SETTINGS = ("block_low_and_above", "block_medium_and_above", "block_only_high", "block_none")
PERSON_GENERATION = ("dont_allow", "allow_adult", "allow_all")
LANGUAGES = ("auto", "en", "es", "hi", "ja", "ko", "pt", "zh", "zh-CN", "zh-TW")
IMAGE_SIZES = ("1K", "2K")
MIME_TYPES = ("image/png", "image/jpeg")
CHOICES = {
    "safety_setting": SAFETY_SETTINGS,
    "person_generation": PERSON_GENERATION,
    "language": LANGUAGES,
    "image_size": IMAGE_SIZES,
    "output_mime_type": MIME_TYPES,
}
RANGES = {"compression_quality": (0, 100), "guidance_scale": (0, 500), "base_steps": (0, 75), "max_retries": (0, 5)}
GEMINI_CHOICES = {
    "safety_setting": SAFETY_SETTINGS + ("off",),
    "person_generation": ("allow_none", "allow_adult", "allow_all"),
    "prominent_people": ("", "allow", "block"),
    "max_image_size": ("512", "1K", "2K", "4K"),
    "output_mime_type": MIME_TYPES,
}
GEMINI_RANGES = {"max_parallel": (1, 4), "max_retries": (0, 5), "compression_quality": (0, 100)}
CONVERSATION_RANGES = {"max_follow_ups": (1, 10), "max_age_days": (0.0, 3650.0), "max_megabytes": (1.0, 100000.0)}


@dataclass
class ImagenOptions:
    """The `[imagen]` table: request defaults for the Imagen (legacy) backend (documented API defaults)."""

    safety_setting: str = "block_medium_and_above"
    person_generation: str = "allow_adult"  # allow_all needs Google's approval for the project
    enabled: bool = False  # the Backend menus list Imagen (plugin/settings_file.py); `auto` never picks it
    add_watermark: bool = True  # SynthID; a fixed seed turns it off for that request (API rule)
    enhance_prompt: bool = True  # only sent to models that document it
    image_size: str = "1K"  # only sent to models that document it (Imagen 4 standard/ultra)
    language: str = "auto"
    output_mime_type: str = "image/png"
    compression_quality: int = 90  # JPEG output only
    include_rai_reason: bool = True  # say why the safety filter removed samples
    guidance_scale: float = 0.0  # 0 = the service's default
    base_steps: int = 0  # 0 = Google's recommended starting value per edit mode
    max_retries: int = 3  # for 429 quota and 5xx answers, with capped exponential backoff


@dataclass
class GeminiOptions:
    """The `[gemini]` table: how requests to Google's Gemini image and text models are made."""

    safety_setting: str = "block_medium_and_above"  # all four harm categories, pictures and text
    person_generation: str = "allow_adult"  # allow_all may need Google's approval for the project
    prominent_people: str = ""  # "" = the service's default; "block" refuses celebrities' likenesses
    max_image_size: str = "4K"  # largest answer a region may ask for (cost: see the README's table)
    output_mime_type: str = "image/png"  # what the model answers in; PNG keeps edits lossless
    compression_quality: int = 95  # JPEG answers only
    max_parallel: int = 4  # variations requested at once
    max_retries: int = 3  # for 429 and 5xx answers, jittered exponential backoff from 1 s
    location_fallback: bool = True  # a model not served at `location` is called at "global" (and said so)


@dataclass
class ConversationOptions:
    """The `[conversations]` table: where Refine Result keeps conversations, and for how long.

    The turns (pictures included, megabytes each) live in a per-user folder, not in the result, so a
    result file stays small; the oldest go first past either limit. Nothing secret is stored there."""

    max_follow_ups: int = 5  # Google: start a new conversation when the picture drifts; past this, afresh
    max_age_days: float = 30.0  # conversations untouched for longer are removed
    max_megabytes: float = 500.0  # the whole store; the least recently used go first past it
    folder: str = ""  # "" = ~/.cache/imagen-gimp/conversations (XDG_CACHE_HOME respected)


@dataclass
class Settings:
    project: str = ""
    location: str = "global"  # Gemini 3 image models are served at the global endpoint
    credentials_file: str = ""  # a service-account key file's path; empty = ADC
    endpoint: str = ""  # override, e.g. http://127.0.0.1:8080 for the emulator
    backend: str = "auto"
    models: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_MODELS))
    timeout_seconds: float = 180.0
    warm_worker: bool = True  # keep a worker with the libraries loaded between calls (plugin/link/warm_server.py)
    worker_idle_minutes: float = 10.0  # how long that worker waits for the next call before it exits
    imagen: ImagenOptions = field(default_factory=ImagenOptions)
    gemini: GeminiOptions = field(default_factory=GeminiOptions)
    conversations: ConversationOptions = field(default_factory=ConversationOptions)
    catalogue: dict[str, dict] = field(default_factory=dict)  # [catalogue."id"]: changes to models.toml
    source: str = ""  # which file the settings came from, for messages

    def imagen_model(self, role: str) -> str:
        """The Imagen (legacy) backend's model for a role: generate, edit, upscale, describe, verify."""
        key = "imagen_" + role
        return self.models.get(key) or DEFAULT_MODELS[key]

    def load_catalogue(self):
        """The model catalogue with this file's [catalogue] changes and [models] tier choices."""
        from plugin import catalogue

        tiers = {k: v for k, v in self.models.items() if not k.startswith("imagen_") and v}
        try:
            return catalogue.load(self.catalogue, tiers)
        except catalogue.CatalogueError as exc:
            raise ConfigError(f"{self.source or config_path()}: {exc}") from exc


def config_path(environ: dict[str, str] | None = None) -> Path:
    """The settings file of an environment (the warm worker reads it with a job's environment)."""
    return Path(settings_file.config_path(environ))


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
        settings.source = str(path)
        _apply_file(settings, data, path)
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
    if settings.backend == "vertex":  # the name of the Imagen backend before Google retired Imagen
        settings.backend = "imagen"
    return settings


def _apply_file(settings: Settings, data: dict, path: Path) -> None:
    tables = {"models", "imagen", "gemini", "catalogue", "conversations"}
    known = {f.name for f in dataclasses.fields(Settings)} - {"source"} - tables
    for key, value in data.items():
        if key == "imagen":
            _apply_options(settings.imagen, value, path, "imagen", CHOICES, RANGES)
        elif key == "gemini":
            _apply_options(settings.gemini, value, path, "gemini", GEMINI_CHOICES, GEMINI_RANGES)
        elif key == "conversations":
            _apply_options(settings.conversations, value, path, "conversations", {}, CONVERSATION_RANGES)
        elif key == "models":
            settings.models.update(_models_table(value, path))
        elif key == "catalogue":
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise ConfigError(f'{path}: [catalogue] must hold tables, e.g. [catalogue."model-id"]')
            settings.catalogue = value
        elif key in known:
            expected = type(getattr(settings, key))
            if expected is float and isinstance(value, int):
                value = float(value)
            if not isinstance(value, expected):
                raise ConfigError(f"{path}: {key} must be {expected.__name__}, not {value!r}")
            setattr(settings, key, value)
        else:
            names = ", ".join(sorted(known | tables))
            raise ConfigError(f"{path}: unknown key {key!r}; known: {names}")
    settings.load_catalogue()  # a broken [catalogue] entry or tier fails here, naming the file


def _models_table(value: object, path: Path) -> dict[str, str]:
    """[models] role = "model-id", with the role names of earlier versions mapped to today's."""
    if not isinstance(value, dict):
        raise ConfigError(f'{path}: [models] must be a table of role = "model-id"')
    out: dict[str, str] = {}
    for role, model in value.items():
        if not isinstance(model, str):
            raise ConfigError(f"{path}: models.{role} must be a model ID in quotes, not {model!r}")
        if role == "describe":
            role = "imagen_describe" if model.startswith("image") else "text_standard"
        role = LEGACY_ROLES.get(role, role)
        if role not in DEFAULT_MODELS:
            known = ", ".join(DEFAULT_MODELS)
            raise ConfigError(f"{path}: models.{role} is not a model role; known: {known}")
        out[role] = model
    return out


def _apply_options(options: object, data: object, path: Path, table: str, choices: dict, ranges: dict) -> None:
    """Type- and range-check an options table so a typo fails here, not at Google's 400."""
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: [{table}] must be a table of option = value")
    known = {f.name for f in dataclasses.fields(options)}
    for key, value in data.items():
        if key not in known:
            raise ConfigError(f"{path}: {table}.{key} is unknown; known: {', '.join(sorted(known))}")
        expected = type(getattr(options, key))
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
            raise ConfigError(f"{path}: {table}.{key} must be {expected.__name__}, not {value!r}")
        if key in choices:
            allowed = choices[key]
            match = next((a for a in allowed if a.lower() == value.lower()), None)
            if match is None:
                shown = ", ".join(a or '""' for a in allowed)
                raise ConfigError(f"{path}: {table}.{key} = {value!r}; choose one of {shown}")
            value = match
        if key in ranges:
            low, high = ranges[key]
            if not low <= value <= high:
                raise ConfigError(f"{path}: {table}.{key} = {value!r} is out of range {low} to {high}")
        setattr(options, key, value)


# --- credentials discovery (no network, no secrets read beyond the project ID) ---------------

CLOUD_SCOPE = "https://www.googleapis.com/auth/cloud-platform"


def is_local_endpoint(endpoint: str) -> bool:
    """A plain-http endpoint (the emulator): no credentials are needed, and none are ever sent."""
    return endpoint.startswith("http://")


def adc_file(environ: dict[str, str] | None = None) -> Path | None:
    """The Application Default Credentials file google.auth would read first, if it exists."""
    environ = os.environ if environ is None else environ
    explicit = environ.get("GOOGLE_APPLICATION_CREDENTIALS")
    if explicit:
        return Path(explicit)
    if environ.get("CLOUDSDK_CONFIG"):
        folder = Path(environ["CLOUDSDK_CONFIG"])
    elif os.name == "nt" and environ.get("APPDATA"):
        folder = Path(environ["APPDATA"]) / "gcloud"
    else:
        folder = Path(environ.get("HOME") or Path.home()) / ".config" / "gcloud"
    candidate = folder / "application_default_credentials.json"
    return candidate if candidate.exists() else None


def project_in_credentials(path: Path) -> str:
    """The project a key file or ADC file names (project_id / quota_project_id), else ''."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return ""
    if not isinstance(data, dict):
        return ""
    return str(data.get("project_id") or data.get("quota_project_id") or "")


def setup_problems(settings: Settings, environ: dict[str, str] | None = None) -> list[str]:
    """What is missing for Vertex AI, one line each naming the thing and the fix; [] = ready."""
    environ = os.environ if environ is None else environ
    where = settings.source or str(config_path())
    problems: list[str] = []
    local = is_local_endpoint(settings.endpoint)
    key_file = Path(settings.credentials_file).expanduser() if settings.credentials_file else None
    creds = key_file or adc_file(environ)
    if not local:
        if key_file is not None and not key_file.is_file():
            problems.append(
                f"credentials: the key file {key_file} named by credentials_file does not exist; "
                f"fix the path in {where} or remove it to use Application Default Credentials"
            )
        elif creds is None:
            problems.append(
                "credentials: no Application Default Credentials found; run "
                "`gcloud auth application-default login` (or set GOOGLE_APPLICATION_CREDENTIALS "
                f"or credentials_file in {where} to a service-account key file)"
            )
        elif not creds.is_file():
            problems.append(
                f"credentials: GOOGLE_APPLICATION_CREDENTIALS names {creds}, which does not exist; fix or unset it"
            )
    project = settings.project or (project_in_credentials(creds) if creds and creds.is_file() else "")
    if not project and not local:
        problems.append(
            f'project: no Google Cloud project set; add project = "your-project-id" to {where} '
            "or set GOOGLE_CLOUD_PROJECT"
        )
    if not settings.location:
        problems.append(f'location: none set; add location = "global" to {where} or set GOOGLE_CLOUD_LOCATION=global')
    return problems
