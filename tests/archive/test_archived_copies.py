"""The run step's rules with plain records: which links get a lookup, what a lookup's outcome
does to the row, how a copy is carried across nights, and the settings that steer it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from record_factories import RUN_DATE, make_link_row

from extractors.records import (
    CatalogEntry,
    FetchResult,
    Health,
    Hop,
    LinkHealth,
    LinkRow,
    PageFacts,
)
from extractors.verdicts.link_rows import Observation, StalenessPolicy, build_link_row
from flows.archive.lookup import ArchivedCopy, ArchiveLookup
from flows.archived_copies import (
    ArchiveNight,
    copy_before,
    needs_archived_copy,
    with_lookup,
)
from flows.cli import build_parser, main
from flows.demo.run import demo_options
from flows.run_settings import DEFAULT_ARCHIVE_URL, SettingsError, load_settings

URL = "https://www.stadt-beispiel.de/lotsen"
COPY = "https://web.archive.org/web/20190304120000/" + URL
CAPTURED = dt.datetime(2019, 3, 4, 12, 0, tzinfo=dt.UTC)
NOTE = "Archivkopie vom 04.03.2019, Titel stimmt überein"
POLICY = StalenessPolicy(stale_after_days=730, confirm_after_nights=2)
ENTRY = CatalogEntry(
    line=2, entry_id="lotsen", provider="Stadt", title="Lotsen", link_label="Info", url=URL
)


def broken(**changes: object) -> LinkRow:
    fields: dict[str, object] = {
        "url": URL,
        "health": Health.NOT_FOUND,
        "http_status": 404,
        "confirmed_broken": True,
        "consecutive_failures": 2,
        "last_ok": dt.date(2026, 11, 20),
    }
    fields.update(changes)
    return make_link_row(**fields)


def observed(health: Health, status: int, final_url: str = URL) -> Observation:
    hops = (Hop(URL, 301, final_url),) if health is Health.MOVED else ()
    return Observation(
        FetchResult(url=URL, final_url=final_url, status=status, hops=hops),
        LinkHealth(health, status, final_url),
        PageFacts(title="Lotsen") if status == 200 else PageFacts(),
    )


# --- which links are looked up, and up to which day ----------------------------------------


def test_confirmed_broken_soft_404_and_moved_links_are_looked_up() -> None:
    assert needs_archived_copy(broken())
    assert needs_archived_copy(broken(health=Health.SOFT_404, confirmed_broken=False))
    assert needs_archived_copy(make_link_row(url=URL, health=Health.MOVED))
    assert not needs_archived_copy(broken(confirmed_broken=False))  # first failure: wait
    assert not needs_archived_copy(make_link_row(url=URL))  # ok
    assert not needs_archived_copy(broken(removed_since=RUN_DATE))


def test_no_lookup_for_intranet_hosts_credentials_or_other_schemes() -> None:
    assert not needs_archived_copy(broken(url="https://***@www.stadt-beispiel.de/x"))
    assert not needs_archived_copy(broken(url="ftp://files.stadt-beispiel.de/flyer.pdf"))
    assert not needs_archived_copy(broken(url="javascript:alert(1)"))
    intranet = broken(url="http://intranet.kreis.local/seite")
    assert needs_archived_copy(intranet)
    assert not needs_archived_copy(intranet, ("intranet.kreis.local",))


def test_the_capture_must_predate_the_last_good_night_or_be_the_newest() -> None:
    assert copy_before(broken()) == dt.date(2026, 11, 20)
    assert copy_before(broken(last_ok=None)) is None  # never good
    moved = make_link_row(url=URL, health=Health.MOVED, last_ok=RUN_DATE)
    assert copy_before(moved) is None  # good tonight: the newest (a cacheable key)


# --- what an outcome does to the row ------------------------------------------------------


def test_a_copy_fills_the_three_columns() -> None:
    copy = ArchivedCopy(COPY, CAPTURED, "Lotsen", 1.0, NOTE)
    row = with_lookup(broken(), ArchiveLookup(copy), None)
    assert (row.archived_url, row.archived_at, row.archive_note) == (COPY, CAPTURED, NOTE)
    assert row.health is Health.NOT_FOUND  # health untouched


def test_nothing_archived_clears_an_old_copy_and_says_so() -> None:
    carried = broken(archived_url=COPY, archived_at=CAPTURED, archive_note=NOTE)
    outcome = ArchiveLookup(None, "keine Archivkopie vor dem 20.11.2026 im Webarchiv")
    row = with_lookup(carried, outcome, None)
    assert (row.archived_url, row.archived_at) == (None, None)
    assert row.archive_note == "Keine Archivkopie vor dem 20.11.2026 im Webarchiv"


def test_archive_trouble_keeps_last_nights_copy_or_notes_why() -> None:
    trouble = ArchiveLookup(None, "Zeitüberschreitung beim Archiv", trouble=True)
    carried = broken(archived_url=COPY, archived_at=CAPTURED, archive_note=NOTE)
    assert with_lookup(carried, trouble, None) == carried
    assert with_lookup(carried, None, "Archiv drosselt") == carried
    fresh = with_lookup(broken(), trouble, None)
    assert fresh.archived_url is None
    assert fresh.archive_note == "Archivabfrage gescheitert: Zeitüberschreitung beim Archiv"
    skipped = with_lookup(broken(), None, "Archiv drosselt die Anfragen (429)")
    assert skipped.archive_note == (
        "Archiv in dieser Nacht nicht mehr befragt (Archiv drosselt die Anfragen (429))"
    )


def test_the_summary_line_counts_requests_429s_cache_hits_and_copies() -> None:
    night = ArchiveNight(True, lookups=3, copies_found=2, requests_sent=5, rate_limited=1)
    assert night.line() == (
        "  archive:  2 copies found for 3 links; 5 requests, 1 answered 429, 0 cache hits"
    )
    assert ArchiveNight(False).line() == "  archive:  off"


# --- carried across nights (extractors.verdicts.link_rows) --------------------------------


def test_a_copy_is_carried_while_the_link_fails_and_dropped_when_it_works_again() -> None:
    before = broken(archived_url=COPY, archived_at=CAPTURED, archive_note=NOTE)
    before = dataclasses.replace(before, run_date=RUN_DATE - dt.timedelta(days=1))
    failing = build_link_row(
        ENTRY, observed(Health.NOT_FOUND, 404), before, run_date=RUN_DATE, policy=POLICY
    )
    assert (failing.archived_url, failing.archived_at, failing.archive_note) == (
        COPY,
        CAPTURED,
        NOTE,
    )
    assert failing.suggested_url is None
    working = build_link_row(
        ENTRY, observed(Health.OK, 200), before, run_date=RUN_DATE, policy=POLICY
    )
    assert (working.archived_url, working.archived_at, working.archive_note) == (None,) * 3


def test_a_moved_link_suggests_its_redirect_target() -> None:
    new = "https://www.stadt-beispiel.de/neu"
    row = build_link_row(
        ENTRY, observed(Health.MOVED, 200, new), None, run_date=RUN_DATE, policy=POLICY
    )
    assert (row.suggested_url, row.suggestion_source, row.suggestion_score) == (
        new,
        "redirect",
        1.0,
    )
    ok = build_link_row(ENTRY, observed(Health.OK, 200), None, run_date=RUN_DATE, policy=POLICY)
    assert (ok.suggested_url, ok.suggestion_source, ok.suggestion_score) == (None,) * 3


# --- settings and flags ------------------------------------------------------------------


def test_archive_settings_defaults_flags_and_environment(tmp_path: Path) -> None:
    defaults = load_settings({}, environ={})
    assert (defaults.archive, defaults.archive_url) == (True, DEFAULT_ARCHIVE_URL)
    assert (defaults.archive_time_budget, defaults.archive_refresh_days) == (300.0, 30)
    args = build_parser().parse_args(
        ["run", "--no-archive", "--archive-url", "http://127.0.0.1:8080/"]
    )
    assert (args.archive, args.archive_url) == (False, "http://127.0.0.1:8080/")
    flagged = load_settings({"archive": args.archive, "archive_url": args.archive_url}, environ={})
    assert (flagged.archive, flagged.archive_url) == (False, "http://127.0.0.1:8080")
    environ = {
        "LINKPFLEGE_ARCHIVE": "nein",
        "LINKPFLEGE_ARCHIVE_TIME_BUDGET": "60",
        "LINKPFLEGE_ARCHIVE_REFRESH_DAYS": "7",
    }
    from_env = load_settings({}, environ=environ)
    assert (from_env.archive, from_env.archive_time_budget) == (False, 60.0)
    assert from_env.archive_refresh_days == 7
    serve = build_parser().parse_args(["serve", "--archive", "--archive-url", "https://a.example"])
    assert (serve.archive, serve.archive_url) == (True, "https://a.example")


@pytest.mark.parametrize("bad", ["ftp://archive.example", "javascript:alert(1)", "web.archive.org"])
def test_an_archive_url_must_be_http(bad: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SettingsError, match="archive_url"):
        load_settings({"archive_url": bad}, environ={})
    assert main(["run", "--archive-url", bad]) == 2
    assert "invalid value" in capsys.readouterr().err


def test_the_demo_never_asks_an_archive(tmp_path: Path) -> None:
    assert demo_options(tmp_path / "c.csv", tmp_path, RUN_DATE)["archive"] is False


def test_a_bug_in_the_lookup_never_sinks_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows import archived_copies
    from flows.fetch.settings import FetchSettings

    async def failing(*args: object, **kwargs: object) -> ArchiveLookup:
        raise RuntimeError("bug")

    monkeypatch.setattr(archived_copies, "lookup_archived_copy", failing)
    settings = load_settings({"data_dir": str(tmp_path)}, environ={})
    row = broken()
    rows, night = archived_copies.add_archived_copies([row], settings, FetchSettings())
    assert rows[0].health is Health.NOT_FOUND and rows[0].archived_url is None
    assert rows[0].archive_note == (
        "Archiv in dieser Nacht nicht mehr befragt (interner Fehler bei der Archivabfrage)"
    )
    assert (night.lookups, night.not_asked, night.requests_sent) == (0, 1, 0)
