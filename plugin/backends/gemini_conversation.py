"""A Gemini image conversation on the wire: earlier turns sent back exactly as kept, the new exchange kept.

Google's rule for image models: every earlier model turn goes back exactly as it came, each signed part
byte for byte with its thoughtSignature ("Missing signatures will result in a 400 error"). The turns
are google-genai Content objects kept in their own JSON form (bytes as base64), so loading one gives the
very bytes the service sent. A blocked answer raises before anything is kept, so it never enters the
history; a 400 about the history (a signature) is never retried and tells the user to start afresh.
"""

from __future__ import annotations

import json

from plugin import actions
from plugin.backends.base import BackendError, EditRequest
from plugin.conversations import Exchange, Store, new_id

REFINABLE = frozenset(
    a.name for a in actions.ACTIONS if "gemini" in a.served and a.result in ("layers", "new-image-or-layers")
)
"""Actions whose results can be refined: Gemini makes a picture over a region or anew, pasted as layers
(upscale and describe answer once; an expansion's refinement would need the canvas grown again)."""
SIGNATURE_WORDS = ("thought_signature", "thoughtsignature", "thought signature")


class HistoryRefused(BackendError):
    """The model refused the conversation's history (a missing or changed thoughtSignature)."""


def contents(history) -> list:
    """Stored Content JSON -> google-genai Content objects, bytes and signatures as they were."""
    from google.genai import types

    return [types.Content.model_validate_json(json.dumps(item)) for item in history]


def dumped(content) -> dict:
    """A google-genai Content -> its JSON form (bytes as base64), for the store."""
    return json.loads(content.model_dump_json(exclude_none=True))


def keep(store: Store, request: EditRequest, call, response, tier: str) -> Exchange | None:
    """Keep the exchange that just succeeded: the user turn as sent, the model turn as returned."""
    op = request.op
    if op.action not in REFINABLE:
        return None
    candidates = getattr(response, "candidates", None) or []
    answer = candidates[0].content if candidates and candidates[0].content is not None else None
    if answer is None or not answer.parts:
        return None
    from google.genai import types

    followup = request.followup
    user = types.Content(role="user", parts=list(call.parts))
    continued = followup is not None and bool(followup.history)
    exchange = Exchange(
        id=new_id(),
        parent=followup.parent if continued else "",
        depth=followup.depth + 1 if continued else 1,
        model=call.model,
        tier=tier,
        action=op.action,
        user=dumped(user),
        answer=dumped(answer),
        instruction=followup.instruction if followup is not None else "",
    )
    if answer.role != "model":
        exchange.answer["role"] = "model"
    store.save(exchange)
    return exchange


def refused(exc: BackendError, model: str) -> BackendError:
    """A 400 about the history -> HistoryRefused with what to do; anything else unchanged."""
    lowered = str(exc).lower()
    if not any(word in lowered for word in SIGNATURE_WORDS):
        return exc
    return HistoryRefused(
        f"{model} refused this conversation's history ({exc}). The conversation cannot be "
        "continued; start afresh from the current pixels (Refine Result with 'Start afresh', "
        "or imagen-gimp refine PREVIOUS --afresh --prompt ...)."
    )
