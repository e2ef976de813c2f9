"""Changing the catalogue from the editors' desk: one link's address, or a whole entry removed.

The catalogue CSV is kept by hand as well, so an edit must change nothing but itself: every
CSV record keeps its text as it is in the file (quoting, malformed rows, blank lines, BOM,
encoding, line ends); only the records that change are written anew, in the file's own
delimiter, quoting style and line end. A diff of the catalogue then shows just the edit.

Two editors may look at the same entry. The desk puts the entry's fingerprint (a hash of its
rows as they are in the file) into each form, and an edit applies only while the fingerprint
still matches: the second editor gets `EditConflict` instead of silently undoing the first.
Read, check and write happen under an exclusive `flock` on `<catalog>.lock`, so two edits
never interleave. Before the catalogue is replaced (atomically: temporary file, fsync,
rename) its previous bytes are saved to `<stem>-versions/`, and every edit appends one line
to the audit log `<stem>-changes.csv` — who, when, what, why and which version it replaced.
The nightly run checks the changed catalogue; `pending_changes` says what it has not seen yet.

Why one module: the record splitting, the fingerprint, the locked write and the audit log
are one guarantee (an edit is checked against what the file holds, saved whole, and logged,
or not made at all); the conflict message reads the log and the versions the edit writes.
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import hashlib
import io
import itertools
import json
import os
import stat
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO
from zoneinfo import ZoneInfo

from extractors.catalog.reader import (
    CatalogError,
    _sniff_delimiter,  # the reader's own rule: writing back must use the delimiter it reads
    parse_catalog,
    valid_http_url,
)
from flows.desk.file_replace import exclusive_lock, replace_file
from flows.report.csv_report import _csv_cell

ACTIONS = ("adresse", "entfernt", "geprueft")  # geprueft: a review, the catalogue unchanged
AUDIT_COLUMNS = (
    "when",
    "editor",
    "entry_id",
    "action",
    "old_url",
    "new_url",
    "reason",
    "version_file",
)
MAX_URL_CHARS = 2000
FINGERPRINT_CHARS = 16
_BERLIN = ZoneInfo("Europe/Berlin")  # the editors read times in their own zone
_FORMULA_STARTS = ("=", "+", "-", "@")
_CONFLICT_LOOKBACK = 20  # saved versions read at most to find what the editor saw
_RELOAD = "Bitte die Seite neu laden und noch einmal prüfen."


class EditConflict(Exception):
    """The entry changed since the editor saw it; the message (German) is for the editor.

    `editor` and `when` name the change found in the audit log, when one could be named.
    """

    def __init__(
        self, message: str, *, editor: str | None = None, when: dt.datetime | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.editor = editor
        self.when = when


class EditError(RuntimeError):
    """The edit cannot be made: a file cannot be read or written (the message names it), the
    entry or link is not there, or the new address is refused (German, for the editor)."""


@dataclass(frozen=True, slots=True)
class CatalogChange:
    """One line of the audit log: an edit made from the desk."""

    when: dt.datetime  # UTC, aware
    editor: str
    entry_id: str
    action: str  # one of ACTIONS
    old_url: str
    new_url: str
    reason: str
    version_file: str  # the saved previous catalogue, a name in `<stem>-versions/`


def entry_fingerprint(catalog_bytes: bytes, entry_id: str, *, source: str = "catalog") -> str:
    """A short stable hash of the entry's rows as they are in the file now (field values in
    file order); the same for an entry with no rows at all."""
    return _fingerprint(_Catalog.load(catalog_bytes, source).rows_of(entry_id))


def catalog_fingerprints(catalog_bytes: bytes, *, source: str = "catalog") -> dict[str, str]:
    """`entry_fingerprint` for every entry in the file at once."""
    rows: dict[str, list[tuple[str, ...]]] = {}
    catalog = _Catalog.load(catalog_bytes, source)
    for index in catalog.body:
        fields = catalog.records[index].fields
        entry_id = catalog.entry_id(index)
        if fields is not None and entry_id:
            rows.setdefault(entry_id, []).append(fields)
    return {entry_id: _fingerprint(entry_rows) for entry_id, entry_rows in rows.items()}


def replace_url(
    catalog: Path,
    entry_id: str,
    old_url: str,
    new_url: str,
    *,
    seen: str,
    editor: str,
    reason: str,
    now: dt.datetime,
    link_label: str | None = None,
) -> CatalogChange:
    """Give the entry's link `old_url` the address `new_url`.

    `old_url` "" names a link without target; when the entry has several with different
    labels, `link_label` says which (rows alike in label and address are one link to the
    editor: the first gets the address). A link with an address is named by it alone, and
    repeated rows of it (the reader skips them as duplicates) change with it, or they would
    come back as the old link.
    """
    url = _checked_url(new_url)

    def change(parsed: _Catalog) -> tuple[dict[int, tuple[str, ...] | None], str]:
        if parsed.url_column is None:
            raise EditError(f"{parsed.source}: die Katalogdatei hat keine Spalte „url“.")
        rows = parsed.aligned_rows(entry_id)
        if not rows:
            raise _no_entry(parsed.source, entry_id)
        if url == old_url:
            raise EditError("Die neue Adresse ist dieselbe wie die bisherige.")
        if any(parsed.cell(index, "url") == url for index in rows):
            raise EditError("Diese Adresse ist bei diesem Eintrag schon eingetragen.")
        matching = [index for index in rows if parsed.cell(index, "url") == old_url]
        if not old_url:
            if link_label is not None:
                wanted = link_label.strip()
                matching = [i for i in matching if parsed.cell(i, "link_label") == wanted]
            if len({parsed.cell(index, "link_label") for index in matching}) > 1:
                raise EditError(
                    "Dieser Eintrag hat mehrere Links ohne Adresse; bitte angeben, welcher "
                    "gemeint ist (Linkbezeichnung)."
                )
            matching = matching[:1]
        if not matching:
            named = f"mit der Adresse {old_url}" if old_url else "ohne Adresse"
            if not old_url and link_label is not None:
                named += f" und der Bezeichnung „{link_label.strip()}“"
            raise EditError(
                f"{parsed.source}: Eintrag „{entry_id}“ hat keinen Link {named} (mehr)."
            )
        return {index: parsed.with_url(index, url) for index in matching}, "adresse"

    return _edit(catalog, entry_id, change, seen, editor, reason, now, old_url, url)


def remove_entry(
    catalog: Path, entry_id: str, *, seen: str, editor: str, reason: str, now: dt.datetime
) -> CatalogChange:
    """Remove all rows of the entry; the nightly run then marks it removed in the dataset."""

    def change(parsed: _Catalog) -> tuple[dict[int, tuple[str, ...] | None], str]:
        rows = [i for i in parsed.body if parsed.entry_id(i) == entry_id]
        if not rows:
            raise _no_entry(parsed.source, entry_id)
        return dict.fromkeys(rows), "entfernt"

    return _edit(catalog, entry_id, change, seen, editor, reason, now, "", "")


def append_review_line(
    catalog: Path, entry_id: str, *, editor: str, note: str, now: dt.datetime
) -> CatalogChange:
    """Log a desk review („Geprüft“) beside the edits, so the log says who reviewed what;
    the review itself is the reviews file's (flows.dataset.review_log)."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    paths = _paths(catalog)
    change = CatalogChange(
        now.astimezone(dt.UTC), _clean(editor), entry_id, "geprueft", "", "", _clean(note), ""
    )
    with _locked(paths), _opened_log(paths.log) as stream:
        try:
            _append(stream, change)
        except OSError as exc:
            raise EditError(
                f"{paths.log}: Änderungsprotokoll nicht schreibbar ({exc.strerror})"
            ) from exc
    return change


