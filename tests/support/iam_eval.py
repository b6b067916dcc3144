"""AWS's evaluation of identity-based policies, for one role and one authorization request.

As documented ("Policy evaluation logic"): an explicit Deny that matches wins; else an Allow that
matches allows; else the request is implicitly denied. A statement matches when its Action (or
NotAction) matches the action, case-insensitively with `*` and `?` wildcards, its Resource (or
NotResource) matches the ARN, case-sensitively with wildcards, and every condition holds.
Conditions: the String*, Arn*, Bool and Null operators, with `ForAllValues:` (every value of the
request's key is among the policy's; true when the request has no such key), `ForAnyValue:` (at least
one is; false when it has none) and `...IfExists`. Any other operator raises: the test must not
pass on a condition it cannot read. Resource-based policies (queue, topic, key policies) and SCPs
are not evaluated.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from support.iam_calls import Request

Statement = dict[str, Any]


@cache
def _pattern(text: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile(f"^{body}$", (re.IGNORECASE if ignore_case else 0) | re.DOTALL)


def matches(pattern: str, value: str, ignore_case: bool = False) -> bool:
    return bool(_pattern(pattern, ignore_case).match(value))


def _list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _string(op: str) -> Callable[[str, str], bool] | None:
    return {
        "StringEquals": lambda p, v: p == v, "StringNotEquals": lambda p, v: p == v,
        "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
        "StringNotEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
        "StringLike": matches, "StringNotLike": matches,
        "ArnEquals": lambda p, v: p == v, "ArnNotEquals": lambda p, v: p == v,
        "ArnLike": matches, "ArnNotLike": matches,
        "Bool": lambda p, v: p.lower() == v.lower(),
    }.get(op)


def condition_holds(operator: str, key: str, wanted: list[str], context: dict[str, list[str]]) -> bool:
    qualifier, _, op = operator.rpartition(":")
    if_exists = op.endswith("IfExists")
    op = op.removesuffix("IfExists")
    values = context.get(key)
    if op == "Null":
        return (values is None) == (wanted[0].lower() == "true")
    compare = _string(op)
    if compare is None or qualifier not in ("", "ForAllValues", "ForAnyValue"):
        raise NotImplementedError(f"condition operator {operator} is not evaluated by this test")
    negated = "Not" in op

    def one(value: str) -> bool:
        hit = any(compare(p, value) for p in wanted)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(one(v) for v in values or [])
    if qualifier == "ForAnyValue":
        return any(one(v) for v in values or [])
    if values is None:  # a missing key: only IfExists, or a negated operator, holds
        return if_exists or negated
    return all(one(v) for v in values)


def statement_matches(statement: Statement, request: Request) -> bool:
    if "Action" in statement:
        if not any(matches(a, request.action, True) for a in _list(statement["Action"])):
            return False
    elif any(matches(a, request.action, True) for a in _list(statement.get("NotAction", []))):
        return False
    if "Resource" in statement:
        if not any(matches(r, request.resource) for r in _list(statement["Resource"])):
            return False
    elif any(matches(r, request.resource) for r in _list(statement.get("NotResource", []))):
        return False
    return all(condition_holds(op, key, _list(wanted), request.context)
               for op, keys in statement.get("Condition", {}).items() for key, wanted in keys.items())


@dataclass
class Decision:
    request: Request
    allowed: bool
    allowed_by: list[Statement] = field(default_factory=list)
    denied_by: list[Statement] = field(default_factory=list)


def decide(statements: list[Statement], request: Request) -> Decision:
    """The decision for `request` under `statements` (one principal's identity policies)."""
    hits = [s for s in statements if statement_matches(s, request)]
    denies = [s for s in hits if s.get("Effect") == "Deny"]
    allows = [s for s in hits if s.get("Effect") == "Allow"]
    return Decision(request, bool(allows) and not denies, allows, denies)


def considered(statements: list[Statement], request: Request) -> list[Statement]:
    """The statements worth showing for a denied request: those whose action covers it, else those of
    the same AWS service, else all."""
    prefix = request.action.split(":")[0] + ":"
    by_action = [s for s in statements if any(matches(a, request.action, True) for a in _list(s.get("Action", [])))]
    by_service = [s for s in statements if any(a.lower().startswith(prefix) for a in _list(s.get("Action", [])))]
    return by_action or by_service or statements


def show(statement: Statement) -> str:
    condition = f" if {statement['Condition']}" if statement.get("Condition") else ""
    return (f"{statement.get('Effect')} {_list(statement.get('Action', statement.get('NotAction')))} on "
            f"{_list(statement.get('Resource', statement.get('NotResource')))}{condition}  [{statement['Policy']}]")


def unused(statements: list[Statement], decisions: list[Decision]) -> list[str]:
    """Each (statement, action) an Allow grants that no allowed request used, and each partition of a
    `dynamodb:LeadingKeys` condition (a name, or a `StringLike` pattern such as `series#*`) that no request
    it allowed touched."""
    used = {(id(s), a) for d in decisions for s in d.allowed_by for a in _list(s["Action"])
            if matches(a, d.request.action, True)}
    out = []
    for s in statements:
        if s.get("Effect") != "Allow" or "Action" not in s:
            continue
        condition = f" if {s['Condition']}" if s.get("Condition") else ""
        out += [f"{a} on {_list(s.get('Resource'))}{condition}" for a in _list(s["Action"]) if (id(s), a) not in used]
        wanted, like = leading_keys(s)
        if wanted:
            touched = {k for d in decisions if any(x is s for x in d.allowed_by)
                       for k in d.request.context.get("dynamodb:LeadingKeys", [])}
            idle = sorted(w for w in set(wanted) if not any(matches(w, k) if like else w == k for k in touched))
            if idle:
                out.append(f"partitions {idle} of {_list(s['Action'])}: never touched")
    return out


def leading_keys(statement: Statement) -> tuple[list[str], bool]:
    """The partitions (names or `StringLike` patterns) a statement's `dynamodb:LeadingKeys` condition
    allows, and whether they are patterns; ([], False) without such a condition."""
    condition = statement.get("Condition", {})
    for operator, like in (("ForAllValues:StringLike", True), ("ForAllValues:StringEquals", False)):
        wanted = condition.get(operator, {}).get("dynamodb:LeadingKeys")
        if wanted:
            return _list(wanted), like
    return [], False
