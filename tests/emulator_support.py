"""Helpers for the emulator's tests: the real google-genai client pointed at the emulator, pictures as
bytes and back, and a plain-HTTP poster for bodies no client library would send."""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
from typing import Any

import numpy as np
from PIL import Image

MAGENTA = (255, 0, 255)


def client(url: str, location: str = "global", project: str = "test-project", api_version: str = "v1"):
    """google-genai as the product builds it for Vertex, with fake OAuth credentials."""
    import google.oauth2.credentials
    from google import genai
    from google.genai import types

    return genai.Client(
        vertexai=True,
        project=project,
        location=location,
        credentials=google.oauth2.credentials.Credentials(token="x"),
        http_options=types.HttpOptions(base_url=url + "/", api_version=api_version, timeout=60_000),
    )


def gradient(width: int = 400, height: int = 300) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[..., 0] = (xx * 200 // width + 20).astype(np.uint8)
    rgb[..., 1] = (yy * 200 // height + 20).astype(np.uint8)
    rgb[..., 2] = 90
    return rgb


def box_mask(width: int, height: int, box: tuple[int, int, int, int]) -> np.ndarray:
    """A black picture (RGB) with a white rectangle x0, y0, x1, y1: how a selection is sent."""
    mask = np.zeros((height, width, 3), np.uint8)
    x0, y0, x1, y1 = box
    mask[y0:y1, x0:x1] = 255
    return mask


def encoded(rgb: np.ndarray, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format=fmt)
    return buffer.getvalue()


def image_part(rgb: np.ndarray, fmt: str = "PNG", mime: str = ""):
    from google.genai import types

    return types.Part.from_bytes(data=encoded(rgb, fmt), mime_type=mime or f"image/{fmt.lower()}")


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as picture:
        return np.asarray(picture.convert("RGB")).copy()


def parts_of(response) -> list:
    return list(response.candidates[0].content.parts)


def final_image(response) -> np.ndarray:
    """The client rule from ref §4: the last inline picture whose `thought` is not true."""
    finals = [p for p in parts_of(response) if p.inline_data is not None and not p.thought]
    return pixels(finals[-1].inline_data.data)


def draft_images(response) -> list[np.ndarray]:
    return [pixels(p.inline_data.data) for p in parts_of(response) if p.inline_data is not None and p.thought]


def post(url: str, path: str, body: Any = None, raw: bytes | None = None, method: str = "POST") -> tuple[int, Any]:
    """Plain HTTP, for bodies and paths no client library would produce."""
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(
        url + path, data=data, method=method, headers={"Content-Type": "application/json", "Authorization": "Bearer t"}
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as reply:
            return reply.status, json.loads(reply.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def model_path(model: str, method: str = "generateContent", location: str = "global", version: str = "v1") -> str:
    return f"/{version}/projects/test-project/locations/{location}/publishers/google/models/{model}:{method}"


def violation(error) -> str:
    """The field a 400 names in its BadRequest details (google-genai keeps the body in .details)."""
    for detail in error.details["error"].get("details", []):
        for item in detail.get("fieldViolations", []):
            return item["field"]
    return ""
