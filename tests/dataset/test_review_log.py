"""reviews.csv: editors record reviews; the newest per entry counts; bad rows are reported."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from flows.cli import main
from flows.dataset.review_log import ReviewLogError, append_review, read_reviews


def test_append_and_read_newest_per_entry(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    append_review(path, "monheim", dt.date(2026, 11, 20), "Text geprüft,\n alles gut")
    append_review(path, "monheim", dt.date(2026, 11, 25), "")
    append_review(path, "leipzig", dt.date(2026, 11, 1), "alt, aber gültig")
    log = read_reviews(path)
    assert log.latest == {"monheim": dt.date(2026, 11, 25), "leipzig": dt.date(2026, 11, 1)}
    assert path.read_text(encoding="utf-8").splitlines()[0] == "entry_id,reviewed_on,note"
    assert '"Text geprüft, alles gut"' in path.read_text(encoding="utf-8")


def test_bad_rows_are_reported_with_line_and_skipped(tmp_path: Path):
    path = tmp_path / "reviews.csv"
    path.write_text(
        "entry_id,reviewed_on,note\nmonheim,gestern,x\n,2026-11-01,y\nleipzig,2026-11-02,z\n",
        encoding="utf-8",
    )
    log = read_reviews(path)
    assert log.latest == {"leipzig": dt.date(2026, 11, 2)}
    assert [p.split(": ", 1)[0].rsplit(", ", 1)[1] for p in log.problems] == ["line 2", "line 3"]


def test_missing_file_means_no_reviews_and_missing_column_is_an_error(tmp_path: Path):
    assert read_reviews(tmp_path / "none.csv").latest == {}
    broken = tmp_path / "reviews.csv"
    broken.write_text("entry,date\nx,2026-01-01\n", encoding="utf-8")
    with pytest.raises(ReviewLogError, match="line 1: column 'entry_id' missing"):
        read_reviews(broken)


def test_review_command_checks_the_entry_exists(tmp_path: Path, capsys: pytest.CaptureFixture[str]):
    catalog = tmp_path / "katalog.csv"
    catalog.write_text(
        "entry_id,provider,title,url\nmonheim,Stadt Monheim,Karte,https://x.example/\n",
        encoding="utf-8",
    )
    args = ["review", "--catalog", str(catalog), "--date", "2026-11-26"]
    assert main([*args, "monheim", "--note", "geprüft"]) == 0
    assert read_reviews(tmp_path / "reviews.csv").latest == {"monheim": dt.date(2026, 11, 26)}
    assert main([*args, "unbekannt"]) == 2
    assert "no entry 'unbekannt'" in capsys.readouterr().err
