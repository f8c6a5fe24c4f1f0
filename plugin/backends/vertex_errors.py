"""Turn what can go wrong on a Vertex AI call into a BackendError that says what to do.

Both clients end here: google-genai (Gemini, errors.APIError) and google-cloud-aiplatform (the legacy
Imagen backend, google.api_core exceptions). Each is read as (HTTP code, status, message, ErrorInfo
reason) and classified once, so a 403 for a disabled API reads the same from either family.
Transport errors (requests, httpx), credential errors (google.auth) and unreadable answers end here
too, so the user never sees a stack trace. Nothing here logs tokens or request bodies.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass

from plugin.backends.base import BackendError, SafetyFiltered

SETUP_HINT = "Filters > Imagen > Check Setup (or `imagen-gimp doctor`) checks the rest of the setup."
RETRY_CODES = frozenset({408, 429, 500, 502, 503, 504})


class ModelUnavailable(BackendError):
    """404: the model ID is shut down, unknown, or not served at this location."""

    def __init__(self, message: str, model: str, role: str = "", replacement: str = ""):
        super().__init__(message)
        self.model = model
        self.role = role
        self.replacement = replacement


class QuotaExhausted(BackendError):
    """429 after the retries: quota or shared capacity."""


class ServiceUnavailable(BackendError):
    """5xx after the retries, a deadline passed, or the network is down."""


class ApprovalNeeded(BackendError):
    """The project needs Google's approval (allow-list) for this feature, e.g. people."""


class SetupProblem(BackendError):
    """Credentials, the API or a permission is missing; the message names the fix."""


@dataclass(frozen=True)
class CallContext:
    """What a message may name about the call (never a credential)."""

    model: str
    role: str = ""
    project: str = ""
    location: str = ""
    endpoint: str = ""
    where: str = ""  # the settings file
    timeout: float = 0.0
    replacement: str = ""  # the catalogue's successor of `model`, for a 404


@dataclass(frozen=True)
class HttpFailure:
    code: int
    status: str
    message: str
    reason: str  # ErrorInfo reason (SERVICE_DISABLED, IAM_PERMISSION_DENIED, ...), "" if none


def http_failure(exc: BaseException) -> HttpFailure | None:
    """(code, status, message, reason) of an HTTP error from either client; None for other errors."""
    try:
        from google.genai import errors as genai_errors
    except ImportError:  # pragma: no cover - google-genai comes with google-cloud-aiplatform
        genai_errors = None
    if genai_errors is not None and isinstance(exc, genai_errors.APIError):
        details = exc.details if isinstance(exc.details, dict) else {}
        error = details.get("error", details) if isinstance(details, dict) else {}
        reasons = [d.get("reason", "") for d in (error.get("details") or []) if isinstance(d, dict)]
        return HttpFailure(
            int(exc.code or 0), str(exc.status or ""), str(exc.message or ""), next((r for r in reasons if r), "")
        )
    from google.api_core import exceptions as gexc

    if isinstance(exc, gexc.GoogleAPICallError) and exc.code is not None:
        code = int(exc.code) if isinstance(exc.code, int) else _grpc_to_http(exc.code)
        return HttpFailure(code, type(exc).__name__, server_message(exc), str(getattr(exc, "reason", "") or ""))
    return None


def _grpc_to_http(code: object) -> int:
    from google.api_core.exceptions import _GRPC_CODE_TO_EXCEPTION  # type: ignore[attr-defined]

    cls = _GRPC_CODE_TO_EXCEPTION.get(code)
    return int(getattr(cls, "code", 0) or 0)


def server_message(exc: BaseException) -> str:
    """The service's own message, without the 'POST http://...:predict?...: ' prefix a client adds."""
    message = getattr(exc, "message", None) or str(exc)
    return re.sub(r"^(GET|POST) \S+: ", "", str(message)).strip()


def retryable(exc: BaseException) -> bool:
    """429, 5xx and 408 are temporary; so is a connection dropped mid-answer. A rejected request
    would only be billed again, and a refused connection will be refused again."""
    failure = http_failure(exc)
    if failure is not None:
        return failure.code in RETRY_CODES
    try:
        import httpx
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError))


