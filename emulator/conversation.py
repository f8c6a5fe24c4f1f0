"""Conversations as the service holds them: no session, signatures that prove a model turn came back intact.

Google keeps nothing between calls: a follow-up carries the whole history, and each signed part of an
earlier model turn must come back exactly as returned (ref gemini-conversation §1: "Missing signatures
will result in a 400 error"). Here a thoughtSignature is a keyed digest of the very bytes of its part
(the picture's bytes, or the text), so the emulator, stateless like the service, can tell a part that
changed or a signature moved to another part (400), whichever process or restart issued it.

A follow-up's picture shows which turn it answers: a white strip with one black square per user turn
in the top-left corner of the changed area, so a test can see the history was used.
"""

from __future__ import annotations

import base64
import hashlib

import numpy as np

KEY = b"imagen-gimp-emulator-signatures-v1"  # not a secret: the emulator only proves integrity to itself
PREFIX = b"\x12\x20"  # signatures look like Google's: opaque bytes, a short protobuf-like header


def sign(content: bytes) -> str:
    """The thoughtSignature for a part holding `content` (a picture's bytes, or UTF-8 text)."""
    digest = hashlib.sha256(KEY + hashlib.sha256(content).digest()).digest()
    return base64.b64encode(PREFIX + digest + digest[::-1]).decode("ascii")


def signed_by(signature: bytes, content: bytes) -> bool:
    """True when `signature` (decoded) was issued for exactly `content`."""
    return base64.b64decode(sign(content)) == signature


def corrupted(content_at: int, part_at: int) -> str:
    # Google's wording for a changed signed part is not documented (UNVERIFIED); this names the rule.
    return (
        f"Corrupted thought signature in content position {content_at}, part position {part_at}: the "
        "signed part was changed, or the signature belongs to another part. Send every model part back "
        "exactly as it was returned. Please refer to https://ai.google.dev/gemini-api/docs/thought-"
        "signatures for more details."
    )


def mark_turn(rgb: np.ndarray, inside: np.ndarray, turn: int) -> np.ndarray:
    """`turn` black squares on a white strip at the top-left of the area `inside` marks (drawn only there)."""
    rows = np.flatnonzero(inside.any(axis=1))
    cols = np.flatnonzero(inside.any(axis=0))
    if rows.size == 0:
        return rgb
    y0, x0 = int(rows[0]), int(cols[0])
    height, width = int(rows[-1]) - y0 + 1, int(cols[-1]) - x0 + 1
    side = max(3, min(height // 8, width // (2 * turn + 2)))
    mark = np.zeros(rgb.shape[:2], np.int8)  # 0 untouched, 1 white, 2 black
    mark[y0 : y0 + 3 * side, x0 : x0 + (2 * turn + 1) * side] = 1
    for index in range(turn):
        left = x0 + side + 2 * side * index
        mark[y0 + side : y0 + 2 * side, left : left + side] = 2
    out = rgb.copy()
    out[(mark == 1) & inside] = 255
    out[(mark == 2) & inside] = 0
    return out
