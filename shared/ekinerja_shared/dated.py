"""Values that hold from a date (an employee's supervisor, unit ...), stated by directory
events that may arrive late or out of order. The rule every copy applies: the statement
made last wins from its date on. Pure functions, no I/O."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")

History = Mapping[dt.date, tuple[T, dt.datetime]]
"""From each date, the value stated and when it was stated."""


def after_statement(history: History[T], since: dt.date, value: T,
                    stated_at: dt.datetime) -> dict[dt.date, tuple[T, dt.datetime]]:
    """The history once "from ``since`` on, ``value``" (stated at ``stated_at``) is applied:
    unchanged when a statement made later already holds from ``since`` or an earlier date;
    otherwise the statements made earlier about later dates are dropped and this one
    recorded from ``since``."""
    if any(d <= since and at > stated_at for d, (_, at) in history.items()):
        return dict(history)
    out = {d: v for d, v in history.items() if not (d > since and v[1] < stated_at)}
    out[since] = (value, stated_at)
    return out