def model_unavailable(context: CallContext, detail: str = "") -> ModelUnavailable:
    said = f" (Vertex AI said: {detail})" if detail else ""
    if context.role == "model":  # named in the dialog's Model ID field (--model)
        instead = f"use {context.replacement} instead" if context.replacement else "use another model"
        advice = f"{instead}: clear the Model ID field (--model) to use the tier's model, or name another"
    elif context.replacement:
        advice = (
            f"use {context.replacement} instead: choose a tier (Quality, Standard, Fast) or set "
            f'[models] {context.role or "standard"} = "{context.replacement}" in {context.where}'
        )
    else:
        advice = (
            f"choose another in the settings file ({context.where}), [models] "
            f'{context.role or "standard"} = "..." (the README lists today\'s models)'
        )
    where = f" at location {context.location}" if context.location else ""
    return ModelUnavailable(
        f"Model {context.model} is shut down, unknown, or not served to this project{where}{said}; {advice}.",
        context.model,
        context.role,
        context.replacement,
    )


PEOPLE_WORDS = (
    "person generation",
    "peopleface",
    "allowlist",
    "allow-list",
    "allow list",
    "approval",
    "approved",
    "not allowed to generate",
    "persongeneration",
)
MODEL_WORDS = ("model", "not found", "retired", "deprecat", "not supported", "unknown", "not exist")


def _approval(detail: str) -> ApprovalNeeded:
    return ApprovalNeeded(
        "This project is not approved for this feature (Vertex AI said: " + detail + "). Generating or "
        "editing people (person_generation allow_all) and block_none need Google's approval: ask your Google "
        'Cloud account team, or set person_generation = "allow_adult" in the [gemini] settings.'
    )


def map_error(exc: BaseException, context: CallContext) -> BackendError:
    """One exception from a call -> the BackendError the user sees."""
    if isinstance(exc, BackendError):
        return exc
    failure = http_failure(exc)
    if failure is not None:
        return _from_http(failure, context)
    detail = server_message(exc)
    if _is("timeout", exc):
        return ServiceUnavailable(
            f"Vertex AI did not answer within {context.timeout:.0f} s. Try again, ask for fewer variations, or "
            f"raise timeout_seconds in the settings ({context.where})."
        )
    if _is("network", exc):
        loopback = "127.0.0.1" in context.endpoint or "localhost" in context.endpoint
        extra = " Is the emulator running (python -m emulator --port N)?" if loopback else ""
        return ServiceUnavailable(
            f"Cannot reach Vertex AI at {context.endpoint}. Check the internet connection, proxy or firewall, "
            f"and the endpoint/location in the settings.{extra}"
        )
    if _is("credentials", exc):
        return SetupProblem(
            f"No usable Google Cloud credentials ({type(exc).__name__}: {_first_line(detail)}). "
            "Run `gcloud auth application-default login`, or name a service-account key file as "
            f"credentials_file in the settings. {SETUP_HINT}"
        )
    if _is("parse", exc):
        return ServiceUnavailable(
            f"Vertex AI sent an answer the plug-in could not read ({detail[:200]}). "
            "Try again; if it repeats, report it with the model ID."
        )
    return BackendError(f"Vertex AI call failed: {type(exc).__name__}: {_first_line(detail)}")


