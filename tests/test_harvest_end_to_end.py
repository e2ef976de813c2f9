"""The whole nightly harvest against a local web on real sockets: catalogue → fetch → verify →
extract → Parquet → report, once through Prefect (flow + shard tasks) and once as a user runs it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from local_web import LocalWeb, Reply, closed_port
from process_state import orphans_after
from pypdf import PdfWriter

from flows.dataset.review_log import append_review
from flows.dataset.schema import ENTRIES_SCHEMA, HISTORY_SCHEMA, LINKS_SCHEMA, SCHEMA_VERSION
from flows.run_settings import load_settings

NIGHT1 = "2026-11-25"
NIGHT2 = "2026-11-26"
NIGHT3 = "2026-11-27"

STAND_PAGE = """<!doctype html><html lang="de"><head><meta charset="utf-8">
<title>Willkommens-Stadtplan - Stadt Leipzig</title></head><body>
<div id="cookie-banner">Wir verwenden Cookies. Stand der Datenschutzerklärung: 01.10.2026</div>
<main><h1>Willkommens-Stadtplan in fünf Sprachen</h1>
<p>Die für Migrantinnen und Migranten wichtigen Anlaufstellen in der Stadt werden im Stadtplan
in Deutsch, Russisch, Englisch, Spanisch und Arabisch erläutert.</p>
<p>Stand: 03.11.2015</p></main>
<footer>© 2026 Stadt Leipzig</footer></body></html>"""

JSON_LD_PAGE = """<!doctype html><html lang="de"><head><meta charset="utf-8">
<title>Gesundheitskarte für Flüchtlinge | Stadt Monheim am Rhein</title>
<script type="application/ld+json">{"@context": "https://schema.org", "@type": "NewsArticle",
"headline": "Monheim führt Gesundheitskarte ein", "datePublished": "2015-11-18T10:00:00+01:00",
"dateModified": "2025-06-02T09:00:00+02:00"}</script></head><body><main>
<h1>Monheim führt als erste NRW-Kommune die Gesundheitskarte für Flüchtlinge ein</h1>
<p>Als erste Kommune in Nordrhein-Westfalen ist die Stadt Monheim der Rahmenvereinbarung des
Landes mit den Krankenkassen beigetreten.</p></main></body></html>"""

META_PAGE = """<!doctype html><html lang="de"><head><meta charset="utf-8">
<title>Coming Home - Rückkehrhilfe</title>
<meta name="description" content="München unterstützt Flüchtlinge bei der freiwilligen Rückkehr.">
<meta property="article:modified_time" content="2016-02-10T08:00:00+01:00"></head>
<body><main><p>Das Angebot des EU-geförderten Projekts umfasst Beratung.</p></main></body></html>"""

LATIN1_PAGE = (
    '<html lang="de"><head><title>Bürgerinformation – Flüchtlinge</title></head><body><main>'
    "<p>Die Stadt Konstanz informiert Bürgerinnen und Bürger „umfassend“ über Unterkünfte; "
    "Kosten: 5 €.</p><p>Stand: 12.10.2015</p></main></body></html>"
).encode("cp1252")


def flyer_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata(
        {
            "/Title": "Zukunftschance Ausbildung",
            "/CreationDate": "D:20150602100000+02'00'",
            "/ModDate": "D:20150610120000+02'00'",
        }
    )
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def build_web(web: LocalWeb) -> None:
    web.route("/leipzig", Reply.html(STAND_PAGE))
    web.route("/monheim", Reply.html(JSON_LD_PAGE))
    web.route("/muenchen-alt", Reply.redirect("/muenchen", 301))
    web.route("/muenchen", Reply.html(META_PAGE))
    web.route("/kurzlink", Reply.redirect("/monheim", 302))
    web.route(
        "/konstanz",
        Reply(body=LATIN1_PAGE, headers=(("Content-Type", "text/html; charset=iso-8859-1"),)),
    )
    web.route("/flyer.pdf", Reply(body=flyer_pdf(), headers=(("Content-Type", "application/pdf"),)))
    web.route("/gone", Reply.html("<h1>Nicht gefunden</h1>", status=404))
    web.route("/broken", Reply.html("<h1>Interner Fehler</h1>", status=500))
    web.route("/slow", Reply.html("<p>spät</p>", delay=30))
    web.route("/intern", Reply.html("<h1>Forbidden</h1>", status=403))
    web.route("/loop-a", Reply.redirect("/loop-b"))
    web.route("/loop-b", Reply.redirect("/loop-a"))


CATALOG_HEADER = ["entry_id", "provider", "title", "link_label", "url", "max_age_days"]


def write_catalog(path: Path, web: LocalWeb, tls_web: LocalWeb) -> None:
    rows = [
        (
            "leipzig",
            "Stadt Leipzig",
            "Willkommens-Stadtplan",
            "Weitere Informationen",
            web.url("/leipzig"),
            "",
        ),
        (
            "monheim",
            "Stadt Monheim am Rhein",
            "Gesundheitskarte",
            "Weitere Informationen",
            web.url("/monheim"),
            "",
        ),
        (
            "muenchen",
            "Landeshauptstadt München",
            "Coming Home",
            "Weitere Informationen",
            web.url("/muenchen-alt"),
            "",
        ),
        ("muenchen", "", "", "Kurzlink", web.url("/kurzlink"), ""),
        (
            "konstanz",
            "Stadt Konstanz",
            "Bürgerinformation",
            "Bürgerinformation",
            web.url("/konstanz"),
            "30000",
        ),
        (
            "bremen",
            "Freie Hansestadt Bremen",
            "Ausbildungsplätze",
            "Flyer",
            web.url("/flyer.pdf"),
            "",
        ),
        ("gone", "Stadt A", "Verschwunden", "Weitere Informationen", web.url("/gone"), ""),
        ("broken", "Stadt B", "Serverfehler", "Weitere Informationen", web.url("/broken"), ""),
        ("slow", "Stadt C", "Langsam", "Weitere Informationen", web.url("/slow"), ""),
        (
            "refused",
            "Stadt D",
            "Abgeschaltet",
            "Weitere Informationen",
            f"http://127.0.0.1:{closed_port()}/",
            "",
        ),
        (
            "nodns",
            "Stadt E",
            "Domain verfallen",
            "Weitere Informationen",
            "http://stadt-e.invalid/fluechtlinge",
            "",
        ),
        ("tls", "Stadt F", "Zertifikat", "Weitere Informationen", tls_web.url("/"), ""),
        ("intern", "Stadt G", "Intern", "Weitere Informationen", web.url("/intern"), ""),
        ("loop", "Stadt H", "Schleife", "Weitere Informationen", web.url("/loop-a"), ""),
        ("ftp", "Stadt I", "Alt", "Weitere Informationen", "ftp://files.stadt-i.de/flyer.pdf", ""),
        ("koeln", "Stadt Köln", "Web-App und Twitter", "Twitter", "", ""),
    ]
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(CATALOG_HEADER)
        writer.writerows(rows)
        stream.write("\n")
        writer.writerow(["", "Stadt X", "ohne id", "Link", web.url("/leipzig"), ""])


EXPECTED_HEALTH = {
    "leipzig": "ok",
    "monheim": "ok",
    "konstanz": "ok",
    "bremen": "ok",
    "gone": "not_found",
    "broken": "server_error",
    "slow": "timeout",
    "refused": "connection_error",
    "nodns": "dns_error",
    "tls": "tls_error",
    "intern": "blocked",
    "loop": "too_many_redirects",
    "ftp": "invalid_url",
}


def options(catalog: Path, data_dir: Path, now: str) -> dict[str, object]:
    return {
        "catalog": str(catalog),
        "data_dir": str(data_dir),
        "now": now,
        "allow_private_addresses": True,
        "timeout": 3.0,
        "per_host": 4,
        "per_host_interval": 0.02,
        "progress": False,
    }


@pytest.fixture(scope="module")
def local_webs():
    with LocalWeb() as web, LocalWeb(tls="untrusted") as tls_web:
        build_web(web)
        tls_web.route("/", Reply.html("<p>geheim</p>"))
        yield web, tls_web


def test_prefect_flow_end_to_end_two_nights(local_webs, tmp_path: Path, prefect_harness):
    from flows.harvest_flow import nightly_harvest

    web, tls_web = local_webs
    catalog = tmp_path / "catalog.csv"
    write_catalog(catalog, web, tls_web)
    data_dir = tmp_path / "data"

    state = nightly_harvest(options=options(catalog, data_dir, NIGHT1), return_state=True)
    assert state.is_completed(), state.message
    summary = state.result()
    assert summary.run_date == dt.date(2025 + 1, 11, 25)
    assert any("line 19" in p and "entry_id" in p for p in summary.catalog_problems)

    curated = data_dir / "curated"
    links = pq.read_table(curated / "links.parquet")
    assert links.schema.equals(LINKS_SCHEMA, check_metadata=False)
    assert links.schema.metadata[b"schema_version"] == SCHEMA_VERSION.encode()
    entries = pq.read_table(curated / "entries.parquet")
    assert entries.schema.equals(ENTRIES_SCHEMA, check_metadata=False)
    history = pq.read_table(curated / "history" / f"run_date={NIGHT1}" / "links.parquet")
    assert history.schema.equals(HISTORY_SCHEMA, check_metadata=False)

    by_entry = {}
    for row in links.to_pylist():
        by_entry.setdefault(row["entry_id"], []).append(row)
    assert set(by_entry) == set(EXPECTED_HEALTH) | {"muenchen", "koeln"}
    for entry_id, health in EXPECTED_HEALTH.items():
        assert by_entry[entry_id][0]["health"] == health, (entry_id, by_entry[entry_id][0])

    moved, redirected = by_entry["muenchen"]
    assert moved["health"] == "moved"
    assert moved["final_url"] == web.url("/muenchen")
    assert moved["redirect_chain"][0]["status"] == 301
    assert redirected["health"] == "redirected"

    leipzig = by_entry["leipzig"][0]
    assert leipzig["content_date"] == dt.date(2015, 11, 3)  # not the cookie banner, not © 2026
    assert leipzig["date_source"] == "visible_text"
    assert leipzig["stale"] is True
    assert leipzig["bytes_read"] == len(STAND_PAGE.encode())
    assert leipzig["http_status"] == 200 and leipzig["checked_at"] is not None
    assert "Stadtplan" in leipzig["title"]

    monheim = by_entry["monheim"][0]
    assert monheim["published"] == dt.date(2015, 11, 18)
    assert monheim["modified"] == dt.date(2025, 6, 2)
    assert monheim["date_source"] == "json_ld"
    assert monheim["stale"] is False
    assert monheim["title"] == "Gesundheitskarte für Flüchtlinge"

    konstanz = by_entry["konstanz"][0]
    assert "„umfassend“" in konstanz["summary"] and "€" in konstanz["summary"]
    assert konstanz["stale"] is False  # the entry's own max_age_days

    flyer = by_entry["bremen"][0]
    assert flyer["content_type"] == "application/pdf"
    assert flyer["title"] == "Zukunftschance Ausbildung"
    assert flyer["published"] == dt.date(2015, 6, 2)
    assert flyer["modified"] == dt.date(2015, 6, 10)

    assert by_entry["koeln"][0]["url"] is None and by_entry["koeln"][0]["health"] is None
    assert by_entry["gone"][0]["consecutive_failures"] == 1
    assert by_entry["gone"][0]["confirmed_broken"] is False

    verdicts = {row["entry_id"]: row["verdict"] for row in entries.to_pylist()}
    assert verdicts["koeln"] == "missing_url"
    assert verdicts["gone"] == "review"  # failing for one night: not yet confirmed
    assert verdicts["leipzig"] == "stale"
    assert verdicts["monheim"] == "ok"
    assert verdicts["muenchen"] == "review"  # moved: update the link

    assert_raw_captures(data_dir / "raw" / f"run_date={NIGHT1}", web)

    report = curated / "report" / "index.html"
    assert report.is_file() and (curated / "report" / "report.md").is_file()
    assert "Linkpflege" in report.read_text(encoding="utf-8")

    # Second night: the same failures are now confirmed, and history has two partitions.
    state = nightly_harvest(options=options(catalog, data_dir, NIGHT2), return_state=True)
    assert state.is_completed(), state.message
    second = {r["entry_id"]: r for r in pq.read_table(curated / "links.parquet").to_pylist()}
    assert second["gone"]["consecutive_failures"] == 2
    assert second["gone"]["failing_since"] == dt.date(2026, 11, 25)
    assert second["gone"]["confirmed_broken"] is True
    assert second["leipzig"]["first_seen"] == dt.date(2026, 11, 25)
    verdicts = {
        r["entry_id"]: r["verdict"] for r in pq.read_table(curated / "entries.parquet").to_pylist()
    }
    assert verdicts["gone"] == "broken"
    partitions = sorted(p.name for p in (curated / "history").iterdir())
    assert partitions == [f"run_date={NIGHT1}", f"run_date={NIGHT2}"]
    assert_history_loads_alike(curated)

    # `linkpflege report` re-renders the same night, still knowing the night before.
    from flows.cli import main

    (curated / "report" / "index.html").unlink()
    assert main(["report", "--data-dir", str(data_dir), "--catalog", str(catalog)]) == 0
    rerendered = (curated / "report" / "index.html").read_text(encoding="utf-8")
    assert "Erster Lauf" not in rerendered and "Neu seit gestern" in rerendered

    # Re-running the latest night does not count its failures twice ...
    state = nightly_harvest(options=options(catalog, data_dir, NIGHT2), return_state=True)
    assert state.is_completed(), state.message
    again = {r["entry_id"]: r for r in pq.read_table(curated / "links.parquet").to_pylist()}
    assert again["gone"]["consecutive_failures"] == 2
    # ... a re-run of a past night rewrites only that night's history ...
    latest = (curated / "links.parquet").read_bytes()
    state = nightly_harvest(options=options(catalog, data_dir, NIGHT1), return_state=True)
    assert state.is_completed(), state.message
    assert (curated / "links.parquet").read_bytes() == latest
    # ... and a third night goes on counting; an editor has accepted Leipzig's old page.
    append_review(tmp_path / "reviews.csv", "leipzig", dt.date(2026, 11, 26), "gilt weiter")
    state = nightly_harvest(options=options(catalog, data_dir, NIGHT3), return_state=True)
    assert state.is_completed(), state.message
    third = {r["entry_id"]: r for r in pq.read_table(curated / "links.parquet").to_pylist()}
    assert third["gone"]["consecutive_failures"] == 3
    assert third["gone"]["failing_since"] == dt.date(2026, 11, 25)
    assert third["leipzig"]["last_ok"] == dt.date(2026, 11, 27)
    verdicts = {
        r["entry_id"]: r["verdict"] for r in pq.read_table(curated / "entries.parquet").to_pylist()
    }
    assert verdicts["leipzig"] == "ok"  # stale, but reviewed and unchanged since

    # Night 4: the editors dropped the "ftp" entry; it stays in the latest tables, marked.
    lines = catalog.read_text(encoding="utf-8").splitlines(keepends=True)
    catalog.write_text("".join(line for line in lines if not line.startswith("ftp,")), "utf-8")
    state = nightly_harvest(options=options(catalog, data_dir, "2026-11-28"), return_state=True)
    assert state.is_completed(), state.message
    fourth = {r["entry_id"]: r for r in pq.read_table(curated / "links.parquet").to_pylist()}
    assert fourth["ftp"]["removed_since"] == dt.date(2026, 11, 28)
    assert fourth["leipzig"]["removed_since"] is None
    entries4 = {r["entry_id"]: r for r in pq.read_table(curated / "entries.parquet").to_pylist()}
    assert entries4["ftp"]["removed_since"] == dt.date(2026, 11, 28)
    night4 = pq.read_table(curated / "history" / "run_date=2026-11-28" / "links.parquet")
    assert "ftp" not in night4["entry_id"].to_pylist()
    assert "ftp://" not in (curated / "report" / "report.md").read_text(encoding="utf-8")


def assert_raw_captures(folder: Path, web: LocalWeb) -> None:
    """Raw answers are kept as WARC that standard tools (warcio here) can replay."""
    from warcio.archiveiterator import ArchiveIterator

    responses = {}
    for path in folder.glob("*.warc.gz"):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    responses[uri] = (
                        record.http_headers.get_statuscode(),
                        record.content_stream().read(),
                    )
    assert responses[web.url("/leipzig")][0] == "200"
    assert b"Stand: 03.11.2015" in responses[web.url("/leipzig")][1]
    assert responses[web.url("/gone")][0] == "404"
    assert not list(folder.glob(".*tmp"))


def assert_history_loads_alike(curated: Path) -> None:
    """The README's loading snippets, run as written: the same rows per night everywhere."""
    import duckdb
    import pandas as pd
    import polars as pl

    frame = pd.read_parquet(curated / "history")
    by_pandas = frame.groupby(frame["run_date"].astype(str)).size().to_dict()
    by_duckdb = {
        str(day): n
        for day, n in duckdb.sql(
            "select run_date, count(*) from read_parquet("
            f"'{curated}/history/*/*.parquet', hive_partitioning=true) group by 1"
        ).fetchall()
    }
    polars_frame = pl.read_parquet(f"{curated}/history/**/*.parquet", hive_partitioning=True)
    by_polars = {str(day): n for day, n in polars_frame.group_by("run_date").len().iter_rows()}
    assert by_pandas == by_duckdb == by_polars == {NIGHT1: 16, NIGHT2: 16}
    assert set(pd.read_parquet(curated / "entries_history")["run_date"].astype(str)) == {
        NIGHT1,
        NIGHT2,
    }
    links = pd.read_parquet(curated / "links.parquet", dtype_backend="numpy_nullable")
    assert str(links["http_status"].dtype) == "Int16"


