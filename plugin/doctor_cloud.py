"""Check Setup's Google side: credentials, project and location, and the Vertex AI probe.

Each check is one `Line`, OK or a problem with its fix. Nothing here prints a secret (paths and account
types only), and the probe costs nothing: it asks :countTokens, which makes no picture and is not billed
per image.
"""

from __future__ import annotations

import json
from pathlib import Path

from plugin import config
from plugin.doctor_line import Line

PROBE_TIMEOUT = 20.0  # seconds for each cloud check


# --- credentials and project -----------------------------------------------------------------------


def credentials_check(settings: config.Settings, environ: dict[str, str]) -> Line:
    if config.is_local_endpoint(settings.endpoint):
        return Line("credentials", True, f"none needed: the endpoint is the local server {settings.endpoint}")
    if settings.credentials_file:
        path = Path(settings.credentials_file).expanduser()
        return _key_file(path, "credentials_file in the settings")
    adc = config.adc_file(environ)
    if adc is None:
        return Line(
            "credentials",
            False,
            "no Application Default Credentials found",
            "run `gcloud auth application-default login` (or set credentials_file in the settings to a "
            "service-account key file)",
        )
    source = "GOOGLE_APPLICATION_CREDENTIALS" if environ.get("GOOGLE_APPLICATION_CREDENTIALS") else "gcloud"
    return _key_file(adc, f"Application Default Credentials ({source})")


def _key_file(path: Path, what: str) -> Line:
    if not path.is_file():
        return Line(
            "credentials",
            False,
            f"{what} names {path}, which does not exist",
            "fix the path, or run `gcloud auth application-default login`",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return Line(
            "credentials",
            False,
            f"{what}: {path} is not a readable JSON key file",
            "run `gcloud auth application-default login` again, or download a new key",
        )
    kind = str(data.get("type", "")) if isinstance(data, dict) else ""
    known = {
        "authorized_user": "your Google account",
        "service_account": "a service account",
        "external_account": "workload identity federation",
        "impersonated_service_account": "an impersonated service account",
    }
    if kind not in known:
        return Line(
            "credentials",
            False,
            f"{what}: {path} has an unknown type {kind or '(none)'}",
            "run `gcloud auth application-default login` again",
        )
    account = f" {data['client_email']}" if kind == "service_account" and data.get("client_email") else ""
    return Line("credentials", True, f"{what}: {path} ({known[kind]}{account})")


def project_check(settings: config.Settings, environ: dict[str, str]) -> Line:
    if settings.project:
        source = "GOOGLE_CLOUD_PROJECT" if environ.get("GOOGLE_CLOUD_PROJECT") else "the settings"
        return Line("project", True, f"{settings.project} (from {source})")
    creds = Path(settings.credentials_file).expanduser() if settings.credentials_file else config.adc_file(environ)
    found = config.project_in_credentials(creds) if creds and creds.is_file() else ""
    if found:
        return Line("project", True, f"{found} (named by the credentials file)")
    return Line(
        "project",
        False,
        "no Google Cloud project set",
        'export GOOGLE_CLOUD_PROJECT=your-project-id, or add project = "your-project-id" to '
        f"{settings.source or config.config_path()}",
    )


# --- Vertex AI ---------------------------------------------------------------------------------------


def cloud_checks(settings: config.Settings) -> list[Line]:
    """:countTokens on each tier's model: reachable, API enabled, permission, and which models answer."""
    from plugin.backends.gemini import GeminiBackend
    from plugin.backends.vertex_errors import http_failure, map_error

    backend = GeminiBackend(settings)
    catalogue = backend.catalogue
    models = []
    for kind in ("image", "text"):
        for tier in ("standard", "quality", "fast"):
            model_id = catalogue.tier(kind, tier).model
            if model_id not in [m for m, _ in models]:
                models.append((model_id, kind))
    lines: list[Line] = []
    answered, missing = [], []
    for index, (model_id, kind) in enumerate(models):
        model = catalogue.get(model_id, kind)
        try:
            location, _note = backend.transport.location_for(model.locations, model_id)
        except Exception as exc:  # noqa: BLE001 - a location the model is not served at
            missing.append(f"{model_id} ({exc})")
            continue
        context = backend.transport.context(model_id, "doctor", location)
        try:
            client = backend._client(location, context)
            from google.genai import types

            client.models.count_tokens(
                model=model_id,
                contents="ping",
                config=types.CountTokensConfig(http_options=types.HttpOptions(timeout=int(PROBE_TIMEOUT * 1000))),
            )
        except Exception as exc:  # noqa: BLE001 - each failure is read for the fix it needs
            failure = http_failure(exc)
            if failure is not None and failure.code == 404:
                successor = catalogue.replacement_for(model_id)
                missing.append(model_id + (f" (use {successor})" if successor else ""))
                continue
            error = map_error(exc, context)
            if index == 0:  # the first call tells reachability, the API and the permission
                lines.append(_first_failure(error, failure, settings, backend.transport.host(location)))
                return lines
            missing.append(f"{model_id} ({_first_sentence(str(error))})")
            continue
        if index == 0:
            lines.append(
                Line(
                    "Vertex AI",
                    True,
                    f"reachable at {backend.transport.host(location)}, the API is "
                    f"enabled in project {backend.transport.project}, and you may "
                    "call its models",
                )
            )
        answered.append(model_id)
    if answered:
        lines.append(
            Line(
                "models",
                not missing,
                "answer: " + ", ".join(answered) + ("; not available: " + ", ".join(missing) if missing else ""),
                "" if not missing else "ask your administrator to enable them, or choose another tier",
            )
        )
    else:
        lines.append(
            Line(
                "models",
                False,
                "none of the catalogue's models answered: " + ", ".join(missing),
                "check the location in the settings (global serves every model)",
            )
        )
    return lines


def _first_failure(error: Exception, failure, settings: config.Settings, host: str) -> Line:
    text = _first_sentence(str(error))
    code = failure.code if failure is not None else 0
    if code == 401:
        return Line(
            "Vertex AI",
            False,
            "the credentials were refused (401)",
            "run `gcloud auth application-default login` again",
        )
    if code == 403 and (
        failure.reason == "SERVICE_DISABLED" or "not been used" in failure.message or "disabled" in failure.message
    ):
        return Line(
            "Vertex AI",
            False,
            f"the Vertex AI API is not enabled in project {settings.project}",
            f"enable aiplatform.googleapis.com in project {settings.project}: `gcloud services enable "
            f"aiplatform.googleapis.com --project {settings.project}`",
        )
    if code == 403:
        return Line(
            "Vertex AI",
            False,
            f"permission denied in project {settings.project}",
            "your account needs the Vertex AI User role (roles/aiplatform.user): ask the project's "
            "owner, or `gcloud projects add-iam-policy-binding PROJECT --member=user:YOU "
            "--role=roles/aiplatform.user`",
        )
    if failure is None and "Cannot reach" in text:
        return Line(
            "Vertex AI",
            False,
            f"cannot reach {host}",
            "check the internet connection, proxy or firewall, and the endpoint in the settings",
        )
    return Line("Vertex AI", False, text, "see the message; then run Check Setup again")


def _first_sentence(text: str) -> str:
    return text.split(". ")[0].rstrip(".")[:300]
