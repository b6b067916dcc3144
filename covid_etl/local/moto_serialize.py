"""moto's JSON responses, without walking DynamoDB's attribute values member by member.

moto 5.2 serializes every response through botocore's output shapes. For DynamoDB that walks each
attribute value of each item as a structure of ten members (S, N, B, ..., M, L), asking a generic
attribute picker for every member's possible names, recursively into maps and lists. The values
are already in their wire form (`{"S": "..."}`, `{"N": "42"}`, maps of such), so the walk rebuilds
them unchanged: a GetItem of a run's record (four stage maps) took 4.9 ms against 2.2 ms for a small
item, and the serializer was 43% of the emulator's busy time over the benchmark's runs (py-spy; `up`
then also Queried the runs every second).

Here an attribute value that is already in wire form is written as it is. A value holding binary
(B, BS), which the shape-driven path base64-encodes, and anything else unexpected still takes moto's
own path, so the body is byte for byte what moto writes (tests/integration/test_emulator.py compares
both on every kind of value and response).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_PLAIN = frozenset({"S", "N", "BOOL", "NULL", "SS", "NS"})


def wire_form(value: Any) -> bool:
    """Whether `value` is an attribute value that moto's serializer would write back unchanged."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    [(kind, inner)] = value.items()
    if kind in _PLAIN:
        return True
    if kind == "M":
        return isinstance(inner, dict) and all(wire_form(v) for v in inner.values())
    if kind == "L":
        return isinstance(inner, list) and all(wire_form(v) for v in inner)
    return False


def install() -> None:
    """Patch moto's JSON serializer (idempotent)."""
    from moto.core.serialize import BaseJSONSerializer

    original: Callable[..., None] = BaseJSONSerializer._serialize_type_structure
    if getattr(original, "attribute_values_as_they_are", False):
        return

    def _serialize_type_structure(self: Any, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if key and shape.name == "AttributeValue" and wire_form(value):
            serialized[self.get_serialized_name(shape, key)] = value
            return
        original(self, serialized, value, shape, key)

    _serialize_type_structure.attribute_values_as_they_are = True  # type: ignore[attr-defined]
    _serialize_type_structure.original = original  # type: ignore[attr-defined]
    BaseJSONSerializer._serialize_type_structure = _serialize_type_structure  # type: ignore[method-assign]
