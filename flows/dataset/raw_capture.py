"""Raw captures: what was fetched, as WARC (the archivists' format, replayable in standard tools).

Layout under `DATA_DIR/raw/run_date=YYYY-MM-DD/`: one gzipped WARC file per shard
(`shard-<hash>.warc.gz`, a request and a response record per URL) and beside it a small JSON
index (`shard-<hash>.index.json`: URL → payload digest, record kind, original capture). Both are
written to temporary names and moved into place when the shard is done: a night's files are
complete or absent, and never rewritten by a later night (write-once per run).

A payload identical to the one captured before is stored as a `revisit` record that refers to
the original response, unless that original would fall out of the retention window first —
then the full response is stored again, so pruning old nights never breaks a reference.
The body is stored as we read it: already decoded (Content-Encoding is dropped from the stored
headers) and cut at the byte cap (then `WARC-Truncated: length` says so). The request record
holds the request line and the headers we set (httpx adds transport headers of its own).
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import shutil
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TextIO
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from extractors.records import FetchResult
from extractors.urls.redaction import redact_userinfo

HOP_BY_HOP = {"content-encoding", "transfer-encoding", "content-length", "connection"}
NIGHT_PREFIX = "run_date="


class CaptureError(RuntimeError):
    """A capture cannot be found or read; the message names the night, URL or file."""


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """Where one URL's capture of one night lives, and the original full response."""

    digest: str
    kind: str  # "response" or "revisit"
    file: str  # WARC file name within the night folder
    record_uri: str  # the URL that answered (the final URL after redirects)
    original_night: str  # ISO date of the night holding the full response
    original_file: str
    original_uri: str
    original_date: str  # WARC-Date of the original response


@dataclass(frozen=True, slots=True)
class Capture:
    """A stored answer, as an editor wants to see it."""

    url: str
    night: dt.date
    captured_at: str
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    truncated: bool
    revisit_of: str | None  # the night of the original when the payload was unchanged


def capture_dir(raw_dir: Path, run_date: dt.date) -> Path:
    return raw_dir / f"{NIGHT_PREFIX}{run_date.isoformat()}"


def capture_name(urls: Sequence[str]) -> str:
    """Stable per shard: the same hosts on a re-run of the night replace their own file."""
    digest = hashlib.blake2b("\n".join(sorted(urls)).encode(), digest_size=6).hexdigest()
    return f"shard-{digest}.warc.gz"


def payload_digest(body: bytes) -> str:
    """The WARC payload digest in its usual form (`sha1:` + base32), as warcio writes it."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def capture_nights(raw_dir: Path) -> list[dt.date]:
    nights = []
    for folder in raw_dir.glob(f"{NIGHT_PREFIX}*"):
        try:
            nights.append(dt.date.fromisoformat(folder.name.removeprefix(NIGHT_PREFIX)))
        except ValueError:
            continue
    return sorted(nights)


def read_index(night_dir: Path, urls: Collection[str] | None = None) -> dict[str, IndexEntry]:
    """URL → index entry for one night (all shards); with `urls`, only theirs (a shard needs
    its own hosts' entries, not a whole long night's)."""
    index: dict[str, IndexEntry] = {}
    # Values most entries share (kind, file names, nights) are kept once, not once per entry:
    # a shard holds last night's entries of all its URLs while it runs.
    shared: dict[str, str] = {}
    for path in sorted(night_dir.glob("shard-*.index.json")):
        for url, fields in _index_records(path):
            if urls is None or url in urls:
                index[url] = _index_entry(url, fields, shared)
    return index


def _index_entry(url: str, fields: Mapping[str, str], shared: dict[str, str]) -> IndexEntry:
    record_uri = url if fields["record_uri"] == url else fields["record_uri"]
    original_uri = fields["original_uri"]
    return IndexEntry(
        digest=fields["digest"],
        kind=shared.setdefault(fields["kind"], fields["kind"]),
        file=shared.setdefault(fields["file"], fields["file"]),
        record_uri=record_uri,
        original_night=shared.setdefault(fields["original_night"], fields["original_night"]),
        original_file=shared.setdefault(fields["original_file"], fields["original_file"]),
        original_uri=record_uri if original_uri == record_uri else original_uri,
        original_date=fields["original_date"],
    )


def _index_records(path: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """An index's entries, read a line at a time as `IndexFile` writes them, so a long
    shard's index never exists as one string and one dictionary of dictionaries. An index
    laid out otherwise (nights written before entries went a line each) is read whole."""
    try:
        with path.open(encoding="utf-8") as stream:
            if stream.readline().strip() == "{":
                read = 0
                for line in stream:
                    text = line.strip().removesuffix(",")
                    if not text or text == "}":
                        continue
                    try:
                        ((url, fields),) = json.loads("{" + text + "}").items()
                    except ValueError:
                        if read:
                            raise
                        break  # not an entry a line: read whole below
                    read += 1
                    yield url, fields
                else:
                    return
            stream.seek(0)
            records: dict[str, dict[str, str]] = json.loads(stream.read())
            yield from records.items()
    except (OSError, ValueError) as exc:
        raise CaptureError(f"{path}: unreadable capture index ({exc})") from exc


def previous_index(
    raw_dir: Path, run_date: dt.date, urls: Collection[str] | None = None
) -> dict[str, IndexEntry]:
    """The newest night's index before `run_date` (what a revisit may refer to)."""
    earlier = [night for night in capture_nights(raw_dir) if night < run_date]
    return read_index(capture_dir(raw_dir, earlier[-1]), urls) if earlier else {}


