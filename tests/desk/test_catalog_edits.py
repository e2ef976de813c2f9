"""Changing the catalogue from the desk: only the edit changes, a second editor's stale form
is refused, every edit leaves a version and an audit line, and nothing half-written remains."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import stat
import threading
from pathlib import Path

import pytest

from extractors.catalog.reader import parse_catalog
from extractors.catalog.writer import catalog_csv
from extractors.records import CatalogEntry
from flows.desk.catalog_edits import (
    AUDIT_COLUMNS,
    CatalogChange,
    EditConflict,
    EditError,
    catalog_fingerprints,
    entry_fingerprint,
    pending_changes,
    read_changes,
    remove_entry,
    replace_url,
)

NOW = dt.datetime(2026, 12, 6, 8, 14, 3, 250_000, tzinfo=dt.UTC)  # 09:14 in Berlin
OLD = "https://www.monheim.de/alt"
NEW = "https://www.monheim.de/neu"

ENTRIES = (
    CatalogEntry(
        0,
        "monheim-karte",
        "Stadt Monheim am Rhein",
        "Gesundheitskarte",
        description="Die Karte, kurz erklärt",
        link_label="Weitere Informationen",
        url="https://www.monheim.de/karte",
        provider_type="Stadt",
        max_age_days=365,
        notes="Hinweis, mit Komma",
    ),
    CatalogEntry(0, "monheim-karte", "Stadt Monheim am Rhein", "Gesundheitskarte", "", "PDF", OLD),
    CatalogEntry(0, "monheim-karte", "Stadt Monheim am Rhein", "Gesundheitskarte", "", "Flyer"),
    CatalogEntry(0, "kreis-dueren", "Kreis Düren", "Wir helfen", url="http://www.kreis-dueren.de/"),
)


def write(tmp_path: Path, content: str | bytes, name: str = "katalog.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def seen(path: Path, entry_id: str) -> str:
    return entry_fingerprint(path.read_bytes(), entry_id)


def replace(path: Path, entry_id: str, old: str, new: str, **options: object) -> CatalogChange:
    options = {
        "seen": seen(path, entry_id),
        "editor": "anna",
        "reason": "Seite umgezogen",
        "now": NOW,
        **options,
    }
    return replace_url(path, entry_id, old, new, **options)  # type: ignore[arg-type]


def urls(data: bytes) -> list[tuple[str, str, str]]:
    return [(e.entry_id, e.link_label, e.url) for e in parse_catalog(data).entries]


def changed_lines(before: bytes, after: bytes) -> list[tuple[bytes, bytes]]:
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(old) == len(new)
    return [(a, b) for a, b in zip(old, new, strict=True) if a != b]


def test_replacing_one_link_changes_only_that_row(tmp_path: Path) -> None:
    path = write(tmp_path, catalog_csv(ENTRIES))
    before = path.read_bytes()

    change = replace(path, "monheim-karte", OLD, NEW)

    after = path.read_bytes()
    assert changed_lines(before, after) == [
        (
            b"monheim-karte,Stadt Monheim am Rhein,,Gesundheitskarte,,PDF,"
            + OLD.encode()
            + b",,\n",
            b"monheim-karte,Stadt Monheim am Rhein,,Gesundheitskarte,,PDF,"
            + NEW.encode()
            + b",,\n",
        )
    ]
    assert urls(after) == [
        ("monheim-karte", "Weitere Informationen", "https://www.monheim.de/karte"),
        ("monheim-karte", "PDF", NEW),
        ("monheim-karte", "Flyer", ""),
        ("kreis-dueren", "", "http://www.kreis-dueren.de/"),
    ]
    assert len(parse_catalog(after).problems) == len(parse_catalog(before).problems) == 0
    assert change == CatalogChange(
        when=NOW,
        editor="anna",
        entry_id="monheim-karte",
        action="adresse",
        old_url=OLD,
        new_url=NEW,
        reason="Seite umgezogen",
        version_file="katalog-20261206T081403250000Z.csv",
    )


def test_the_previous_version_is_saved_unchanged_and_the_audit_line_says_what_happened(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, catalog_csv(ENTRIES))
    before = path.read_bytes()

    change = replace(path, "monheim-karte", OLD, NEW, reason="  Seite\n umgezogen,\tsiehe  Mail ")

    version = tmp_path / "katalog-versions" / change.version_file
    assert version.read_bytes() == before
    log = (tmp_path / "katalog-changes.csv").read_text(encoding="utf-8")
    assert log == (
        "when,editor,entry_id,action,old_url,new_url,reason,version_file\n"
        f"2026-12-06T08:14:03.250000+00:00,anna,monheim-karte,adresse,{OLD},{NEW},"
        '"Seite umgezogen, siehe Mail",katalog-20261206T081403250000Z.csv\n'
    )
    assert read_changes(path) == [change]
    assert not list(tmp_path.glob(".katalog.csv.*"))  # no temporary file left behind


def test_a_stale_form_is_refused_and_names_who_changed_the_entry(tmp_path: Path) -> None:
    path = write(tmp_path, catalog_csv(ENTRIES))
    seen_by_bob = seen(path, "monheim-karte")
    replace(path, "monheim-karte", OLD, NEW, seen=seen_by_bob)
    after_anna = path.read_bytes()

    with pytest.raises(EditConflict) as conflict:
        replace(
            path,
            "monheim-karte",
            "",
            "https://www.monheim.de/flyer",
            seen=seen_by_bob,
            editor="bob",
            link_label="Flyer",
            now=NOW + dt.timedelta(minutes=5),
        )

    assert conflict.value.message == (
        "Dieser Eintrag wurde inzwischen geändert (von anna am 06.12.2026, 09:14 Uhr). "
        "Bitte die Seite neu laden und noch einmal prüfen."
    )
    assert (conflict.value.editor, conflict.value.when) == ("anna", NOW)
    assert path.read_bytes() == after_anna
    assert len(read_changes(path)) == 1
    assert len(list((tmp_path / "katalog-versions").iterdir())) == 1


def test_a_change_made_in_the_file_itself_is_not_blamed_on_the_last_desk_editor(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, catalog_csv(ENTRIES))
    replace(path, "monheim-karte", OLD, NEW)
    stale = seen(path, "monheim-karte")
    path.write_bytes(path.read_bytes().replace(b"Flyer", b"Faltblatt"))  # by hand

    with pytest.raises(EditConflict) as conflict:
        replace(path, "monheim-karte", NEW, OLD, seen=stale, editor="bob")

    assert conflict.value.message == (
        "Dieser Eintrag wurde inzwischen in der Katalogdatei geändert. "
        "Bitte die Seite neu laden und noch einmal prüfen."
    )
    assert conflict.value.editor is None


def test_another_entry_changed_meanwhile_is_no_conflict(tmp_path: Path) -> None:
    path = write(tmp_path, catalog_csv(ENTRIES))
    seen_dueren = seen(path, "kreis-dueren")
    replace(path, "monheim-karte", OLD, NEW)

    replace(
        path,
        "kreis-dueren",
        "http://www.kreis-dueren.de/",
        "https://www.kreis-dueren.de/",
        seen=seen_dueren,
        now=NOW + dt.timedelta(seconds=1),
    )

    assert [c.entry_id for c in read_changes(path)] == ["monheim-karte", "kreis-dueren"]


def test_removing_an_entry_drops_its_rows_and_keeps_the_rest_byte_for_byte(tmp_path: Path) -> None:
    path = write(tmp_path, catalog_csv(ENTRIES))
    before = path.read_bytes()
    stale = seen(path, "monheim-karte")

    change = remove_entry(
        path, "monheim-karte", seen=stale, editor="anna", reason="Angebot eingestellt", now=NOW
    )

    lines = before.decode().splitlines(keepends=True)
    assert path.read_bytes().decode() == lines[0] + lines[4]
    assert (change.action, change.old_url, change.new_url) == ("entfernt", "", "")
    assert (tmp_path / "katalog-versions" / change.version_file).read_bytes() == before
    with pytest.raises(EditConflict, match=r"inzwischen entfernt \(von anna am 06\.12\.2026"):
        replace(path, "monheim-karte", OLD, NEW, seen=stale)


def test_an_unknown_entry_or_link_is_an_error_naming_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, catalog_csv(ENTRIES))
    before = path.read_bytes()

    with pytest.raises(EditError, match=r"katalog\.csv: Eintrag „nirgends“ steht nicht"):
        replace(path, "nirgends", OLD, NEW)
    with pytest.raises(EditError, match=r"katalog\.csv: Eintrag „nirgends“ steht nicht"):
        remove_entry(path, "nirgends", seen=seen(path, "nirgends"), editor="a", reason="", now=NOW)
    with pytest.raises(
        EditError, match=re.escape("keinen Link mit der Adresse https://anders.example/")
    ):
        replace(path, "monheim-karte", "https://anders.example/", NEW)
    with pytest.raises(EditError, match="schon eingetragen"):
        replace(path, "monheim-karte", OLD, "https://www.monheim.de/karte")

    assert path.read_bytes() == before
    assert not (tmp_path / "katalog-changes.csv").exists()
    assert not (tmp_path / "katalog-versions").exists()


def test_an_unusable_catalogue_is_an_error_naming_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "entry_id,title,url\ne,Titel," + OLD + "\n")  # no provider column

    with pytest.raises(EditError, match=r"katalog\.csv, line 1: required column 'provider'"):
        replace(path, "e", OLD, NEW)

    assert not (tmp_path / "katalog-versions").exists()


@pytest.mark.parametrize(
    ("new_url", "message"),
    [
        ("javascript:alert(1)", "muss mit http:// oder https:// beginnen"),
        ("ftp://ftp.monheim.de/karte.pdf", "muss mit http:// oder https:// beginnen"),
        ("/karte/neu", "muss mit http:// oder https:// beginnen"),
        ("www.monheim.de/neu", "muss mit http:// oder https:// beginnen"),
        ("https://www.monheim.de/neue karte", "keine Leerzeichen oder Steuerzeichen"),
        ("https://www.monheim.de/\u200bneu", "keine Leerzeichen oder Steuerzeichen"),
        ("https://www.monheim.de/\x00", "keine Leerzeichen oder Steuerzeichen"),
        ("https://" + "a" * 2000 + ".de/", "zu lang"),
        ("https:///pfad", "keine gültige Webadresse"),
        ("   ", "Bitte eine neue Adresse angeben"),
    ],
)
def test_a_bad_new_address_is_refused_in_german(tmp_path: Path, new_url: str, message: str) -> None:
    path = write(tmp_path, catalog_csv(ENTRIES))
    before = path.read_bytes()

    with pytest.raises(EditError, match=re.escape(message)):
        replace(path, "monheim-karte", OLD, new_url)

    assert path.read_bytes() == before


def test_a_pasted_address_loses_its_surrounding_whitespace(tmp_path: Path) -> None:
    path = write(tmp_path, catalog_csv(ENTRIES))

    assert replace(path, "monheim-karte", OLD, f" {NEW}\n").new_url == NEW
    assert ("monheim-karte", "PDF", NEW) in urls(path.read_bytes())


def test_a_first_address_goes_to_the_link_the_label_names(tmp_path: Path) -> None:
    text = "entry_id,provider,title,link_label,url\ne,Stadt,Titel,Antrag,\ne,,,Flyer,\ne,,,Flyer,\n"
    path = write(tmp_path, text)

    with pytest.raises(EditError, match="mehrere Links ohne Adresse"):
        replace(path, "e", "", NEW)
    with pytest.raises(EditError, match="keinen Link ohne Adresse und der Bezeichnung „Video“"):
        replace(path, "e", "", NEW, link_label="Video")
    replace(path, "e", "", NEW, link_label="Flyer")

    assert urls(path.read_bytes()) == [("e", "Antrag", ""), ("e", "Flyer", NEW), ("e", "Flyer", "")]


def test_an_address_with_the_delimiter_in_it_is_quoted(tmp_path: Path) -> None:
    path = write(tmp_path, catalog_csv(ENTRIES))

    replace(path, "monheim-karte", OLD, "https://www.monheim.de/a,b;c")

    assert b',"https://www.monheim.de/a,b;c",' in path.read_bytes()
    assert ("monheim-karte", "PDF", "https://www.monheim.de/a,b;c") in urls(path.read_bytes())


def test_bom_semicolons_crlf_and_full_quoting_are_kept(tmp_path: Path) -> None:
    text = (
        '"entry_id";"provider";"title";"link_label";"url"\r\n'
        '"e";"Stadt Köln";"Titel; mit Semikolon";"PDF";"https://www.stadt-koeln.de/alt"\r\n'
        "f;Kreis;Titel;;https://www.kreis.de/\r\n"
    )
    path = write(tmp_path, b"\xef\xbb\xbf" + text.encode("utf-8"))
    before = path.read_bytes()

    replace(path, "e", "https://www.stadt-koeln.de/alt", "https://www.stadt-koeln.de/neu")

    after = path.read_bytes()
    assert after.startswith(b"\xef\xbb\xbf")
    assert changed_lines(before, after) == [
        (
            '"e";"Stadt Köln";"Titel; mit Semikolon";"PDF";"https://www.stadt-koeln.de/alt"\r\n'.encode(),
            '"e";"Stadt Köln";"Titel; mit Semikolon";"PDF";"https://www.stadt-koeln.de/neu"\r\n'.encode(),
        )
    ]
    assert after.count(b"\r\n") == 3 and after.count(b"\n") == 3


def test_a_windows_1252_catalogue_stays_windows_1252(tmp_path: Path) -> None:
    text = "entry_id,provider,title,url\ne,Stadt Düren,Bürgerbüro,https://www.dueren.de/alt\n"
    path = write(tmp_path, text.encode("cp1252"))

    replace(path, "e", "https://www.dueren.de/alt", "https://www.düren.de/neu")

    assert path.read_bytes() == text.replace("dueren.de/alt", "düren.de/neu").encode("cp1252")


def test_malformed_rows_keep_their_text_and_the_problems_stay_the_same(tmp_path: Path) -> None:
    text = (
        "entry_id,provider,title,link_label,url\n"
        ",Stadt,ohne ID,,https://ohne-id.example/\n"
        '"e",Stadt,Titel,"Antrag",' + OLD + "\n"
        "\n"
        'kaputt,Stadt,"Titel "mit" Anführung,,\n'
        "lang,Stadt,Titel,x,https://lang.example/,zu,viele\n"
        "e,Stadt,Titel,Kurz\n"
        '"mehr",Stadt,"Zeile eins\r\nZeile zwei",,http://mehr.example/\n'
        "e,Stadt,Titel,Doppelt," + OLD
    )
    path = write(tmp_path, text)
    before = path.read_bytes()
    problems = len(parse_catalog(before).problems)
    assert problems == 4  # no id, stray quote, too many fields, duplicate

    replace(path, "e", OLD, NEW)
    replace(path, "e", "", "https://kurz.example/", now=NOW + dt.timedelta(seconds=1))

    expected = text.replace(OLD, NEW).replace(
        "e,Stadt,Titel,Kurz\n", "e,Stadt,Titel,Kurz,https://kurz.example/\n"
    )
    assert path.read_bytes().decode() == expected
    assert len(parse_catalog(path.read_bytes()).problems) == problems


def test_formula_starts_are_neutralised_in_the_audit_log(tmp_path: Path) -> None:
    path = write(tmp_path, catalog_csv(ENTRIES))

    change = replace(path, "monheim-karte", OLD, NEW, editor="@anna", reason='=HYPERLINK("x")')
    replace(
        path,
        "kreis-dueren",
        "http://www.kreis-dueren.de/",
        NEW,
        editor="+bob",
        reason="-1",
        now=NOW + dt.timedelta(seconds=1),
    )

    rows = list(csv.reader(io.StringIO((tmp_path / "katalog-changes.csv").read_text("utf-8"))))
    assert tuple(rows[0]) == AUDIT_COLUMNS
    assert [(row[1], row[6]) for row in rows[1:]] == [
        ("'@anna", '\'=HYPERLINK("x")'),
        ("'+bob", "'-1"),
    ]
    assert [(c.editor, c.reason) for c in read_changes(path)] == [
        ("@anna", '=HYPERLINK("x")'),
        ("+bob", "-1"),
    ]
    assert read_changes(path)[0] == change


def test_two_editors_at_once_one_wins_and_one_is_told(tmp_path: Path) -> None:
    path = write(tmp_path, catalog_csv(ENTRIES))
    stale = seen(path, "monheim-karte")
    start = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def edit(editor: str, new_url: str) -> None:
        start.wait()
        try:
            outcomes[editor] = replace(
                path, "monheim-karte", OLD, new_url, seen=stale, editor=editor
            )
        except (EditConflict, EditError) as exc:
            outcomes[editor] = exc

    threads = [
        threading.Thread(target=edit, args=(name, f"https://www.monheim.de/{name}"))
        for name in ("anna", "bob")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    winners = [o for o in outcomes.values() if isinstance(o, CatalogChange)]
    losers = [o for o in outcomes.values() if isinstance(o, EditConflict)]
    assert len(winners) == 1 and len(losers) == 1
    assert f"von {winners[0].editor} am" in losers[0].message
    assert read_changes(path) == winners
    assert ("monheim-karte", "PDF", winners[0].new_url) in urls(path.read_bytes())


def test_pending_changes_are_those_after_the_last_run_started(tmp_path: Path) -> None:
    path = write(tmp_path, catalog_csv(ENTRIES))
    times = [NOW, NOW + dt.timedelta(hours=1), NOW + dt.timedelta(hours=2)]
    replace(path, "monheim-karte", OLD, NEW, now=times[0])
    replace(path, "monheim-karte", NEW, OLD, now=times[1])
    replace(path, "kreis-dueren", "http://www.kreis-dueren.de/", NEW, now=times[2])
    with (tmp_path / "katalog-changes.csv").open("a", encoding="utf-8") as log:
        log.write("kein Datum,anna,e,adresse,,,,\n2026-12-06T08:00:00,anna,e,adresse,,,,\n")
        log.write("2026-12-06T08:00:00+00:00,anna,e,umbenannt,,,,\nzu,wenig\n")

    assert [c.when for c in read_changes(path)] == times
    assert [c.when for c in pending_changes(path, None)] == times
    berlin_run_start = (times[1] - dt.timedelta(seconds=1)).astimezone(
        dt.timezone(dt.timedelta(hours=1))
    )
    assert [c.when for c in pending_changes(path, berlin_run_start)] == times[1:]
    assert [c.when for c in pending_changes(path, times[1])] == times[2:]
    assert pending_changes(path, times[2]) == []


def test_version_files_are_never_overwritten(tmp_path: Path) -> None:
    path = write(tmp_path, catalog_csv(ENTRIES))
    first_bytes = path.read_bytes()
    first = replace(path, "monheim-karte", OLD, NEW)
    second = replace(path, "monheim-karte", NEW, OLD)  # the same `now`

    assert first.version_file != second.version_file
    versions = tmp_path / "katalog-versions"
    assert (versions / first.version_file).read_bytes() == first_bytes
    assert (versions / second.version_file).read_bytes() != first_bytes


def test_the_file_keeps_its_permission_bits(tmp_path: Path) -> None:
    path = write(tmp_path, catalog_csv(ENTRIES))
    path.chmod(0o640)

    replace(path, "monheim-karte", OLD, NEW)

    assert stat.S_IMODE(path.stat().st_mode) == 0o640


def test_a_catalogue_in_a_place_that_cannot_be_written_is_an_error_naming_the_file(
    tmp_path: Path,
) -> None:
    # A parent that is a file fails for root too, unlike permission bits.
    not_a_directory = write(tmp_path, "kein Verzeichnis", name="ablage")
    with pytest.raises(EditError, match=re.escape(str(not_a_directory / "katalog.csv"))):
        replace_url(
            not_a_directory / "katalog.csv", "e", OLD, NEW, seen="x", editor="a", reason="", now=NOW
        )


def test_when_the_version_cannot_be_saved_nothing_is_changed(tmp_path: Path) -> None:
    path = write(tmp_path, catalog_csv(ENTRIES))
    before = path.read_bytes()
    write(tmp_path, "", name="katalog-versions")  # a file where the directory belongs

    with pytest.raises(EditError, match=re.escape(str(tmp_path / "katalog-versions"))):
        replace(path, "monheim-karte", OLD, NEW)

    assert path.read_bytes() == before
    assert read_changes(path) == []


def test_when_the_audit_log_cannot_be_written_nothing_is_changed(tmp_path: Path) -> None:
    path = write(tmp_path, catalog_csv(ENTRIES))
    before = path.read_bytes()
    (tmp_path / "katalog-changes.csv").mkdir()

    with pytest.raises(EditError, match=re.escape(str(tmp_path / "katalog-changes.csv"))):
        replace(path, "monheim-karte", OLD, NEW)

    assert path.read_bytes() == before


def test_fingerprints_follow_the_entry_rows_and_nothing_else(tmp_path: Path) -> None:
    data = catalog_csv(ENTRIES).encode()
    prints = catalog_fingerprints(data)

    assert set(prints) == {"monheim-karte", "kreis-dueren"}
    assert all(prints[e] == entry_fingerprint(data, e) for e in prints)
    assert all(re.fullmatch(r"[0-9a-f]{16}", p) for p in prints.values())
    other = data.replace(b"Wir helfen", b"Wir helfen gern")
    assert entry_fingerprint(other, "monheim-karte") == prints["monheim-karte"]
    assert entry_fingerprint(other, "kreis-dueren") != prints["kreis-dueren"]
    crlf = data.replace(b"\n", b"\r\n")  # the same values, so the same fingerprint
    assert catalog_fingerprints(crlf) == prints
