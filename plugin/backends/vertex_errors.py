"""Turn what can go wrong on a Vertex AI call into a BackendError that says what to do.

Client-library exceptions (google.api_core), transport errors (requests), credential errors
(google.auth) and malformed answers (protobuf parsing) all end here, so the user never sees a
stack trace. Nothing here logs tokens or request bodies.
"""

from __future__ import annotations

import re

from plugin.backends.base import BackendError

RETIRED_HINT = "gemini-2.5-flash-image is Google's named successor (backend = \"gemini\")"


class ModelUnavailable(BackendError):
    """The model ID is retired or unknown; `auto` may fall back to another backend."""

    def __init__(self, message: str, model: str, role: str = ""):
        super().__init__(message)
        self.model = model
        self.role = role


class QuotaExhausted(BackendError):
    """429 after the retries: quota or shared capacity."""


class ServiceUnavailable(BackendError):
    """5xx after the retries, a deadline passed, or the network is down."""


class ApprovalNeeded(BackendError):
    """The project needs Google's approval (allow-list) for this feature, e.g. people."""


def server_message(exc: Exception) -> str:
    """The service's own message, without the 'POST http://...:predict?...: ' prefix the client adds."""
    message = getattr(exc, "message", None) or str(exc)
    return re.sub(r"^(GET|POST) \S+: ", "", str(message)).strip()


def model_unavailable(model: str, role: str, where: str, detail: str = "") -> ModelUnavailable:
    said = f" (Vertex AI said: {detail})" if detail else ""
    return ModelUnavailable(
        f"Model {model} is retired or unknown in this project/region{said}. Choose another in the settings "
        f"file ({where}), [models] {role or 'generate'} = \"...\" (defaults are listed in the README); "
        f"{RETIRED_HINT}.", model, role)


def _field_named(message: str) -> str:
    match = re.search(r"((?:instances\[\d+\]|parameters)(?:\.[A-Za-z_\[\]0-9]+)+)", message)
    if match:
        return match.group(1)
    match = re.search(r"(?:field|parameter|argument)[:\s]+['\"]?([A-Za-z_.\[\]0-9]+)", message, re.I)
    return match.group(1) if match else ""


MODEL_WORDS = ("model", "not found", "retired", "deprecat", "not supported", "unknown", "not exist")
PEOPLE_WORDS = ("person generation", "peopleface", "allowlist", "allow-list", "allow list", "approval",
                "approved", "not allowed to generate", "personGeneration")


def _approval(detail: str) -> ApprovalNeeded:
    return ApprovalNeeded(
        "This project is not approved for this feature (Vertex AI said: " + detail + "). Generating or "
        "editing people (personGeneration allow_all / children), block_none and some editing modes need "
        "Google's approval: ask your Google Cloud account team, or set person_generation = \"allow_adult\" "
        "or \"dont_allow\" in the [imagen] settings.")


