"""The JSON Schemas of the FORMAT.md files, and the strict check that reads with them.

``instance.schema.json`` and ``solution.schema.json`` (package data beside this module) are
the one list of the fields each format knows; `vrp schema instance|solution` prints them.
`check(data, kind)` validates a parsed file against its schema with `jsonschema` (Draft
2020-12) and turns an error into one line naming the field, as `InputError`:

    unknown field customers[0].demand: did you mean delivery?

Unknown fields are reported before anything else (a misspelling is the likeliest cause of
any later error); the readers in `vrp.formats.io` then check what the values mean, with
their own messages, and only then does another schema error count. The two matrices are
checked by the reader, not here: the validator visits every entry one by one (8 s for the
980 x 980 matrix of X-n979-k58, against 0.2 s for the rest of that file).
"""

from __future__ import annotations

import difflib
import json
from functools import cache
from importlib import resources
from typing import Any, Literal

from vrp.errors import InputError

Kind = Literal["instance", "solution"]
KINDS: tuple[Kind, ...] = ("instance", "solution")
# Fields checked by the reader itself (see the module doc), left out of the schema check.
_SKIPPED = {"instance": ("distance_matrix", "duration_matrix"), "solution": ()}
# Names other formats use for one of ours, too far apart for difflib to find.
_SYNONYMS = {
    "demand": "delivery",
    "demands": "delivery",
    "service": "service_time",
    "service_duration": "service_time",
    "tw": "time_window",
    "coords": "location",
    "coord": "location",
    "coordinate": "location",
    "num_vehicles": "count",
    "vehicle_count": "count",
    "distances": "distance_matrix",
    "durations": "duration_matrix",
}
_TYPE_WORDS = {
    "number": "a number",
    "integer": "an integer",
    "string": "a string",
    "boolean": "true or false",
    "null": "null",
    "array": "a list",
    "object": "a JSON object",
}


@cache
def schema(kind: Kind) -> dict[str, Any]:
    """The JSON Schema of ``kind`` (``"instance"`` or ``"solution"``), as a dict."""
    if kind not in KINDS:
        raise InputError(f"unknown schema {kind!r}; expected 'instance' or 'solution'")
    text = resources.files("vrp.formats").joinpath(f"{kind}.schema.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


def check(data: Any, kind: Kind) -> InputError | None:
    """Validate ``data`` (a parsed ``kind`` file) against its schema, in one pass.

    Raises:
        InputError: for the first unknown field.

    Returns:
        The first other schema error, for the reader to raise after its own checks (whose
        messages say more), or None.
    """
    from jsonschema import Draft202012Validator

    if not isinstance(data, dict):
        return None  # the reader says so, in its words
    doc = {k: v for k, v in data.items() if k not in _SKIPPED[kind]}
    validator = Draft202012Validator(schema(kind))
    errors = sorted(validator.iter_errors(doc), key=lambda e: _path_key(e.absolute_path))
    for error in errors:
        if error.validator == "additionalProperties":
            _raise_unknown(error)
    if not errors:
        return None
    return InputError(_describe(errors[0]), field=_field(errors[0].absolute_path) or None)


def _raise_unknown(error: Any) -> None:
    known = list(error.schema.get("properties", {}))
    where = _field(error.absolute_path)
    key = next(k for k in error.instance if k not in known)
    field = f"{where}.{key}" if where else key
    guess = _nearest(key, known)
    if guess:
        raise InputError(f"unknown field {field}: did you mean {guess}?")
    raise InputError(
        f"unknown field {field}: known are {', '.join(known)}; free-form data goes under meta"
    )


def _nearest(key: str, known: list[str]) -> str | None:
    lowered = key.lower()
    if _SYNONYMS.get(lowered) in known:
        return _SYNONYMS[lowered]
    close = difflib.get_close_matches(lowered, known, n=1, cutoff=0.6)
    return close[0] if close else None


def _describe(error: Any) -> str:
    value = json.dumps(error.instance)[:60]
    if error.validator == "type":
        types = error.validator_value
        types = [types] if isinstance(types, str) else types
        return f"must be {' or '.join(_TYPE_WORDS.get(t, t) for t in types)}, got {value}"
    if error.validator == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        return f"missing required field {missing[0]}"
    if error.validator in ("enum", "const"):
        allowed = error.validator_value
        allowed = allowed if isinstance(allowed, list) else [allowed]
        return f"expected {' or '.join(json.dumps(a) for a in allowed)}, got {value}"
    return " ".join(error.message.split())[:200]


def _field(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _path_key(path: Any) -> tuple[tuple[int, Any], ...]:
    return tuple((0, p) if isinstance(p, int) else (1, str(p)) for p in path)
