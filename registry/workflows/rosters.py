"""Class rosters (花名册) for issuing: a CSV or Excel file read into batch records, and every record of
a batch checked row by row before anything is issued (R7, R10).

The checks are the issuing rules themselves, applied to every row instead of stopping at the first:
the record models of :mod:`registry.workflows.issuance`, one student number per batch, and the
vault's guardian-consent age. ``POST /credentials/batches`` runs the same :func:`check_records`
first, so a preview that shows no errors is a batch that will be accepted.

Excel files are read here (openpyxl), not in the browser: one parser, one set of rules, and the
npm release of SheetJS is years behind its fixes. Chinese Excel saves CSV as GB18030, so a CSV
that is not UTF-8 is read as that.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from ledger_service.vault import MINIMUM_AGE_WITHOUT_CONSENT, age_on

from ..core.errors import InvalidRequestError, UnsupportedMediaTypeError
from .issuance import DevelopmentEntry, GrowthEntry

__all__ = [
    "COLUMNS",
    "MAX_ROSTER_BYTES",
    "Roster",
    "RowProblem",
    "check_records",
    "read_roster",
]

MAX_ROSTER_BYTES = 5 * 1024 * 1024
_MAX_UNZIPPED = 64 * 1024 * 1024  # an .xlsx that inflates past this is refused before it is parsed (zip bombs)

# Column headings, as schools write them, to the field they fill: (subject | record, field name).
COLUMNS: dict[str, dict[str, tuple[str, str]]] = {
    "growth_record": {
        "姓名": ("subject", "name"),
        "name": ("subject", "name"),
        "学籍号": ("subject", "student_number"),
        "student_number": ("subject", "student_number"),
        "出生日期": ("subject", "birth_date"),
        "birth_date": ("subject", "birth_date"),
        "监护人": ("subject", "guardian"),
        "guardian": ("subject", "guardian"),
        "联系电话": ("subject", "contact"),
        "联系方式": ("subject", "contact"),
        "contact": ("subject", "contact"),
        "监护人同意书编号": ("subject", "guardian_consent"),
        "监护人同意": ("subject", "guardian_consent"),
        "guardian_consent": ("subject", "guardian_consent"),
        "评价维度": ("record", "dimension"),
        "维度": ("record", "dimension"),
        "dimension": ("record", "dimension"),
        "记录类型": ("record", "record_kind"),
        "record_kind": ("record", "record_kind"),
        "学期": ("record", "term"),
        "term": ("record", "term"),
        "记录内容": ("record", "narrative"),
        "评语": ("record", "narrative"),
        "narrative": ("record", "narrative"),
    },
    "professional_development": {
        "姓名": ("subject", "name"),
        "name": ("subject", "name"),
        "工号": ("subject", "staff_number"),
        "staff_number": ("subject", "staff_number"),
        "出生日期": ("subject", "birth_date"),
        "birth_date": ("subject", "birth_date"),
        "联系电话": ("subject", "contact"),
        "联系方式": ("subject", "contact"),
        "contact": ("subject", "contact"),
        "培训项目": ("record", "training"),
        "training": ("record", "training"),
        "培训类别": ("record", "category"),
        "category": ("record", "category"),
        "学时": ("record", "hours"),
        "hours": ("record", "hours"),
        "学分": ("record", "credits"),
        "credits": ("record", "credits"),
        "培训时间": ("record", "period"),
        "period": ("record", "period"),
        "培训机构": ("record", "provider"),
        "provider": ("record", "provider"),
    },
}
_REQUIRED = {
    "growth_record": ("name", "student_number", "birth_date", "dimension", "record_kind", "term", "narrative"),
    "professional_development": ("name", "staff_number", "birth_date", "training", "category", "hours", "credits", "period"),
}
_NUMBER_FIELD = {"growth_record": "student_number", "professional_development": "staff_number"}
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


@dataclass(frozen=True)
class RowProblem:
    """One thing wrong with one record: ``code`` is stable (the web page words it), ``message`` is for logs."""

    index: int  # the record's position in the batch, from 0
    field: str  # "subject.birth_date", or "" for the whole record
    code: str  # missing, invalid, not_allowed, too_long, too_short, bad_date, future_date, not_a_number, out_of_range,
    #            duplicate_number, guardian_consent_required, unexpected
    message: str


@dataclass
class Roster:
    """A roster file read into batch records; ``lines[i]`` is the file line (or sheet row) of record ``i``."""

    kind: str
    records: list[dict[str, Any]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)


# Reading files...


def _cell(value: Any) -> Any:
    """A cell as the records want it: text trimmed, whole numbers without '.0' (学籍号 typed as a number), dates as ISO."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    text = str(value).strip()
    return text or None