def read_changes(catalog: Path, since: dt.datetime | None = None) -> list[CatalogChange]:
    """The audit log, oldest first (only changes after `since`, when given); bad lines are
    skipped."""
    if since is not None and since.tzinfo is None:
        raise ValueError("since must be timezone-aware")
    log = _paths(catalog).log
    try:
        text = log.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) else "kein UTF-8"
        raise EditError(f"{log}: Änderungsprotokoll kann nicht gelesen werden ({detail})") from exc
    changes: list[CatalogChange] = []
    # Line by line: a torn line (crash mid-write) spoils only itself.
    for line in text.split("\n"):
        change = _parse_audit_line(line.rstrip("\r"))
        if change is not None and (since is None or change.when > since):
            changes.append(change)
    changes.sort(key=lambda change: change.when)  # stable: equal times keep file order
    return changes


def pending_changes(catalog: Path, last_run_at: dt.datetime | None) -> list[CatalogChange]:
    """The desk's changes made after the last nightly run started: not yet checked."""
    return read_changes(catalog, since=last_run_at)


# --- the catalogue as records ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Record:
    raw: str  # the record's text as in the file, line end included
    fields: tuple[str, ...] | None  # None: not readable as CSV (kept as it is)


@dataclass(frozen=True, slots=True)
class _Catalog:
    source: str
    bom: bytes
    codec: str
    delimiter: str
    records: tuple[_Record, ...]
    body: range  # indices of the records after the header
    columns: dict[str, int]  # known column names the edit needs → index
    width: int  # header fields

    @classmethod
    def load(cls, data: bytes, source: str) -> _Catalog:
        bom, codec = _encoding(data)
        try:
            text = data[len(bom) :].decode(codec)
        except UnicodeDecodeError as exc:
            raise EditError(f"{source}: Katalogdatei nicht lesbar ({exc.reason})") from exc
        delimiter = _sniff_delimiter(text)
        records = _split(text, delimiter)
        if "".join(record.raw for record in records) != text:
            raise EditError(f"{source}: Katalogdatei lässt sich nicht sicher zerlegen")
        # The header is the reader's: the first record that is unreadable or not blank.
        header = next(
            (
                i
                for i, r in enumerate(records)
                if r.fields is None or any(f.strip() for f in r.fields)
            ),
            None,
        )
        fields = records[header].fields if header is not None else None
        if fields is None:
            raise EditError(f"{source}, Zeile 1: keine lesbare Kopfzeile")
        names = [name.replace("\ufeff", "").strip().lower() for name in fields]
        columns = {
            name: names.index(name) for name in ("entry_id", "url", "link_label") if name in names
        }
        if "entry_id" not in columns:
            raise EditError(f"{source}, Zeile 1: Spalte „entry_id“ fehlt")
        body = range(header + 1, len(records))
        return cls(source, bom, codec, delimiter, records, body, columns, len(fields))

    @property
    def url_column(self) -> int | None:
        return self.columns.get("url")

    def cell(self, index: int, name: str) -> str:
        """A field as the reader sees it (stripped; "" when the row is short)."""
        fields = self.records[index].fields or ()
        column = self.columns.get(name)
        return fields[column].strip() if column is not None and column < len(fields) else ""

    def entry_id(self, index: int) -> str:
        return self.cell(index, "entry_id") if self.records[index].fields is not None else ""

    def rows_of(self, entry_id: str) -> list[tuple[str, ...]]:
        return [
            fields
            for i in self.body
            if (fields := self.records[i].fields) is not None and self.entry_id(i) == entry_id
        ]

    def aligned_rows(self, entry_id: str) -> list[int]:
        """The entry's rows whose fields line up with the header (the reader's test); in a
        row with too many fields the url column may hold anything, so it is never edited."""
        return [
            i
            for i in self.body
            if self.entry_id(i) == entry_id
            and not any(field.strip() for field in (self.records[i].fields or ())[self.width :])
        ]

    def with_url(self, index: int, url: str) -> tuple[str, ...]:
        fields = list(self.records[index].fields or ())
        column = self.columns["url"]
        fields.extend([""] * (column + 1 - len(fields)))  # a short row gets its url cell
        fields[column] = url
        return tuple(fields)

    def encoded(self, changes: dict[int, tuple[str, ...] | None]) -> bytes:
        """The file with records replaced (new fields) or dropped (None); the rest as is."""
        parts: list[str] = []
        for index, record in enumerate(self.records):
            if index not in changes:
                parts.append(record.raw)
            elif (fields := changes[index]) is not None:
                parts.append(_rewritten(record, fields, self.delimiter))
        try:
            return self.bom + "".join(parts).encode(self.codec)
        except UnicodeEncodeError as exc:
            name = "Windows-1252" if self.codec == "cp1252" else self.codec
            raise EditError(
                f"Die neue Adresse enthält Zeichen, die die Katalogdatei ({name}) nicht "
                "speichern kann."
            ) from exc


