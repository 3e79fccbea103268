"""The dashboard's period (months as the bureaus count them, Beijing time, turned into UTC bounds) and
the public summary's cache."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

from ..core.errors import InvalidRequestError
from ..crud.dashboard import CHINA_TIME_ZONE, Period

__all__ = ["SummaryCache", "period_of_months"]

T = TypeVar("T")

_CHINA = ZoneInfo(CHINA_TIME_ZONE)


def _month_start(month: str) -> datetime:
    year, number = (int(part) for part in month.split("-"))
    if not 1 <= number <= 12 or not 2000 <= year <= 2999:
        raise InvalidRequestError(f"{month}: a month is YYYY-MM, between 2000-01 and 2999-12")
    return datetime(year, number, 1, tzinfo=_CHINA)


def _next_month(start: datetime) -> datetime:
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


def period_of_months(from_month: str | None, to_month: str | None) -> Period:
    """[first day of ``from_month``, first day after ``to_month``) in UTC; either may be open."""
    start = _month_start(from_month) if from_month else None
    end = _next_month(_month_start(to_month)) if to_month else None
    if start and end and start >= end:
        raise InvalidRequestError(f"from_month {from_month} is after to_month {to_month}")
    return Period(start=start, end=end)


class SummaryCache:
    """The public summary, computed at most once per ``ttl`` seconds per period: the endpoint is
    anonymous, and nobody may make the database aggregate everything without limit. One computation
    at a time; those who wait get its answer."""

    def __init__(self, ttl: float = 30.0, size: int = 64) -> None:
        self.ttl = ttl
        self.size = size
        self._lock = threading.Lock()
        self._entries: dict[Hashable, tuple[float, Any]] = {}

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            found = self._entries.get(key)
            if found is not None and time.monotonic() - found[0] < self.ttl:
                return cast(T, found[1])
            value = compute()
            if len(self._entries) >= self.size:
                self._entries.pop(next(iter(self._entries)))
            self._entries[key] = (time.monotonic(), value)
            return value