def _from_http(failure: HttpFailure, context: CallContext) -> BackendError:
    code, detail = failure.code, failure.message
    lowered = detail.lower()
    model = context.model
    if code == 404:
        return model_unavailable(context, detail)
    if code == 400:
        if model.lower() in lowered and any(w in lowered for w in MODEL_WORDS):
            return model_unavailable(context, detail)
        if any(w in lowered for w in PEOPLE_WORDS):
            return _approval(detail)
        if "responsible ai" in lowered or "sensitive words" in lowered:  # Imagen's refusal of a prompt
            from plugin.legacy.imagen.responses import explain_codes

            category = explain_codes(detail)
            kind = f" ({category})" if category else ""
            return SafetyFiltered(
                f"Vertex AI's safety filter blocked the request{kind}: {detail} Rephrase the "
                "prompt or use another picture; you are not charged for blocked requests."
            )
        field = _field_named(detail)
        named = f"The field {field} was rejected" if field else "Vertex AI rejected the request"
        return BackendError(
            f"{named} by {model}: {detail} Change that parameter in the dialog or in the settings ({context.where})."
        )
    if code == 401:
        return SetupProblem(
            f"Vertex AI did not accept the credentials ({detail}). Run `gcloud auth "
            "application-default login` again, or check credentials_file in the settings. " + SETUP_HINT
        )
    if code == 403:
        if any(w in lowered for w in PEOPLE_WORDS):
            return _approval(detail)
        project = context.project or "(none)"
        if failure.reason == "SERVICE_DISABLED" or "has not been used" in lowered or "is disabled" in lowered:
            return SetupProblem(
                f"The Vertex AI API is not enabled in project {project}. Enable it: `gcloud "
                f"services enable aiplatform.googleapis.com --project {project}` (Vertex AI said: "
                f"{detail})"
            )
        return SetupProblem(
            f"Permission denied in project {project} ({detail}). Your account needs the role Vertex AI User "
            f"(roles/aiplatform.user): `gcloud projects add-iam-policy-binding {project} --member=user:YOU "
            f"--role=roles/aiplatform.user`. " + SETUP_HINT
        )
    if code == 429:
        return QuotaExhausted(
            f"Vertex AI has no capacity or quota left for {model} at {context.location or 'this location'} right "
            f"now ({detail}). Wait a minute and try again, or ask for fewer variations; for steady use, request "
            "more quota (IAM & Admin > Quotas) or buy Provisioned Throughput."
        )
    if code in (408, 504):
        return ServiceUnavailable(
            f"Vertex AI did not answer within {context.timeout:.0f} s ({detail}). Try again, ask for fewer "
            f"variations, or raise timeout_seconds in the settings ({context.where})."
        )
    if code >= 500:
        return ServiceUnavailable(
            f"Vertex AI had a server problem ({code}: {detail}) and retries did not help. Try again in a few "
            "minutes; if it lasts, check https://status.cloud.google.com."
        )
    return BackendError(f"Vertex AI refused the request ({code}: {detail}).")


def _field_named(message: str) -> str:
    match = re.search(r"\*\s*([A-Za-z_]+(?:\.[A-Za-z_\[\]0-9]+)+)\s*:", message)
    if match:
        return match.group(1)
    match = re.search(r"((?:instances\[\d+\]|parameters)(?:\.[A-Za-z_\[\]0-9]+)+)", message)
    if match:
        return match.group(1)
    match = re.search(r"(?:field|parameter|argument)[:\s]+['\"]?([A-Za-z_.\[\]0-9]+)", message, re.I)
    return match.group(1) if match else ""


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:300] if text.strip() else ""


# Each kind of failure as the client libraries raise it: (module, class) pairs; a library that is not
# installed raises none of its own.
FAILURES = {
    "timeout": (("requests", "Timeout"), ("builtins", "TimeoutError"), ("httpx", "TimeoutException")),
    "network": (("requests", "ConnectionError"), ("builtins", "ConnectionError"), ("httpx", "TransportError")),
    "credentials": (
        ("google.auth.exceptions", "DefaultCredentialsError"),
        ("google.auth.exceptions", "RefreshError"),
        ("google.auth.exceptions", "TransportError"),
    ),
    "parse": (("google.protobuf.json_format", "Error"), ("builtins", "ValueError"), ("pydantic", "ValidationError")),
}


def _is(kind: str, exc: BaseException) -> bool:
    """`exc` is a failure of this kind (FAILURES), imported only when asked (the clients load slowly)."""
    for module, name in FAILURES[kind]:
        try:
            if isinstance(exc, getattr(importlib.import_module(module), name)):
                return True
        except ImportError:  # pragma: no cover - a library not installed
            continue
    return False