def _encoding(data: bytes) -> tuple[bytes, str]:
    """(BOM, codec) by the reader's rule: UTF-16 with BOM, UTF-8 with or without, else
    Windows-1252; written back the same way, so untouched bytes stay the same."""
    for bom, codec in (
        (b"\xff\xfe", "utf-16-le"),
        (b"\xfe\xff", "utf-16-be"),
        (b"\xef\xbb\xbf", "utf-8"),
    ):
        if data.startswith(bom):
            return bom, codec
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return b"", "cp1252"
    return b"", "utf-8"


def _split(text: str, delimiter: str) -> list[_Record]:
    """Every record with its raw text, cut where the reader's `csv.reader` cuts (its
    `line_num`), so a record the reader calls malformed is one record here too."""
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(iter(lines), delimiter=delimiter, strict=True)
    records: list[_Record] = []
    consumed = 0
    while consumed < len(lines):
        fields: tuple[str, ...] | None
        try:
            fields = tuple(next(reader))
        except StopIteration:
            break
        except csv.Error:
            fields = None
        end = max(reader.line_num, consumed + 1)
        records.append(_Record("".join(lines[consumed:end]), fields))
        consumed = end
    if consumed < len(lines):
        records.append(_Record("".join(lines[consumed:]), None))
    return records


