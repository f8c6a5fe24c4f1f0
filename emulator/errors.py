"""Google's error bodies, word for word where the reference quotes them (ref §8).

Every refusal in the emulator is an ApiError; the server turns it into
`{"error": {"code", "message", "status", "details"?}}`, the shape google-genai and google-api-core
both parse. Texts marked "ref" are Google's own; the others follow Google's styles (the ESF JSON
parser's "Invalid JSON payload received. ..." / "Invalid value at '...'" and the
"* GenerateContentRequest.<field>: ..." validation lines) because the exact wording is not known.
"""

from __future__ import annotations

import re
from typing import Any

STATUS = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    411: "INVALID_ARGUMENT",
    413: "INVALID_ARGUMENT",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
ERROR_INFO = "type.googleapis.com/google.rpc.ErrorInfo"
BAD_REQUEST = "type.googleapis.com/google.rpc.BadRequest"
VERSIONS_URL = "https://cloud.google.com/vertex-ai/generative-ai/docs/learn/model-versions"


class ApiError(Exception):
    """A request the service refuses; `field` (snake_case proto path) names the culprit when known."""

    def __init__(self, code: int, message: str, status: str = "", details: list[dict] | None = None, field: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status or STATUS.get(code, "UNKNOWN")
        self.details = details
        self.field = field

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message, "status": self.status}
        if self.details:
            error["details"] = self.details
        return {"error": error}


def snake(path: str) -> str:
    """'generationConfig.imageConfig.aspectRatio' -> 'generation_config.image_config.aspect_ratio'."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])", lambda m: "_" + m.group(1).lower(), path)


def invalid(path: str, text: str, message: str = "") -> ApiError:
    """400 in the validation style: '* GenerateContentRequest.<path>: <text>' (message overrides)."""
    where = snake(path)
    line = message or (f"* GenerateContentRequest.{where}: {text}" if where else text)
    return ApiError(
        400,
        line,
        details=[{"@type": BAD_REQUEST, "fieldViolations": [{"field": where, "description": text or message}]}],
        field=where,
    )


def unknown_field(parent: str, key: str) -> ApiError:
    """400 as Google's JSON parser words an unknown key."""
    where = snake(parent)
    text = (
        f'Invalid JSON payload received. Unknown name "{key}"'
        + (f" at '{where}'" if where else "")
        + ": Cannot find field."
    )
    return ApiError(
        400,
        text,
        details=[{"@type": BAD_REQUEST, "fieldViolations": [{"field": where, "description": text}]}],
        field=f"{where}.{key}" if where else key,
    )


def bad_value(path: str, kind: str, value: Any, hint: str = "") -> ApiError:
    """400 as Google's JSON parser words a value of the wrong type or an unknown enum name."""
    where = snake(path)
    shown = f'"{value}"' if isinstance(value, str) else repr(value).lower() if isinstance(value, bool) else str(value)
    text = f"Invalid value at '{where}' ({kind}), {shown}" + (f" ({hint})" if hint else "")
    return ApiError(
        400,
        text,
        details=[{"@type": BAD_REQUEST, "fieldViolations": [{"field": where, "description": text}]}],
        field=where,
    )


def resource(project: str, location: str, model: str) -> str:
    return f"projects/{project}/locations/{location}/publishers/google/models/{model}"


def not_found(project: str, location: str, model: str) -> ApiError:
    """ref: the 404 of a shut-down, unknown or wrongly located model (same text for all three)."""
    return ApiError(
        404,
        f"Publisher Model `{resource(project, location, model)}` was not found or your "
        "project does not have access to it. Please ensure you are using a valid model "
        f"version. For more information, see: {VERSIONS_URL}",
    )


def catalogue_not_found(model: str) -> ApiError:
    """models.get of an id the catalogue does not list (wording assumed: the same template, no project)."""
    return ApiError(
        404,
        f"Publisher Model `publishers/google/models/{model}` was not found or your project "
        "does not have access to it. Please ensure you are using a valid model version. For "
        f"more information, see: {VERSIONS_URL}",
    )


def unauthenticated() -> ApiError:
    return ApiError(
        401,
        "Request had invalid authentication credentials. Expected OAuth 2 access token, "
        "login cookie or other valid authentication credential.",
    )


def service_disabled(project: str) -> ApiError:
    """ref [27e]: the Vertex AI API is off in the project."""
    return ApiError(
        403,
        f"Vertex AI API has not been used in project {project} before or it is disabled. "
        "Enable it by visiting https://console.developers.google.com/apis/api/"
        f"aiplatform.googleapis.com/overview?project={project} then retry.",
        details=[
            {
                "@type": ERROR_INFO,
                "reason": "SERVICE_DISABLED",
                "domain": "googleapis.com",
                "metadata": {"service": "aiplatform.googleapis.com", "consumer": f"projects/{project}"},
            }
        ],
    )


def permission_denied(project: str, location: str, model: str) -> ApiError:
    """ref [27f]: the caller lacks aiplatform.endpoints.predict (role Vertex AI User). The message names
    the full resource; the ErrorInfo metadata carries the relative name (as remembered from real
    answers, not stated in the reference)."""
    name = resource(project, location, model)
    return ApiError(
        403,
        f"Permission 'aiplatform.endpoints.predict' denied on resource "
        f"'//aiplatform.googleapis.com/{name}' (or it may not exist).",
        details=[
            {
                "@type": ERROR_INFO,
                "reason": "IAM_PERMISSION_DENIED",
                "domain": "aiplatform.googleapis.com",
                "metadata": {"permission": "aiplatform.endpoints.predict", "resource": name},
            }
        ],
    )


def exhausted() -> ApiError:
    return ApiError(429, "Resource exhausted, please try again later.")  # ref [21]


def internal() -> ApiError:
    return ApiError(500, "Internal error encountered.")


def overloaded() -> ApiError:
    return ApiError(503, "The model is overloaded. Please try again later.")