def _normal_date(text: str) -> str:
    """2011/9/1, 2011.9.1, 2011年9月1日, 20110901 → 2011-09-01 (what is not a date stays as written, for the check)."""
    match = _DATE.match(text) or _COMPACT_DATE.match(text)
    if not match:
        return text
    year, month, day = (int(part) for part in match.groups())
    return f"{year:04d}-{month:02d}-{day:02d}"


def _rows_of_csv(data: bytes) -> list[list[Any]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            raise InvalidRequestError("the CSV file is neither UTF-8 nor GB18030 text", code="unreadable_roster") from None
    if "\0" in text:
        raise InvalidRequestError("the file is not a CSV text file", code="unreadable_roster")
    dialect: type[csv.Dialect] = csv.excel
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        pass  # one column, or nothing to tell by: Excel's own CSV
    try:
        return list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as exc:
        raise InvalidRequestError(f"the CSV file cannot be read: {exc}", code="unreadable_roster") from None


def _rows_of_xlsx(data: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook  # only for Excel files: a large import

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > _MAX_UNZIPPED:
                raise InvalidRequestError("the Excel file unpacks to too much data", code="unreadable_roster")
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except InvalidRequestError:
        raise
    except Exception as exc:  # openpyxl raises many kinds (zip, XML, key errors) for a damaged file
        raise InvalidRequestError(f"the Excel file cannot be read: {type(exc).__name__}", code="unreadable_roster") from None
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            raise InvalidRequestError("the Excel file has no worksheet", code="unreadable_roster")
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def read_roster(data: bytes, kind: str, *, max_records: int) -> Roster:
    """Read a CSV or .xlsx roster (the first sheet; the first non-empty row names the columns) into
    records of ``kind``. Raises :class:`InvalidRequestError` for a file that cannot be a roster;
    what is wrong inside rows is left to :func:`check_records`."""
    if kind not in COLUMNS:
        raise InvalidRequestError(f"kind must be one of {', '.join(COLUMNS)}")
    if len(data) > MAX_ROSTER_BYTES:
        raise InvalidRequestError(f"a roster file holds at most {MAX_ROSTER_BYTES // 1024 // 1024} MB", code="roster_too_large")
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnsupportedMediaTypeError("old Excel (.xls) files are not read: save the sheet as .xlsx or CSV")
    rows = _rows_of_xlsx(data) if data.startswith(b"PK\x03\x04") else _rows_of_csv(data)
    numbered = [(line, [_cell(value) for value in row]) for line, row in enumerate(rows, start=1)]
    numbered = [(line, row) for line, row in numbered if any(value is not None for value in row)]
    if not numbered:
        raise InvalidRequestError("the roster is empty", code="empty_roster")
    columns = COLUMNS[kind]
    _, heading = numbered[0]
    names = [str(value).strip().lower() if value is not None else "" for value in heading]
    known = {name.lower(): target for name, target in columns.items()}
    targets = [known.get(name) for name in names]
    found = {target[1] for target in targets if target is not None}
    missing = [name for name in _REQUIRED[kind] if name not in found]
    if missing:
        expected = {target[1]: heading for heading, target in columns.items() if not heading.isascii()}
        raise InvalidRequestError(
            f"the roster has no column for {', '.join(expected.get(name, name) for name in missing)} (the first row names the columns)",
            code="missing_columns",
            columns=[expected.get(name, name) for name in missing],
        )
    if len(numbered) - 1 > max_records:
        raise InvalidRequestError(f"a batch holds at most {max_records} records; split the roster", code="roster_too_large")
    roster = Roster(
        kind=kind,
        ignored_columns=[str(value) for value, target in zip(heading, targets, strict=True) if target is None and value is not None],
    )
    for line, row in numbered[1:]:
        record: dict[str, dict[str, Any]] = {"subject": {}, "record": {}}
        for value, target in zip(row, targets, strict=False):
            if target is None or value is None:
                continue
            part, name = target
            record[part][name] = _normal_date(value) if name == "birth_date" else value
        roster.records.append(record)
        roster.lines.append(line)
    return roster


# Checking records...

_CODES = {
    "missing": "missing",
    "extra_forbidden": "unexpected",
    "string_too_long": "too_long",
    "string_too_short": "too_short",
    "date_from_datetime_parsing": "bad_date",
    "date_parsing": "bad_date",
    "date_from_datetime_inexact": "bad_date",
    "date_type": "bad_date",
    "date_future": "future_date",
    "value_error": "not_allowed",
    "float_parsing": "not_a_number",
    "float_type": "not_a_number",
    "greater_than": "out_of_range",
    "greater_than_equal": "out_of_range",
    "less_than": "out_of_range",
    "less_than_equal": "out_of_range",
}


def _problems_of(index: int, error: Any) -> RowProblem:
    location = [str(part) for part in error.get("loc", ())]
    code = _CODES.get(error.get("type", ""), "invalid")
    if location[-1:] == ["birth_date"] and code == "invalid":
        code = "bad_date"
    return RowProblem(index, ".".join(location), code, str(error.get("msg", "")))


def check_records(kind: str, records: list[Any], *, today: date | None = None) -> list[RowProblem]:
    """Every problem of every record, in record order: what the issuing rules would refuse. Empty
    means the batch can be issued."""
    models: dict[str, type[GrowthEntry] | type[DevelopmentEntry]] = {
        "growth_record": GrowthEntry,
        "professional_development": DevelopmentEntry,
    }
    model = models.get(kind)
    if model is None:
        raise InvalidRequestError(f"kind must be one of {', '.join(COLUMNS)}")
    day = today or date.today()
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    number_field = _NUMBER_FIELD[kind]
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            problems.append(RowProblem(index, "", "invalid", "a record is an object {subject, record}"))
            continue
        try:
            entry = model.model_validate(record)
        except ValidationError as exc:
            problems.extend(_problems_of(index, error) for error in exc.errors())
            subject = record.get("subject") if isinstance(record.get("subject"), dict) else {}
            number = subject.get(number_field) if isinstance(subject, dict) else None
        else:
            number = getattr(entry.subject, number_field)
            birth = entry.subject.birth_date
            if birth > day:
                problems.append(RowProblem(index, "subject.birth_date", "future_date", "the birth date is in the future"))
            elif isinstance(entry, GrowthEntry) and age_on(birth, day) < MINIMUM_AGE_WITHOUT_CONSENT and not entry.subject.guardian_consent:
                problems.append(
                    RowProblem(
                        index,
                        "subject.guardian_consent",
                        "guardian_consent_required",
                        f"under {MINIMUM_AGE_WITHOUT_CONSENT}: a guardian-consent reference is required",
                    )
                )
        if isinstance(number, str) and number.strip():
            key = number.strip().upper()
            if key in seen:
                problems.append(RowProblem(index, f"subject.{number_field}", "duplicate_number", f"the same number as record {seen[key]}"))
            else:
                seen[key] = index
    return problems