def _rewritten(record: _Record, fields: tuple[str, ...], delimiter: str) -> str:
    """The record with new fields: each changed field's text replaced in place, so the other
    fields keep their quoting (a spreadsheet may quote text but not numbers); a field the row
    lacks is appended. The whole record is written anew only if that does not read back."""
    old = record.fields or ()
    ending = next((end for end in ("\r\n", "\n", "\r") if record.raw.endswith(end)), "")
    body = record.raw[: len(record.raw) - len(ending)]
    spans = _field_spans(body, delimiter)
    if len(spans) == len(old):
        parts = [body[start:end] for start, end in spans]
        for index, value in enumerate(fields):
            if index < len(old) and value == old[index]:
                continue
            quoted = index < len(parts) and parts[index].startswith('"')
            style = csv.QUOTE_ALL if quoted else csv.QUOTE_MINIMAL
            # csv writes a lone empty field as "" (so a row is not blank); here it is a cell.
            text = _csv_line((value,), delimiter, style, "") if value or quoted else ""
            if index < len(parts):
                parts[index] = text
            else:
                parts.append(text)
        spliced = delimiter.join(parts) + ending
        reread = next(csv.reader(io.StringIO(spliced, newline=""), delimiter=delimiter), [])
        if reread == list(fields):
            return spliced
    return _csv_line(fields, delimiter, csv.QUOTE_MINIMAL, ending)


def _field_spans(body: str, delimiter: str) -> list[tuple[int, int]]:
    """Where each field of a well-formed record (without its line end) starts and ends."""
    spans: list[tuple[int, int]] = []
    position = 0
    while True:
        start = position
        if body.startswith('"', position):
            position += 1
            while True:  # to the closing quote; a doubled quote is part of the value
                position = body.find('"', position)
                if position < 0:
                    return []
                if not body.startswith('""', position):
                    position += 1
                    break
                position += 2
        else:
            end = body.find(delimiter, position)
            position = len(body) if end < 0 else end
        spans.append((start, position))
        if position >= len(body):
            return spans
        position += 1  # the delimiter


def _csv_line(fields: tuple[str, ...], delimiter: str, quoting: int, ending: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, quoting=quoting, lineterminator=ending).writerow(fields)
    return buffer.getvalue()


def _fingerprint(rows: list[tuple[str, ...]]) -> str:
    encoded = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(encoded).hexdigest()[:FINGERPRINT_CHARS]


def _checked_url(url: str) -> str:
    url = url.strip()  # a pasted address often brings a space or line break along
    if not url:
        raise EditError("Bitte eine neue Adresse angeben.")
    if len(url) > MAX_URL_CHARS:
        raise EditError(f"Die neue Adresse ist zu lang (höchstens {MAX_URL_CHARS} Zeichen).")
    if any(unicodedata.category(char)[0] in "CZ" for char in url):
        raise EditError("Die neue Adresse darf keine Leerzeichen oder Steuerzeichen enthalten.")
    if not url.lower().startswith(("http://", "https://")):
        raise EditError("Die neue Adresse muss mit http:// oder https:// beginnen.")
    if not valid_http_url(url):  # the reader's test: an accepted address is never invalid_url
        raise EditError("Die neue Adresse ist keine gültige Webadresse (Rechnername prüfen).")
    return url


