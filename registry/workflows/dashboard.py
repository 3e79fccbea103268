"""The dashboard's period: months as the bureaus count them (Beijing time) turned into UTC bounds."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ..core.errors import InvalidRequestError
from ..crud.dashboard import CHINA_TIME_ZONE, Period

__all__ = ["period_of_months"]

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
