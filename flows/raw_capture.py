"""Raw captures: what was fetched, as WARC (the archivists' format, replayable in standard tools).

One gzipped WARC file per shard and night under `raw/run_date=YYYY-MM-DD/`, written to a
temporary name and moved into place when the shard is done, so a file is either complete or
absent. The body is stored as we read it: already decoded (so Content-Encoding is dropped
from the stored headers) and cut at the byte cap (then a `WARC-Truncated: length` header says so).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from extractors.records import FetchResult

HOP_BY_HOP = {"content-encoding", "transfer-encoding", "content-length", "connection"}


def capture_dir(raw_dir: Path, run_date: dt.date) -> Path:
    return raw_dir / f"run_date={run_date.isoformat()}"


def capture_name(urls: Sequence[str]) -> str:
    """Stable per shard: the same hosts on a re-run of the night replace their own file."""
    digest = hashlib.blake2b("\n".join(sorted(urls)).encode(), digest_size=6).hexdigest()
    return f"shard-{digest}.warc.gz"


class CaptureWriter:
    """Collects the responses of one shard into one WARC file (context manager)."""

    def __init__(self, target: Path, user_agent: str) -> None:
        self._target = target
        self._temp = target.with_name(f".{target.name}.tmp")
        self._user_agent = user_agent
        self._stream: io.BufferedWriter | None = None
        self._writer: WARCWriter | None = None

    def __enter__(self) -> CaptureWriter:
        self._target.parent.mkdir(parents=True, exist_ok=True)
        self._stream = open(self._temp, "wb")
        self._writer = WARCWriter(self._stream, gzip=True)
        info = {"software": "Linkpflege", "http-header-user-agent": self._user_agent}
        self._writer.write_record(self._writer.create_warcinfo_record(self._target.name, info))
        return self

    def add(self, result: FetchResult) -> None:
        """Store the final answer of one URL; failures without an answer leave no record."""
        if self._writer is None or result.status is None:
            return
        headers = [(k, v) for k, v in result.headers if k.lower() not in HOP_BY_HOP]
        headers.append(("Content-Length", str(len(result.body))))
        http_headers = StatusAndHeaders(str(result.status), headers, protocol="HTTP/1.1")
        warc_headers = {}
        if result.checked_at is not None:
            warc_headers["WARC-Date"] = result.checked_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        if result.truncated:
            warc_headers["WARC-Truncated"] = "length"
        record = self._writer.create_warc_record(
            result.final_url or result.url,
            "response",
            payload=io.BytesIO(result.body),
            length=len(result.body),
            http_headers=http_headers,
            warc_headers_dict=warc_headers,
        )
        self._writer.write_record(record)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._stream is not None
        self._stream.flush()
        os.fsync(self._stream.fileno())
        self._stream.close()
        if exc_type is None:
            os.replace(self._temp, self._target)
        else:
            self._temp.unlink(missing_ok=True)