def _no_entry(source: str, entry_id: str) -> EditError:
    return EditError(f"{source}: Eintrag „{entry_id}“ steht nicht (mehr) im Katalog.")


# --- the transaction -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Paths:
    catalog: Path
    lock: Path
    versions: Path
    log: Path


def _paths(catalog: Path) -> _Paths:
    # The real file: a symlinked catalogue stays a symlink, and every name for it shares a lock.
    real = catalog.resolve()
    return _Paths(
        catalog=real,
        lock=real.with_name(real.name + ".lock"),
        versions=real.with_name(f"{real.stem}-versions"),
        log=real.with_name(f"{real.stem}-changes.csv"),
    )


# An edit: from the parsed catalogue to {record index: new fields, or None to drop} and action.
_Change = Callable[[_Catalog], tuple[dict[int, tuple[str, ...] | None], str]]


def _edit(
    catalog: Path,
    entry_id: str,
    change: _Change,
    seen: str,
    editor: str,
    reason: str,
    now: dt.datetime,
    old_url: str,
    new_url: str,
) -> CatalogChange:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    editor = _clean(editor)
    if not editor:
        raise ValueError("editor must be named")
    paths = _paths(catalog)
    source = str(paths.catalog)
    with _locked(paths):
        try:
            before = paths.catalog.read_bytes()
            mode = stat.S_IMODE(paths.catalog.stat().st_mode)
        except OSError as exc:
            raise EditError(f"{source}: Katalogdatei nicht lesbar ({exc.strerror})") from exc
        problems = _problem_count(before, source)  # an unusable catalogue is an error first
        parsed = _Catalog.load(before, source)
        if _fingerprint(parsed.rows_of(entry_id)) != seen:
            raise _conflict(paths, seen, entry_id, bool(parsed.rows_of(entry_id)))
        changes, action = change(parsed)
        after = parsed.encoded(changes)
        if _problem_count(after, source) > problems:  # a last guard: nothing new is broken
            raise EditError(f"{source}: die Änderung hätte die Datei beschädigt — nichts geändert")
        version = _save_version(paths, before, now, mode)
        record = CatalogChange(
            when=now.astimezone(dt.UTC),
            editor=editor,
            entry_id=entry_id,
            action=action,
            old_url=old_url if action == "adresse" else "",
            new_url=new_url,
            reason=_clean(reason),
            version_file=version,
        )
        with _opened_log(paths.log) as log:  # opened first: a broken log stops the edit
            _write_atomically(paths.catalog, after, mode)
            try:
                _append(log, record)
            except OSError as exc:
                raise _undone(paths, before, mode, version, exc) from exc
    return record


@contextlib.contextmanager
def _locked(paths: _Paths) -> Iterator[None]:
    held = contextlib.ExitStack()
    try:
        held.enter_context(exclusive_lock(paths.lock, 0o644))
    except OSError as exc:
        raise EditError(f"{paths.lock}: Sperrdatei nicht anlegbar ({exc.strerror})") from exc
    with held:
        yield


def _problem_count(data: bytes, source: str) -> int:
    """How many rows the reader reports; an unusable catalogue is an `EditError`."""
    try:
        return len(parse_catalog(data, source).problems)
    except CatalogError as exc:
        raise EditError(f"{exc} — nichts geändert") from exc