def _run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    linkpflege = Path(sys.executable).with_name("linkpflege")
    env = dict(os.environ)
    env.pop("PREFECT_API_URL", None)
    return subprocess.run(
        [str(linkpflege), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        stdin=subprocess.DEVNULL,
    )


def test_cli_run_as_a_user_then_offline_night_changes_nothing(local_webs, tmp_path: Path):
    web, _ = local_webs
    catalog = tmp_path / "catalog.csv"
    catalog.write_text(
        "entry_id,provider,title,link_label,url\n"
        f"leipzig,Stadt Leipzig,Stadtplan,Weitere Informationen,{web.url('/leipzig')}\n"
        f"gone,Stadt A,Weg,Weitere Informationen,{web.url('/gone')}\n",
        encoding="utf-8",
    )
    data_dir = tmp_path / "data"
    common = ["--catalog", str(catalog), "--data-dir", str(data_dir), "--allow-private-addresses"]
    # Checked on a local Dask cluster of two workers whose pages go to two analysis
    # processes each, as a long catalogue would have them; asked for with the deprecated
    # --fetch-processes, which now means exactly that (and says so).
    done = _run_cli(
        "run",
        *common,
        "--now",
        NIGHT1,
        "--per-host-interval",
        "0",
        "--fetch-processes",
        "2",
        "--analysis-processes",
        "2",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "fetch_processes (2) is deprecated" in done.stderr
    assert "ok 1" in done.stdout and "not_found 1" in done.stdout
    assert "index.html" in done.stdout
    assert "\r" not in done.stderr  # no progress bar when the output is not a terminal
    published = {p: p.read_bytes() for p in (data_dir / "curated").rglob("*") if p.is_file()}

    offline = tmp_path / "offline.csv"
    offline.write_text(
        "entry_id,provider,title,link_label,url\n"
        + "".join(
            f"e{i},Stadt {i},Titel,Weitere Informationen,https://www.stadt-{i}.invalid/seite\n"
            for i in range(5)
        ),
        encoding="utf-8",
    )
    night2 = _run_cli(
        "run", "--catalog", str(offline), "--data-dir", str(data_dir), "--now", NIGHT2, cwd=tmp_path
    )
    assert night2.returncode == 3, night2.stderr
    # One line of our own (Prefect's log lines about its temporary server come around it).
    ours = [line for line in night2.stderr.splitlines() if line.startswith("linkpflege:")]
    assert len(ours) == 1, night2.stderr
    assert ours[0].startswith("linkpflege: run inconclusive")
    assert "dns_error" in ours[0] and "left as it was" in ours[0]
    after = {p: p.read_bytes() for p in (data_dir / "curated").rglob("*") if p.is_file()}
    assert after == published


def test_cli_refuses_unreadable_catalogue_and_unwritable_data_dir(tmp_path: Path):
    missing = _run_cli(
        "run", "--catalog", str(tmp_path / "nope.csv"), "--data-dir", str(tmp_path), cwd=tmp_path
    )
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines() == [
        f"linkpflege: {tmp_path / 'nope.csv'}: cannot read catalogue (No such file or directory)"
    ]
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    unwritable = _run_cli("run", "--data-dir", str(blocker / "data"), cwd=tmp_path)
    assert unwritable.returncode == 2
    assert "not writable" in unwritable.stderr
    assert len(unwritable.stderr.strip().splitlines()) == 1


def test_settings_used_by_the_tests_are_the_documented_ones(tmp_path: Path):
    settings = load_settings(options(tmp_path / "c.csv", tmp_path, NIGHT1))
    assert settings.allow_private_addresses is True
    assert settings.run_date() == dt.date(2026, 11, 25)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process groups and /proc")
def test_ctrl_c_ends_a_run_at_once_and_keeps_the_dataset(tmp_path: Path):
    """Ctrl-C reaches the whole process group, Prefect's temporary server included; the run
    must then end with one line, not hang reporting to the vanished server."""
    with LocalWeb() as web:
        web.route("/lotsen", Reply.html("<title>Lotsen</title><p>Lotsen begleiten.</p>"))
        web.route("/langsam", Reply.html("<p>Spät.</p>", delay=60))
        catalog = tmp_path / "catalog.csv"
        catalog.write_text(
            "entry_id,provider,title,link_label,url\n"
            f"lotsen,Stadt A,Lotsen,Weitere Informationen,{web.url('/lotsen')}\n",
            encoding="utf-8",
        )
        data_dir = tmp_path / "data"
        common = ["--catalog", str(catalog), "--data-dir", str(data_dir)]
        common += ["--allow-private-addresses", "--per-host-interval", "0"]
        first = _run_cli("run", *common, "--now", NIGHT1, cwd=tmp_path)
        assert first.returncode == 0, first.stderr
        published = {p: p.read_bytes() for p in (data_dir / "curated").rglob("*") if p.is_file()}

        with catalog.open("a", encoding="utf-8") as more:
            more.write(f"langsam,Stadt B,Spät,Weitere Informationen,{web.url('/langsam')}\n")
        env = dict(os.environ)
        env.pop("PREFECT_API_URL", None)
        linkpflege = str(Path(sys.executable).with_name("linkpflege"))
        command = [linkpflege, "run", *common, "--now", NIGHT2, "--task-runner", "dask"]
        command += ["--workers", "2"]
        run = subprocess.Popen(
            command,
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group, as a terminal gives it
        )
        try:
            deadline = time.monotonic() + 120
            while web.count("/langsam") == 0 and time.monotonic() < deadline:
                assert run.poll() is None, run.communicate()
                time.sleep(0.2)
            group = os.getpgid(run.pid)
            members = [pid for pid in _group_members(group) if pid != run.pid]
            assert members  # Prefect's server and the Dask workers at least
            os.killpg(group, signal.SIGINT)
            _, stderr = run.communicate(timeout=30)
        finally:
            if run.poll() is None:
                os.killpg(run.pid, signal.SIGKILL)
                run.communicate()
    assert run.returncode == 130, stderr
    assert "linkpflege: run interrupted; the dataset is as it was before the run" in stderr
    after = {p: p.read_bytes() for p in (data_dir / "curated").rglob("*") if p.is_file()}
    assert after == published
    assert orphans_after(members) == [], f"left behind: {members}"


def _group_members(group: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == group:
            members.append(int(stat.parent.name))
    return members