class CaptureWriter:
    """Collects the requests and responses of one shard into one WARC file (context manager)."""

    def __init__(
        self,
        raw_dir: Path,
        run_date: dt.date,
        urls: Sequence[str],
        *,
        user_agent: str,
        retention_nights: int,
        previous: Mapping[str, IndexEntry] | None = None,
    ) -> None:
        folder = capture_dir(raw_dir, run_date)
        self._target = folder / capture_name(urls)
        self._index_target = self._target.with_name(
            self._target.name.removesuffix(".warc.gz") + ".index.json"
        )
        self._temp = folder / f".{self._target.name}.tmp"
        self._night_text = run_date.isoformat()  # one string for every entry of the index
        self._user_agent = user_agent
        # An original older than this would be pruned before a revisit that refers to it.
        self._oldest_original = run_date - dt.timedelta(days=max(0, retention_nights - 1))
        self._previous = previous or {}
        self._index_temp = self._index_target.with_name(f".{self._index_target.name}.tmp")
        self._index_stream: TextIO | None = None
        self._index: IndexFile | None = None
        # Masked URLs already in the index: two catalogue URLs that differ only in their
        # credentials have one key (shard URLs are unique otherwise); the first one counts.
        self._masked_keys: set[str] = set()
        self._stream: io.BufferedWriter | None = None
        self._writer: WARCWriter | None = None

    def __enter__(self) -> CaptureWriter:
        self._target.parent.mkdir(parents=True, exist_ok=True)
        self._stream = open(self._temp, "wb")
        self._index_stream = self._index_temp.open("w", encoding="utf-8")
        self._index = IndexFile(self._index_stream)
        self._writer = WARCWriter(self._stream, gzip=True)
        info = {"software": "Linkpflege", "http-header-user-agent": self._user_agent}
        self._writer.write_record(self._writer.create_warcinfo_record(self._target.name, info))
        return self

    def add(self, result: FetchResult) -> None:
        """Store the final answer of one URL; failures without an answer leave no record."""
        if self._writer is None or result.status is None:
            return
        # Credentials in a catalogue URL never reach the capture files or their index.
        key = redact_userinfo(result.url)
        uri = redact_userinfo(result.final_url or result.url)
        headers = [(k, v) for k, v in result.headers if k.lower() not in HOP_BY_HOP]
        headers.append(("Content-Length", str(len(result.body))))
        http_headers = StatusAndHeaders(str(result.status), headers, protocol="HTTP/1.1")
        date = (result.checked_at or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
        warc_headers = {"WARC-Date": date}
        if result.truncated:
            warc_headers["WARC-Truncated"] = "length"
        digest = payload_digest(result.body)

        self._writer.write_record(self._request_record(uri, date))
        before = self._previous.get(key)
        # A 304 carries no body: only a revisit can say what the page looked like. Its
        # original night is then kept by pruning for as long as the revisit is.
        not_modified = before is not None and result.status == 304 and result.conditional
        if not_modified or (
            before is not None
            and before.digest == digest
            and dt.date.fromisoformat(before.original_night) >= self._oldest_original
        ):
            assert before is not None
            record = self._writer.create_revisit_record(
                uri,
                before.digest,
                before.original_uri,
                before.original_date,
                http_headers=http_headers,
                warc_headers_dict=warc_headers,
            )
            entry = dataclasses.replace(
                before, kind="revisit", file=self._target.name, record_uri=uri
            )
        else:
            warc_headers["WARC-Payload-Digest"] = digest
            record = self._writer.create_warc_record(
                uri,
                "response",
                payload=io.BytesIO(result.body),
                length=len(result.body),
                http_headers=http_headers,
                warc_headers_dict=warc_headers,
            )
            name, night = self._target.name, self._night_text
            entry = IndexEntry(digest, "response", name, uri, night, name, uri, date)
        self._writer.write_record(record)
        if key is not result.url:
            if key in self._masked_keys:
                return
            self._masked_keys.add(key)
        assert self._index is not None
        self._index.add(key, entry)

    def _request_record(self, uri: str, date: str) -> ArcWarcRecord:
        parts = urlsplit(uri)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = [("Host", parts.netloc), ("User-Agent", self._user_agent)]
        request = StatusAndHeaders(f"GET {target} HTTP/1.1", headers, is_http_request=True)
        assert self._writer is not None
        return self._writer.create_warc_record(
            uri, "request", http_headers=request, warc_headers_dict={"WARC-Date": date}
        )

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._stream is not None and self._index_stream is not None
        self._stream.flush()
        os.fsync(self._stream.fileno())
        self._stream.close()
        if exc_type is None and self._index is not None:
            self._index.close()
        self._index_stream.close()
        if exc_type is not None:
            self._temp.unlink(missing_ok=True)
            self._index_temp.unlink(missing_ok=True)
            return
        os.replace(self._temp, self._target)
        os.replace(self._index_temp, self._index_target)


class IndexFile:
    """A shard's capture index, written an entry a line as the shard goes: one JSON object
    (URL → entry) once `close` has run. Held until the shard's end, a long shard's index
    cost about 135 bytes a URL."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._entries = 0
        stream.write("{")

    def add(self, url: str, entry: IndexEntry) -> None:
        key = json.dumps(url, ensure_ascii=False)
        value = json.dumps(_entry_fields(entry), ensure_ascii=False)
        self._stream.write(f"{',' if self._entries else ''}\n {key}: {value}")
        self._entries += 1

    def close(self) -> None:
        self._stream.write("\n}\n" if self._entries else "}\n")


def _entry_fields(entry: IndexEntry) -> dict[str, str]:
    return {name: getattr(entry, name) for name in IndexEntry.__slots__}


def prune_captures(raw_dir: Path, run_date: dt.date, retention_nights: int) -> list[dt.date]:
    """Delete nights older than the retention window; returns the nights removed.

    A night that a kept revisit still refers to stays. Revisits only refer to originals
    inside the window of their own night, so nothing is kept longer than two windows.
    """
    cutoff = run_date - dt.timedelta(days=retention_nights - 1)
    nights = capture_nights(raw_dir)
    if not any(night < cutoff for night in nights):
        return []  # nothing old enough: no index needs reading
    referenced = {
        fields["original_night"]
        for night in nights
        if night >= cutoff
        for path in sorted(capture_dir(raw_dir, night).glob("shard-*.index.json"))
        for _, fields in _index_records(path)
        if fields["kind"] == "revisit"
    }
    removed = [n for n in nights if n < cutoff and n.isoformat() not in referenced]
    for night in removed:
        shutil.rmtree(capture_dir(raw_dir, night), ignore_errors=True)
    return removed


def _response_of(path: Path, uri: str, kinds: tuple[str, ...]) -> tuple[ArcWarcRecord, bytes]:
    try:
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                target = record.rec_headers.get_header("WARC-Target-URI")
                if record.rec_type in kinds and target == uri:
                    return record, record.content_stream().read()
    except OSError as exc:
        raise CaptureError(f"{path}: cannot read capture ({exc})") from exc
    raise CaptureError(f"{path}: no {'/'.join(kinds)} record for {uri}")


def read_capture(raw_dir: Path, url: str, night: dt.date | None = None) -> Capture:
    """What `url` looked like on `night` (the newest capture on or before it; default: latest)."""
    url = redact_userinfo(url)
    nights = [n for n in capture_nights(raw_dir) if night is None or n <= night]
    for candidate in reversed(nights):
        entry = read_index(capture_dir(raw_dir, candidate)).get(url)
        if entry is not None:
            break
    else:
        when = f" on or before {night.isoformat()}" if night else ""
        raise CaptureError(f"{raw_dir}: no capture of {url}{when}")

    path = capture_dir(raw_dir, candidate) / entry.file
    record, body = _response_of(path, entry.record_uri, (entry.kind,))
    revisit_of = None
    if entry.kind == "revisit":
        original_path = raw_dir / f"{NIGHT_PREFIX}{entry.original_night}" / entry.original_file
        if not original_path.exists():
            raise CaptureError(f"{original_path}: original capture of {url} was pruned")
        _, body = _response_of(original_path, entry.original_uri, ("response",))
        revisit_of = entry.original_night
    http, rec_headers = record.http_headers, record.rec_headers
    return Capture(
        url=url,
        night=candidate,
        captured_at=rec_headers.get_header("WARC-Date") or "",
        status=http.get_statuscode() if http else "",
        headers=tuple(http.headers) if http else (),
        body=body,
        truncated=rec_headers.get_header("WARC-Truncated") is not None,
        revisit_of=revisit_of,
    )
