"""Incremental nights: last night's ETag / Last-Modified go out as conditional requests; a 304
carries the previous facts forward, counts as a good check and costs no body bytes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from local_run import local_run_settings
from local_web import LocalWeb, Reply

from flows.dataset.raw_capture import read_capture
from flows.dataset.store import read_links
from flows.harvest_flow import harvest

PAGE_V1 = (
    "<html lang='de'><head><title>Willkommens-Stadtplan - Stadt Leipzig</title></head>"
    "<body><main><p>Die Anlaufstellen für Migrantinnen und Migranten in fünf Sprachen.</p>"
    "<p>Stand: 23.07.2015</p></main></body></html>"
)
PAGE_V2 = PAGE_V1.replace("23.07.2015", "01.10.2026").replace("fünf", "sechs")


def night(tmp_path: Path, catalog: Path, day: str) -> dict[str, object]:
    harvest(local_run_settings(catalog, tmp_path / "data", day))
    return {row.entry_id: row for row in read_links(tmp_path / "data" / "curated")}


def test_unchanged_pages_answer_304_and_keep_their_facts(tmp_path: Path):
    with LocalWeb() as web:
        web.route("/stadtplan", Reply.html(PAGE_V1, etag='"v1"'))
        lm = "Thu, 23 Jul 2015 10:00:00 GMT"
        web.route(
            "/flyer",
            Reply(
                body=PAGE_V1.encode(),
                headers=(("Content-Type", "text/html"), ("Last-Modified", lm)),
            ),
        )
        web.route("/alt", Reply.redirect("/ziel", 301))
        web.route("/ziel", Reply.html(PAGE_V1, etag='"z1"'))
        catalog = tmp_path / "katalog.csv"
        catalog.write_text(
            "entry_id,provider,title,link_label,url\n"
            f"leipzig,Stadt Leipzig,Stadtplan,Plan,{web.url('/stadtplan')}\n"
            f"flyer,Stadt Leipzig,Flyer,Flyer,{web.url('/flyer')}\n"
            f"alt,Stadt Leipzig,Alt,Alt,{web.url('/alt')}\n",
            encoding="utf-8",
        )

        first = night(tmp_path, catalog, "2026-11-25")
        assert first["leipzig"].etag == '"v1"'
        assert first["flyer"].http_last_modified == lm
        assert first["alt"].etag is None  # a redirected answer gives no validators
        assert first["leipzig"].bytes_read > 0

        second = night(tmp_path, catalog, "2026-11-26")
        sent = web.requests_to("/stadtplan")[-1].headers
        assert sent.get("if-none-match") == '"v1"'
        assert web.requests_to("/flyer")[-1].headers.get("if-modified-since") == lm
        assert "if-none-match" not in web.requests_to("/alt")[-1].headers
        assert "if-none-match" not in web.requests_to("/ziel")[-1].headers
        unchanged = second["leipzig"]
        assert unchanged.health.value == "ok"
        assert unchanged.http_status == 304
        assert unchanged.bytes_read == 0
        assert unchanged.title == first["leipzig"].title
        assert unchanged.content_date == dt.date(2015, 7, 23)
        assert unchanged.stale is True
        assert unchanged.content_hash == first["leipzig"].content_hash
        assert unchanged.last_ok == dt.date(2026, 11, 26)
        assert unchanged.last_changed is None
        # The evidence of the unchanged night is last night's page (a WARC revisit).
        capture = read_capture(
            tmp_path / "data" / "raw", web.url("/stadtplan"), dt.date(2026, 11, 26)
        )
        assert capture.revisit_of == "2026-11-25"
        assert b"Stand: 23.07.2015" in capture.body

        web.route("/stadtplan", Reply.html(PAGE_V2, etag='"v2"'))
        third = night(tmp_path, catalog, "2026-11-27")
        changed = third["leipzig"]
        assert changed.http_status == 200 and changed.etag == '"v2"'
        assert changed.content_date == dt.date(2026, 10, 1)
        assert changed.last_changed == dt.date(2026, 11, 27)
