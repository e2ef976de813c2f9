"""Reading the link catalogue: CSV bytes in, catalogue rows and row problems out.

The contract is ARCHITECTURE §2. One bad row never spoils the catalogue: it becomes a
`CatalogProblem` (with the physical line to fix) and is skipped or kept degraded. Only a
catalogue that is unusable as a whole (not CSV, no header, a required column missing, not
decodable) raises `CatalogError`.

Rows of one entry repeat its `entry_id`. To keep hand-edited catalogues short, a repeated
row may leave the entry-level fields (`provider`, `provider_type`, `title`, `description`,
`max_age_days`) empty: they are inherited from the first accepted row of that entry. A
value given on the repeated row wins over the inherited one.
"""

from __future__ import annotations

import codecs
import csv
import functools
import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from extractors.records import CatalogEntry, CatalogProblem

REQUIRED_COLUMNS: tuple[str, ...] = ("entry_id", "provider", "title")
OPTIONAL_COLUMNS: tuple[str, ...] = (
    "description",
    "link_label",
    "url",
    "provider_type",
    "max_age_days",
    "notes",
)
KNOWN_COLUMNS = frozenset(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
# Fields longer than this are pasted page dumps or broken quoting, not catalogue data.
MAX_FIELD_CHARS = 100_000

# The entry-level fields a repeated row may leave empty (see module docstring).
_INHERITED_FIELDS = ("provider", "provider_type", "title", "description")
_DELIMITERS = (",", ";", "\t")
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")
# Dot-separated labels of 1–63 letters, digits, '-' or '_', not starting or ending with '-'.
_HOST_LABEL = r"(?!-)[\w-]{1,63}(?<!-)"
_HOST_NAME = re.compile(rf"{_HOST_LABEL}(?:\.{_HOST_LABEL})*")


class CatalogError(Exception):
    """The catalogue as a whole is unusable; the message names the source and the line."""


@dataclass(frozen=True, slots=True)
class CatalogParse:
    """Accepted rows in file order, and what was wrong with the others."""

    entries: tuple[CatalogEntry, ...]
    problems: tuple[CatalogProblem, ...]


def valid_http_url(url: str) -> bool:
    """True for an absolute http(s) URL with a plausible host (what the fetcher may try).

    Spaces in path or query are tolerated (the HTTP client percent-encodes them); control
    characters, other schemes, a missing host and characters that cannot be in a host name
    are not.
    """
    if not isinstance(url, str) or not url or url != url.strip():
        return False
    if _CONTROL_CHARS.search(url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 — raises ValueError for a non-numeric or out-of-range port
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return False
    host = parts.hostname or ""
    if not host:
        return False
    if parts.netloc.rpartition("@")[2].startswith("["):
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            return False
        return True
    return _valid_host_name(host)


@functools.lru_cache(maxsize=65_536)  # catalogues repeat hosts; this is the hot path
def _valid_host_name(host: str) -> bool:
    name = host[:-1] if host.endswith(".") else host
    # Unicode letters are allowed (IDN hosts such as www.münchen.de); underscores occur in
    # real host names although DNS names should not have them.
    return 0 < len(name) <= 253 and _HOST_NAME.fullmatch(name) is not None


def parse_catalog(data: bytes, source: str = "catalog") -> CatalogParse:
    """Parse catalogue CSV bytes (ARCHITECTURE §2) into rows and row problems.

    Accepts UTF-8 with or without BOM (UTF-16 with BOM too); other bytes are read as
    Windows-1252, which is reported once as a problem at line 0. The delimiter (`,`, `;` or
    tab) is sniffed from the header line; header names are matched case-insensitively.
    `CatalogEntry.line` is the physical line where the row starts (header = line 1 when
    the file starts with it; quoted multi-line fields are counted). Unknown columns are
    passed through in `CatalogEntry.extra`, in header order.
    """
    problems: list[CatalogProblem] = []
    text = _decode(data, source, problems)
    if "\x00" in text[:8192]:
        raise CatalogError(f"{source}, line 1: binary data, not a CSV catalogue")
    _reject_other_formats(text, source)

    records = _records(text, _sniff_delimiter(text))
    header_line, header = _read_header(records, source)
    columns = _columns(header, header_line, source)

    entries: list[CatalogEntry] = []
    first_rows: dict[str, CatalogEntry] = {}
    seen_urls: dict[tuple[str, str], int] = {}
    for line, row, error in records:
        if error is not None:
            problems.append(CatalogProblem(line, f"line {line}: {error} — row skipped"))
            continue
        entry = _row_entry(line, row, columns, len(header), first_rows, seen_urls, problems)
        if entry is None:
            continue
        entries.append(entry)
        first_rows.setdefault(entry.entry_id, entry)
        if entry.url:
            seen_urls[(entry.entry_id, entry.url)] = line
    return CatalogParse(tuple(entries), tuple(problems))


def _decode(data: bytes, source: str, problems: list[CatalogProblem]) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise CatalogError(f"{source}, line 1: broken UTF-16 text") from error
    # A UTF-8 BOM says nothing about the rest when an editor mixed encodings: drop it first.
    body = data.removeprefix(codecs.BOM_UTF8)
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as utf_error:
        line = body.count(b"\n", 0, utf_error.start) + 1
        try:
            text = body.decode("cp1252")
        except UnicodeDecodeError as cp_error:
            byte = body[cp_error.start]
            line = body.count(b"\n", 0, cp_error.start) + 1
            raise CatalogError(
                f"{source}, line {line}: neither UTF-8 nor Windows-1252 text (byte 0x{byte:02x})"
            ) from utf_error
        problems.append(
            CatalogProblem(
                0,
                f"file is not UTF-8 (first at line {line}); read as Windows-1252 — "
                "please save it as UTF-8",
            )
        )
        return text


def _reject_other_formats(text: str, source: str) -> None:
    head = text.lstrip()[:200].lower()
    if head.startswith(("<!doctype", "<html", "<?xml")):
        raise CatalogError(
            f"{source}, line 1: this is an HTML/XML page, not a CSV catalogue "
            "(`linkpflege catalog import` turns a listing page into one)"
        )
    if head.startswith("%pdf"):
        raise CatalogError(f"{source}, line 1: this is a PDF, not a CSV catalogue")


def _sniff_delimiter(text: str) -> str:
    """The most frequent of `,` `;` tab outside quotes in the first non-blank line."""
    first = next((line for line in _lines(text) if line.strip()), "")
    unquoted = re.sub(r'"[^"]*"', "", first)
    counts = {delimiter: unquoted.count(delimiter) for delimiter in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


Record = tuple[int, list[str], str | None]

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+")


def _lines(text: str) -> Iterator[str]:
    """The lines of `text` with their endings (`\n`, `\r\n` or `\r`), as
    `io.StringIO(text, newline="")` gives them, but without its copy of the whole text at
    four bytes a character (a catalogue of 50,000 links is megabytes)."""
    return (match.group() for match in _LINE.finditer(text))


def _records(text: str, delimiter: str) -> Iterator[Record]:
    """(start line, fields, error) for every non-empty record, errors as values.

    `strict` makes stray quotes an error for that row instead of silently gluing text.
    """
    reader = csv.reader(_lines(text), delimiter=delimiter, strict=True)
    consumed = 0
    while True:
        start = consumed + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            consumed = reader.line_num
            message = str(error)
            if "unexpected end of data" in message:
                yield start, [], "quoted field not closed before the end of the file"
                return
            if "field larger than field limit" in message:
                message = f"a field is longer than {MAX_FIELD_CHARS} characters"
            else:
                message = f"unreadable CSV ({message})"
            yield start, [], message
            continue
        consumed = reader.line_num
        if any(field.strip() for field in row):
            yield start, row, None


def _read_header(records: Iterator[Record], source: str) -> tuple[int, list[str]]:
    for line, row, error in records:
        if error is not None:
            raise CatalogError(f"{source}, line {line}: header unreadable: {error}")
        return line, [name.replace("\ufeff", "").strip() for name in row]
    raise CatalogError(f"{source}, line 1: empty file, no header row")


def _columns(header: list[str], line: int, source: str) -> dict[str, int]:
    """Column name (known names lower-cased) → index; empty header cells are ignored."""
    columns: dict[str, int] = {}
    for index, raw_name in enumerate(header):
        name = raw_name.lower() if raw_name.lower() in KNOWN_COLUMNS else raw_name
        if not name:
            continue
        if name in columns:
            raise CatalogError(f"{source}, line {line}: column '{name}' appears twice")
        columns[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        names = ", ".join(f"'{name}'" for name in missing)
        plural = "column" if len(missing) == 1 else "columns"
        raise CatalogError(f"{source}, line {line}: required {plural} {names} missing")
    return columns


def _row_entry(
    line: int,
    row: list[str],
    columns: dict[str, int],
    width: int,
    first_rows: dict[str, CatalogEntry],
    seen_urls: dict[tuple[str, str], int],
    problems: list[CatalogProblem],
) -> CatalogEntry | None:
    """One catalogue row, or None (with a problem recorded) when it must be skipped."""

    def skip(reason: str) -> None:
        problems.append(CatalogProblem(line, f"line {line}: {reason} — row skipped"))

    if len(row) > width and any(field.strip() for field in row[width:]):
        skip(f"{len(row)} fields but the header has {width} (unquoted delimiter in a value?)")
        return None
    if any(len(field) > MAX_FIELD_CHARS for field in row):
        skip(f"a field is longer than {MAX_FIELD_CHARS} characters")
        return None

    def value(name: str) -> str:
        index = columns.get(name)
        return row[index].strip() if index is not None and index < len(row) else ""

    entry_id = value("entry_id")
    if not entry_id:
        skip("entry_id missing")
        return None
    if any(char.isspace() for char in entry_id):
        skip(f"entry_id {_shown(entry_id)} contains whitespace")
        return None

    fields = {name: value(name) for name in _INHERITED_FIELDS}
    first = first_rows.get(entry_id)
    if first is not None:
        for name in _INHERITED_FIELDS:
            fields[name] = fields[name] or getattr(first, name)
    missing = [name for name in ("provider", "title") if not fields[name]]
    if missing:
        skip(f"{' and '.join(missing)} missing")
        return None

    url = value("url")
    if url and (entry_id, url) in seen_urls:
        skip(f"duplicate of line {seen_urls[(entry_id, url)]} (same entry_id and url)")
        return None
    if url and not valid_http_url(url):
        problems.append(
            CatalogProblem(
                line,
                f"line {line}: url {_shown(url)} is not a valid http(s) URL — "
                "row kept, reported as invalid_url",
            )
        )

    max_age_days = _max_age_days(value("max_age_days"), line, problems)
    if max_age_days is None and first is not None:
        max_age_days = first.max_age_days

    extra = tuple(
        (name, row[index] if index < len(row) else "")
        for name, index in columns.items()
        if name not in KNOWN_COLUMNS
    )
    return CatalogEntry(
        line=line,
        entry_id=entry_id,
        provider=fields["provider"],
        title=fields["title"],
        description=fields["description"],
        link_label=value("link_label"),
        url=url,
        provider_type=fields["provider_type"],
        max_age_days=max_age_days,
        notes=value("notes"),
        extra=extra,
    )


def _max_age_days(raw: str, line: int, problems: list[CatalogProblem]) -> int | None:
    if not raw:
        return None
    if re.fullmatch(r"\d+", raw) and int(raw) >= 1:
        return int(raw)
    problems.append(
        CatalogProblem(
            line, f"line {line}: max_age_days {_shown(raw)} is not a whole number ≥ 1 — ignored"
        )
    )
    return None


def _shown(value: str, limit: int = 80) -> str:
    """A value quoted for a message, cut short: catalogue text is not trusted to be small."""
    return repr(value if len(value) <= limit else value[:limit] + "…")
