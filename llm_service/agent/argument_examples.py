"""Values read off a tool's whole-argument examples: what the said arguments imply for the rest.

A tool may publish, as its input schema's JSON Schema `examples`, sets of arguments that go
together (the AWS server: each CloudWatch metric with its namespace and the dimension that names
its resource). Where a request says some of them, the examples that agree with what it said
settle the others: "the CPU on instance i-0abc" says CPUUtilization and an InstanceId, and only
EC2 examples hold both, so the namespace is AWS/EC2; "the rds instance prod-db" says the
namespace AWS/RDS, whose examples name an instance by DBInstanceIdentifier, not InstanceId.
Only a plain string is filled this way (a map's values in an example are placeholders), and
only where every agreeing example gives the same one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def implied_arguments(
    said: Mapping[str, Any],
    properties: Mapping[str, Mapping[str, Any]],
    examples: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """`said` with the values the agreeing examples imply: a string slot unsaid, or said as
    words none of its own schema examples is, takes the one value they give it; a map said
    under keys they do not use takes theirs (`_rekeyed`)."""
    values = {name: v for name, v in said.items() if _machine_value(properties, name, v)}
    values = _rekeyed(values, examples)
    agreeing = [example for example in examples if _agrees(example, values)]
    if not values or len(agreeing) == len(examples):
        return dict(said)
    implied = dict(said)
    for name in properties:
        given = {example[name] for example in agreeing if isinstance(example.get(name), str)}
        if name not in values and len(given) == 1:
            implied[name] = given.pop()
    return implied | {name: value for name, value in values.items() if isinstance(value, dict)}


def _machine_value(properties: Mapping[str, Mapping[str, Any]], name: str, value: Any) -> bool:
    """Whether a said value can be matched to examples: not words where the slot's own
    examples are machine names ("target response time for the load" for a namespace)."""
    own = properties.get(name, {}).get("examples") or ()
    return not (isinstance(value, str) and " " in value and own and value not in own)


def _agrees(example: Mapping[str, Any], values: Mapping[str, Any]) -> bool:
    """Whether an example holds every said value it has a slot for: the same string (any
    case), a map whose keys include the said map's."""
    for name, value in values.items():
        shown = example.get(name)
        if isinstance(shown, str) and isinstance(value, str) and shown.lower() != value.lower():
            return False
        if isinstance(shown, dict) and isinstance(value, dict) and not value.keys() <= shown.keys():
            return False
    return True


def _rekeyed(values: dict[str, Any], examples: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """A said one-key map no agreeing example uses, under the one key the examples that agree
    with the rest do use ({InstanceId: prod-db} beside AWS/RDS: {DBInstanceIdentifier: ...})."""
    for name, value in values.items():
        if not isinstance(value, dict) or len(value) != 1:
            continue
        if any(_agrees(example, values) for example in examples if name in example):
            continue
        rest = {other: said for other, said in values.items() if other != name}
        keys = {
            key
            for example in examples
            if isinstance(example.get(name), dict) and _agrees(example, rest)
            for key in example[name]
        }
        if rest and len(keys) == 1:
            return {**values, name: {keys.pop(): next(iter(value.values()))}}
    return values