def map_error(exc: Exception, *, model: str, role: str, project: str, location: str, endpoint: str,
              where: str, timeout: float) -> BackendError:
    """One exception from a predict call -> the BackendError the user sees."""
    from google.api_core import exceptions as gexc

    if isinstance(exc, BackendError):
        return exc
    detail = server_message(exc)
    lowered = detail.lower()
    if isinstance(exc, gexc.NotFound):
        return model_unavailable(model, role, where, detail)
    if isinstance(exc, (gexc.BadRequest, gexc.FailedPrecondition)):
        if model.lower() in lowered and any(w in lowered for w in MODEL_WORDS):
            return model_unavailable(model, role, where, detail)
        if any(w.lower() in lowered for w in PEOPLE_WORDS):
            return _approval(detail)
        if "responsible ai" in lowered or "sensitive words" in lowered or "blocked" in lowered:
            from plugin.backends.imagen_responses import explain_codes

            category = explain_codes(detail)
            kind = f" ({category})" if category else ""
            return BackendError(f"Vertex AI's safety filter blocked the request{kind}: {detail} Rephrase the "
                                "prompt or use another picture; you are not charged for blocked requests.")
        field = _field_named(detail)
        named = f"The field {field} was rejected" if field else "Vertex AI rejected the request"
        return BackendError(f"{named} by {model}: {detail}. Change that parameter in the dialog or in the "
                            f"[imagen] settings ({where}).")
    if isinstance(exc, gexc.Unauthorized):
        return BackendError(f"Vertex AI did not accept the credentials ({detail}). Run `gcloud auth "
                            "application-default login` again, or check credentials_file in the settings.")
    if isinstance(exc, (gexc.Forbidden, gexc.PermissionDenied)):
        if any(w.lower() in lowered for w in PEOPLE_WORDS):
            return _approval(detail)
        return BackendError(
            f"Permission denied for project {project or '(none)'} ({detail}). Enable the Vertex AI API "
            "(`gcloud services enable aiplatform.googleapis.com`), make sure your account has the role "
            "Vertex AI User (roles/aiplatform.user, permission aiplatform.endpoints.predict), and that "
            f"{model} is offered in {location}.")
    if isinstance(exc, (gexc.TooManyRequests, gexc.ResourceExhausted)):
        return QuotaExhausted(
            f"Vertex AI quota for {model} in {location} is used up for now ({detail}). Wait a minute and try "
            "again, ask for fewer variations, or request a higher quota in the Google Cloud console "
            "(IAM & Admin > Quotas, 'Vertex AI API' online prediction requests per base model).")
    if isinstance(exc, (gexc.DeadlineExceeded, gexc.GatewayTimeout)) or _is_timeout(exc):
        return ServiceUnavailable(
            f"Vertex AI did not answer within {timeout:.0f} s. Try again, ask for fewer variations, or raise "
            f"timeout_seconds in the settings ({where}).")
    if isinstance(exc, gexc.ServerError):
        return ServiceUnavailable(
            f"Vertex AI had a server problem ({exc.code}: {detail}) and retries did not help. Try again in a "
            "few minutes; if it lasts, check https://status.cloud.google.com.")
    if _is_network(exc):
        emulator = " Is the emulator running (imagen-gimp emulator --port N)?" if "127.0.0.1" in endpoint \
            or "localhost" in endpoint else ""
        return ServiceUnavailable(
            f"Cannot reach Vertex AI at {endpoint}. Check the internet connection, proxy or firewall, and "
            f"the endpoint/location in the settings.{emulator}")
    if _is_credentials(exc):
        return BackendError(f"No usable Google Cloud credentials ({exc}). Run `gcloud auth "
                            "application-default login`, or name a service-account key file as "
                            "credentials_file in the settings.")
    if _is_parse(exc):
        return ServiceUnavailable(f"Vertex AI sent an answer the plug-in could not read ({detail[:200]}). "
                                  "Try again; if it repeats, report it with the model ID.")
    if isinstance(exc, gexc.GoogleAPICallError):
        return BackendError(f"Vertex AI refused the request ({exc.code}: {detail}).")
    return BackendError(f"Vertex AI call failed: {type(exc).__name__}: {detail}")


def _is_timeout(exc: Exception) -> bool:
    import requests

    return isinstance(exc, (requests.Timeout, TimeoutError))


def _is_network(exc: Exception) -> bool:
    import requests

    return isinstance(exc, (requests.ConnectionError, ConnectionError))


def _is_credentials(exc: Exception) -> bool:
    from google.auth import exceptions as auth_exc

    return isinstance(exc, (auth_exc.DefaultCredentialsError, auth_exc.RefreshError, auth_exc.TransportError))


def _is_parse(exc: Exception) -> bool:
    from google.protobuf import json_format

    return isinstance(exc, (json_format.Error, ValueError))


def retryable(exc: Exception) -> bool:
    """429 and 5xx are temporary; a rejected request would only be billed again."""
    from google.api_core import exceptions as gexc

    return isinstance(exc, (gexc.TooManyRequests, gexc.ResourceExhausted, gexc.InternalServerError,
                            gexc.BadGateway, gexc.ServiceUnavailable, gexc.GatewayTimeout))
