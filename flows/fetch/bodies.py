"""Reading a response body with a cap on DECODED bytes.

gzip/deflate are decoded here in bounded steps, so a compression bomb costs at most
the cap; other encodings are kept raw. A cut or corrupt body is kept and marked truncated.
"""

from __future__ import annotations

import contextlib
import zlib
from collections.abc import Iterator, Sequence

import httpx

_DECODE_STEP = 64 * 1024


class _CorruptStream(Exception):
    """A compressed body that does not decode."""


class _ZlibStage:
    """One gzip/deflate layer, decoded in pieces of at most `_DECODE_STEP` bytes.

    zlib allocates its output buffer up front, so each call is capped: a small
    compressed chunk never expands into a huge buffer (compression bombs stay bounded).
    """

    def __init__(self, encoding: str) -> None:
        self._probe_deflate = encoding == "deflate"
        self.fed = False
        if encoding == "deflate":
            self._zlib = zlib.decompressobj()
        else:
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16)

    @property
    def complete(self) -> bool:
        return self._zlib.eof

    def decode(self, data: bytes) -> Iterator[bytes]:
        self.fed = self.fed or bool(data)
        while not self._zlib.eof:
            try:
                out = self._zlib.decompress(data, _DECODE_STEP)
            except zlib.error as exc:
                if self._probe_deflate:  # "deflate" is sent both with and without zlib header
                    self._probe_deflate = False
                    self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise _CorruptStream from exc
            self._probe_deflate = False
            data = self._zlib.unconsumed_tail
            if out:
                yield out
            if not data and len(out) < _DECODE_STEP:
                break  # input used up and no output pending


class _CappedBody:
    """Collects a response body up to `cap` decoded bytes, decoding gzip/deflate itself.

    `encodings` are the Content-Encoding layers in the order the server applied
    them ("gzip, gzip" is two layers); they are undone last-first, piece by
    piece through generators, so every layer holds at most `_DECODE_STEP` bytes
    and decoding stops as soon as the cap is reached, however deep the bomb.
    """

    def __init__(self, cap: int, encodings: Sequence[str] = ()) -> None:
        self.cap = cap
        self.body = bytearray()
        self.truncated = False
        self._stages = [_ZlibStage(e) for e in reversed(encodings)]

    def feed(self, raw: bytes) -> bool:
        """Take one raw chunk; False once the cap is exceeded or the data is corrupt."""
        try:
            for piece in self._decoded(raw, 0):
                if not self._keep(piece):
                    return False
        except _CorruptStream:
            self.truncated = True  # corrupt stream: keep what decoded cleanly
            return False
        return True

    def _decoded(self, data: bytes, index: int) -> Iterator[bytes]:
        if index == len(self._stages):
            yield data
            return
        for piece in self._stages[index].decode(data):
            yield from self._decoded(piece, index + 1)

    def finish(self) -> None:
        """The body ended; a compressed stream that did not reach its end is incomplete."""
        if any(stage.fed and not stage.complete for stage in self._stages):
            self.truncated = True

    def _keep(self, data: bytes) -> bool:
        room = self.cap - len(self.body)
        if len(data) > room:
            self.body += data[:room]
            self.truncated = True
            return False
        self.body += data
        return True


# Content-Encodings we decode ourselves, within the byte cap.
_BOUNDED_ENCODINGS = frozenset({"gzip", "x-gzip", "deflate"})


def content_encodings(value: str | None) -> list[str] | None:
    """The layers of a Content-Encoding header in applied order, or None if one is unknown.

    "identity" layers are dropped. None (br, zstd, compress…) means: not decoded
    at all. We only ask for gzip/deflate; decoding anything else would need a
    decoder we cannot bound (httpx would decode br or zstd whole, if their
    packages happen to be installed), so such bodies are kept as raw bytes.
    """
    layers = [part.strip().lower() for part in (value or "").split(",")]
    layers = [layer for layer in layers if layer and layer != "identity"]
    if any(layer not in _BOUNDED_ENCODINGS for layer in layers):
        return None
    return layers


async def read_capped(response: httpx.Response, cap: int) -> tuple[bytes, bool]:
    """Read a streamed response's decoded body, at most `cap` bytes; (body, truncated)."""
    try:
        already = response.content  # responses built in memory (MockTransport) are pre-read
    except httpx.ResponseNotRead:
        pass
    else:
        capped = _CappedBody(cap)
        capped.feed(already)
        return bytes(capped.body), capped.truncated
    # Always the raw stream: httpx's own decoders are unbounded (see `content_encodings`).
    capped = _CappedBody(cap, content_encodings(response.headers.get("content-encoding")) or ())
    # aclosing: leaving the loop early must close the generator here, not at loop teardown.
    async with contextlib.aclosing(response.aiter_raw()) as chunks:
        async for raw in chunks:
            if not capped.feed(raw):
                break
    capped.finish()
    return bytes(capped.body), capped.truncated
