"""Faults injected per request: what the next COUNT matching calls answer instead of the normal reply.

A fault only matches the calls where the real failure can happen, so one list can script a whole
session: the setup failures (401, 403-disabled, 404) hit every route including countTokens and
models.get, a missing IAM role hits the project-scoped calls, the transient errors and odd answers
hit the calls that do model work (generateContent, and :predict when the Imagen side is on).
"""

from __future__ import annotations

from dataclasses import dataclass

GENERATE, COUNT, GET, PREDICT = "generate", "count", "get", "predict"
ALL = (GENERATE, COUNT, GET, PREDICT)
WORK = (GENERATE, PREDICT)

FINISH_KINDS = ("IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION", "IMAGE_OTHER", "NO_IMAGE", "RECITATION")
# kind -> (routes it applies to, what it does); the order is the order --help lists them in.
KINDS: dict[str, tuple[tuple[str, ...], str]] = {
    "401": (ALL, "401 UNAUTHENTICATED (bad or expired credentials)"),
    "403-disabled": (ALL, "403 PERMISSION_DENIED, ErrorInfo SERVICE_DISABLED (Vertex AI API off)"),
    "403-iam": ((GENERATE, COUNT, PREDICT), "403 PERMISSION_DENIED, ErrorInfo IAM_PERMISSION_DENIED"),
    "404": (ALL, "Google's 404 for the model, as if it were shut down"),
    "429": (WORK, "429 RESOURCE_EXHAUSTED"),
    "500": (WORK, "500 INTERNAL"),
    "503": (WORK, "503 UNAVAILABLE (model overloaded)"),
    "slow": (WORK, "hold the call ARG seconds (default 5), then answer normally"),
    "malformed": (WORK, "200 with a body that is not valid JSON"),
    "blocked": (
        (GENERATE, PREDICT),
        "200, promptFeedback.blockReason SAFETY, no candidates (:predict: Imagen's 400 for a blocked prompt)",
    ),
    **{
        kind: (
            (GENERATE,),
            "200, one candidate with that finishReason and finishMessage, no picture (NO_IMAGE: a text part only)",
        )
        for kind in FINISH_KINDS
    },
    "text-only": ((GENERATE,), "200, finishReason STOP with only a text part (no picture)"),
    "filter": ((PREDICT,), ":predict drops ARG samples (0 = all) as safety-filtered"),
    "403-person": ((PREDICT,), ":predict 403 for personGeneration allow_all without allowlisting"),
}


SETUP_KINDS = frozenset({"401", "403-disabled", "403-iam", "404"})  # fire before the body is read


def normal_kind(kind: str) -> str:
    """Finish-reason kinds are Google's enum names; accept them in any case, the rest lower case."""
    return kind.upper() if kind.upper() in FINISH_KINDS else kind.lower()


@dataclass
class Fault:
    """Applies to the next `count` matching calls (optionally only those naming `model`).

    `seconds` is how long `slow` holds a call; `samples` is how many samples `filter` drops.
    """

    kind: str
    count: int = 1
    seconds: float = 0.0
    model: str = ""
    samples: int = 0

    def __post_init__(self) -> None:
        self.kind = normal_kind(self.kind)
        if self.kind not in KINDS:
            raise ValueError(f"fault kind {self.kind!r}; choose one of {', '.join(KINDS)}")
        if self.count < 0 or self.seconds < 0 or self.samples < 0:
            raise ValueError("fault count, seconds and samples cannot be negative")

    @classmethod
    def parse(cls, text: str) -> Fault:
        """'429:2' (the next 2 calls), 'slow:1:5' (hold 5 s), 'filter:1:2' (drop 2 samples),
        any of them with '@MODEL' at the end to match only that model ('503:1@gemini-3-pro-image')."""
        spec, _, model = text.partition("@")
        kind, _, rest = spec.partition(":")
        count_text, _, arg = rest.partition(":")
        try:
            count = int(count_text) if count_text else 1
            fault = cls(kind, count, model=model.strip())
            if fault.kind == "slow":
                fault.seconds = float(arg) if arg else 5.0
            elif fault.kind == "filter" and arg:
                fault.samples = int(arg)
            elif arg:
                raise ValueError(f"fault {fault.kind} takes no ARG (got {arg!r})")
        except ValueError as exc:
            if "fault" in str(exc):
                raise
            raise ValueError(f"fault {text!r}: COUNT and ARG must be numbers ({exc})") from exc
        return fault

    def matches(self, route: str, model: str, setup: bool) -> bool:
        """Whether this fault fires for a call now; `setup` = the stage before the body is checked (the
        credential, API and model-existence faults), else the model's work after a valid body. So a
        request refused with 400 never uses up a 429 meant for the next valid one."""
        return (
            self.count > 0
            and route in KINDS[self.kind][0]
            and self.model in ("", model)
            and (self.kind in SETUP_KINDS) == setup
        )


ROUTE_NAMES = {
    ALL: "every call",
    WORK: "generateContent, :predict",
    (GENERATE,): "generateContent",
    (PREDICT,): ":predict",
    (GENERATE, COUNT, PREDICT): "all but models.get",
}


def describe_kinds() -> str:
    """Each kind, what it answers and where it applies, for --help (the finish reasons as one entry)."""
    entries: dict[str, str] = {}
    for kind, (routes, text) in KINDS.items():
        name = " ".join(FINISH_KINDS) if kind in FINISH_KINDS else kind
        entries[name] = f"{name}: {text} [{ROUTE_NAMES[routes]}]"
    return "; ".join(entries.values())