def _save_version(paths: _Paths, data: bytes, now: dt.datetime, mode: int) -> str:
    """The previous bytes, unchanged, under a new name (never over an existing version)."""
    stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    stem = paths.catalog.stem
    try:
        paths.versions.mkdir(exist_ok=True)
        for attempt in itertools.count(1):
            name = f"{stem}-{stamp}.csv" if attempt == 1 else f"{stem}-{stamp}-{attempt}.csv"
            try:
                handle = os.open(paths.versions / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
            except FileExistsError:
                continue
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
            return name
    except OSError as exc:
        where = exc.filename or paths.versions
        raise EditError(f"{where}: vorige Fassung nicht speicherbar ({exc.strerror})") from exc
    raise AssertionError("unreachable")  # itertools.count never ends


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    try:
        replace_file(path, data, mode)  # the catalogue keeps its permission bits
    except OSError as exc:
        raise EditError(f"{path}: Katalogdatei nicht schreibbar ({exc.strerror})") from exc


@contextlib.contextmanager
def _opened_log(path: Path) -> Iterator[BinaryIO]:
    try:
        stream = path.open("a+b")
    except OSError as exc:
        raise EditError(f"{path}: Änderungsprotokoll nicht schreibbar ({exc.strerror})") from exc
    with stream:
        yield stream


def _append(stream: BinaryIO, change: CatalogChange) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    size = stream.seek(0, os.SEEK_END)
    if size == 0:
        writer.writerow(AUDIT_COLUMNS)
    else:
        stream.seek(size - 1)
        if stream.read(1) != b"\n":
            buffer.write("\n")  # a torn last line must not swallow this one
    cells = dataclasses.astuple(change)[1:]
    writer.writerow(
        [change.when.isoformat(timespec="microseconds"), *(_csv_cell(_one_line(c)) for c in cells)]
    )
    stream.write(buffer.getvalue().encode("utf-8"))
    stream.flush()
    os.fsync(stream.fileno())


def _undone(paths: _Paths, before: bytes, mode: int, version: str, exc: OSError) -> EditError:
    """Without its audit line an edit is not made: the previous catalogue goes back."""
    message = f"{paths.log}: Änderungsprotokoll nicht schreibbar ({exc.strerror})"
    try:
        _write_atomically(paths.catalog, before, mode)
    except EditError as restore:
        return EditError(
            f"{message}; die Änderung ist gespeichert, die vorige Fassung liegt in "
            f"{paths.versions / version} ({restore})"
        )
    return EditError(f"{message}; die Änderung wurde zurückgenommen")


def _clean(value: str) -> str:
    """Whitespace collapsed, control characters dropped: one tidy line in the log."""
    text = " ".join(value.split())
    return "".join(char for char in text if unicodedata.category(char) != "Cc")


def _one_line(value: str) -> str:
    return value.replace("\r", " ").replace("\n", " ")


def _parse_audit_line(line: str) -> CatalogChange | None:
    try:
        row = next(csv.reader([line]), [])
    except csv.Error:
        return None
    if len(row) != len(AUDIT_COLUMNS) or tuple(row) == AUDIT_COLUMNS:
        return None
    when_text, editor, entry_id, action, old_url, new_url, reason, version = map(_unescaped, row)
    try:
        when = dt.datetime.fromisoformat(when_text)
    except ValueError:
        return None
    if when.tzinfo is None or action not in ACTIONS or not entry_id or not editor:
        return None
    return CatalogChange(
        when.astimezone(dt.UTC), editor, entry_id, action, old_url, new_url, reason, version
    )


def _unescaped(value: str) -> str:
    """Undo the log's guard against spreadsheet formulas (a leading apostrophe)."""
    return value[1:] if value.startswith("'") and value[1:].startswith(_FORMULA_STARTS) else value


def _conflict(paths: _Paths, seen: str, entry_id: str, present: bool) -> EditConflict:
    """Name who changed the entry when the log shows a desk edit that started from what the
    editor saw (its saved version has their fingerprint): then the desk's newest change of
    the entry happened after they looked. Otherwise the change came from elsewhere (a hand
    edit), and no one is named."""
    generic = EditConflict(
        f"Dieser Eintrag wurde inzwischen in der Katalogdatei geändert. {_RELOAD}"
    )
    try:
        changes = [c for c in read_changes(paths.catalog) if c.entry_id == entry_id]
    except EditError:
        return generic
    for change in reversed(changes[-_CONFLICT_LOOKBACK:]):
        try:
            version = (paths.versions / change.version_file).read_bytes()
            if entry_fingerprint(version, entry_id) != seen:
                continue
        except (OSError, EditError):
            continue
        last = changes[-1]
        when = last.when.astimezone(_BERLIN).strftime("%d.%m.%Y, %H:%M Uhr")
        what = "entfernt" if last.action == "entfernt" and not present else "geändert"
        return EditConflict(
            f"Dieser Eintrag wurde inzwischen {what} (von {last.editor} am {when}). {_RELOAD}",
            editor=last.editor,
            when=last.when,
        )
    return generic
