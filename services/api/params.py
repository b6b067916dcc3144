"""Query-parameter validation: every parameter is known, given once, and well formed."""

from __future__ import annotations

import re
from datetime import date, datetime

from flask import request

from services.api.history import parse_instant
from services.api.problems import bad_parameter

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def query(allowed: tuple[str, ...]) -> dict[str, str]:
    """The request's query parameters; 400 for an unknown or repeated one."""
    args = request.args
    for name in args:
        if name not in allowed:
            known = ", ".join(allowed) if allowed else "none"
            raise bad_parameter(name, f"unknown query parameter {name!r}; this endpoint takes: {known}")
        if len(args.getlist(name)) > 1:
            raise bad_parameter(name, f"query parameter {name!r} is given more than once")
    return {k: args[k] for k in args}


def iso_date(params: dict[str, str], name: str) -> str | None:
    """A YYYY-MM-DD parameter (a real calendar day), or None when absent."""
    value = params.get(name)
    if value is None:
        return None
    try:
        if not DATE.match(value):
            raise ValueError
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise bad_parameter(name, f"{name!r} must be a date as YYYY-MM-DD, got {value!r}") from None


def date_range(params: dict[str, str]) -> tuple[str | None, str | None]:
    start, end = iso_date(params, "from"), iso_date(params, "to")
    if start and end and start > end:
        raise bad_parameter("from", f"'from' ({start}) is after 'to' ({end})")
    return start, end


def choice(params: dict[str, str], name: str, options: tuple[str, ...]) -> str:
    """One of `options`; the first is the default."""
    value = params.get(name, options[0])
    if value not in options:
        raise bad_parameter(name, f"{name!r} must be one of {', '.join(options)}; got {value!r}")
    return value


def integer(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    value = params.get(name)
    if value is None:
        return default
    if not re.fullmatch(r"\d{1,6}", value) or not low <= int(value) <= high:
        raise bad_parameter(name, f"{name!r} must be an integer from {low} to {high}; got {value!r}")
    return int(value)


def instant(params: dict[str, str], name: str) -> datetime | None:
    """An ISO-8601 instant (`services.api.history.parse_instant`), or None when absent."""
    value = params.get(name)
    if value is None:
        return None
    try:
        return parse_instant(value)
    except ValueError:
        raise bad_parameter(name, f"{name!r} must be an ISO-8601 instant (2021-03-17T12:00:00Z) or a date "
                                  f"(its end of day, UTC); got {value!r}") from None


def id_list(params: dict[str, str], name: str, most: int) -> list[str]:
    """A comma-separated list of 1 to `most` ids, duplicates dropped, in the given order."""
    ids = list(dict.fromkeys(p.strip() for p in params.get(name, "").split(",") if p.strip()))
    if not ids:
        raise bad_parameter(name, f"{name!r} must list at least one id, comma-separated")
    if len(ids) > most:
        raise bad_parameter(name, f"{name!r} lists {len(ids)} ids; at most {most} are allowed")
    return ids
