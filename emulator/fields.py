"""Typed readers of a JSON request body that refuse what Google's JSON parser refuses.

Paths are written in the JSON's camelCase ('generationConfig.imageConfig') and reported in the
proto's snake_case, as Google does. google-genai sends a few keys in snake_case inside otherwise
camelCase JSON (inlineData.mime_type, thinkingConfig.thinking_level, ...); `pick` accepts either
spelling of such a key, and refuses both at once, the way a proto parser would.
"""

from __future__ import annotations

from typing import Any

from emulator.errors import ApiError, bad_value, invalid, snake, unknown_field

V1 = "type.googleapis.com/google.cloud.aiplatform.v1."


def obj(value: Any, path: str, allowed: set[str], type_name: str = "") -> dict:
    """A JSON object whose keys are all in `allowed`."""
    if not isinstance(value, dict):
        raise bad_value(path, V1 + type_name if type_name else "TYPE_MESSAGE", _short(value))
    for key in value:
        if key not in allowed:
            raise unknown_field(path, key)
    return value


def pick(value: dict, camel: str, path: str) -> Any:
    """value[camel] or value[snake_case(camel)]; None when neither is there."""
    other = snake(camel)
    if camel in value and other in value and other != camel:
        raise ApiError(
            400,
            f"Invalid JSON payload received. Field '{other}' at '{snake(path)}' is set twice "
            f'(as "{camel}" and "{other}").',
            field=f"{snake(path)}.{other}",
        )
    return value.get(camel, value.get(other))


def both(*names: str) -> set[str]:
    """The camelCase names and their snake_case spellings, for `obj`'s allowed set."""
    return set(names) | {snake(n) for n in names}


def string(value: Any, path: str) -> str:
    if not isinstance(value, str):
        raise bad_value(path, "TYPE_STRING", _short(value))
    return value


def boolean(value: Any, path: str) -> bool:
    if not isinstance(value, bool):
        raise bad_value(path, "TYPE_BOOL", _short(value))
    return value


def integer(value: Any, path: str, kind: str = "TYPE_INT32") -> int:
    """JSON numbers that are whole (Google's parser takes 3.0 for an int32), not booleans."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or float(value) != int(value):
        raise bad_value(path, kind, _short(value))
    number = int(value)
    if kind == "TYPE_INT32" and not -(2**31) <= number < 2**31:
        raise bad_value(path, kind, number)
    return number


def number(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise bad_value(path, "TYPE_FLOAT", _short(value))
    return float(value)


def in_range(value: float, path: str, low: float, high: float) -> float:
    """Vertex's range refusal; `high` is exclusive, as Vertex states its ranges."""
    if not low <= value < high:
        name = path.rsplit(".", 1)[-1]
        raise invalid(
            path,
            "",
            message=f"Unable to submit request because it has a {name} value of "
            f"{_plain(value)} but the supported range is from {_plain(low)} "
            f"(inclusive) to {_plain(high)} (exclusive). Update the value and "
            "try again.",
        )
    return value


def enum(value: Any, path: str, type_name: str, allowed: tuple[str, ...]) -> str:
    """An enum given by name. Numbers are refused: google-genai sends names, and the int numbering
    differs between client distributions (ref §10.2), so the emulator does not guess it."""
    if isinstance(value, str) and value in allowed:
        return value
    hint = (
        "the emulator takes enum names, as google-genai sends them"
        if isinstance(value, (int, float)) and not isinstance(value, bool)
        else ""
    )
    raise bad_value(path, V1 + type_name, _short(value), hint)


def one_of(values: tuple[str, ...]) -> str:
    """ "'a'", "'a' or 'b'", "'a', 'b', or 'c'" (Google's list style in its 400s, ref §8)."""
    quoted = [f"'{v}'" for v in values]
    if len(quoted) <= 2:
        return " or ".join(quoted)
    return ", ".join(quoted[:-1]) + ", or " + quoted[-1]


def _short(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        return type(value).__name__
    if isinstance(value, str) and len(value) > 60:
        return value[:57] + "..."
    return value


def _plain(value: float) -> str:
    return str(int(value)) if float(value) == int(value) else str(value)
