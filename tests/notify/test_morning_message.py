"""The morning message end to end: real harvests against a local web, mail to a local SMTP
server (aiosmtpd on 127.0.0.1), the `notify --test` command. No internet, no clock."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from local_run import local_run_settings
from local_web import LocalWeb, Reply, closed_port

from flows.cli import main
from flows.harvest_flow import RunInconclusive, harvest

NIGHT1, NIGHT2 = "2026-11-25", "2026-11-26"  # Wednesday, Thursday
OK_PAGE = "<title>Seite</title><p>Aktueller Inhalt, Stand: 20.11.2026</p>"
HOSTILE = "Sprachkurse <script>alert(1)</script>"


class Collect:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return "250 OK"


@pytest.fixture
def smtp():
    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=closed_port())
    controller.start()
    try:
        yield handler, mail_url(controller.port)
    finally:
        controller.stop()


def mail_url(port: int) -> str:
    return f"mailto://127.0.0.1:{port}?from=linkpflege@example.org&to=redaktion@example.org"


@pytest.fixture
def web():
    with LocalWeb() as local:
        local.route("/a", Reply.html(OK_PAGE))
        local.route("/b", Reply.html(OK_PAGE))
        yield local


def catalog(tmp_path: Path, web: LocalWeb) -> Path:
    path = tmp_path / "catalog.csv"
    path.write_text(
        "entry_id,provider,title,link_label,url\n"
        f"a,Stadt A,Willkommen,Weitere Informationen,{web.url('/a')}\n"
        f"b,Stadt B,{HOSTILE},Weitere Informationen,{web.url('/b')}\n",
        encoding="utf-8",
    )
    return path


def night(tmp_path: Path, web: LocalWeb, now: str, url: str, **overrides: object):
    settings = local_run_settings(
        catalog(tmp_path, web),
        tmp_path / "data",
        now,
        notify=url,
        confirm_after_nights=1,
        **overrides,
    )
    return harvest(settings)


def parts(message: Message) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_payload(decode=True).decode("utf-8")
        for part in message.walk()
        if not part.is_multipart()
    }


def test_worse_night_sends_one_multipart_mail_with_counts_new_entry_and_link(tmp_path, web, smtp):
    handler, url = smtp
    first = night(tmp_path, web, NIGHT1, url, report_url="https://intranet.example/linkpflege/")
    assert first.message == "nothing worse, not sent" and handler.messages == []
    web.route("/b", Reply.html("<h1>Nicht gefunden</h1>", status=404))
    second = night(tmp_path, web, NIGHT2, url, report_url="https://intranet.example/linkpflege/")
    assert second.message == "sent to 1 of 1"
    assert "  message:  sent to 1 of 1" in second.lines()
    [mail] = handler.messages
    assert "26.11.2026" in str(mail["Subject"]) and "1 defekt" in str(mail["Subject"])
    assert mail.get_content_type() == "multipart/alternative"
    body = parts(mail)
    text, page = body["text/plain"], body["text/html"]
    for shown in (text, page):
        assert "Defekt 1" in shown and "In Ordnung 1" in shown
        assert "Neu seit gestern" in shown and "Behoben seit gestern" in shown
        assert "https://intranet.example/linkpflege/" in shown
    assert "Sprachkurse" in text and "Am dringendsten" in text
    # The hostile title is escaped in the HTML part.
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    state = json.loads((tmp_path / "data/curated/notify-state.json").read_text())
    assert state["ok"] is True and state["pending"] is None


def test_nothing_worse_no_mail_but_always_mode_sends(tmp_path, web, smtp):
    handler, url = smtp
    night(tmp_path, web, NIGHT1, url)
    assert night(tmp_path, web, NIGHT2, url).message == "nothing worse, not sent"
    assert handler.messages == []
    summary = night(tmp_path, web, "2026-11-27", url, notify_when="always")
    assert summary.message == "sent to 1 of 1" and len(handler.messages) == 1
    # Without report_url the message says where the report file is.
    assert (
        str(tmp_path / "data/curated/report/index.html") in parts(handler.messages[0])["text/plain"]
    )


def test_weekly_only_on_the_configured_weekday(tmp_path, web, smtp):
    handler, url = smtp
    assert dt.date.fromisoformat(NIGHT2).weekday() == 3  # Thursday
    weekly = {"notify_when": "weekly", "notify_weekday": "Donnerstag"}
    assert night(tmp_path, web, NIGHT1, url, **weekly).message.startswith("not the weekly day")
    assert handler.messages == []
    assert night(tmp_path, web, NIGHT2, url, **weekly).message == "sent to 1 of 1"
    assert len(handler.messages) == 1


def test_inconclusive_run_sends_one_not_conclusive_message(tmp_path, smtp):
    handler, url = smtp
    offline = tmp_path / "offline.csv"
    offline.write_text(
        "entry_id,provider,title,link_label,url\n"
        + "".join(
            f"e{i},Stadt {i},Titel,Weitere Informationen,https://www.stadt-{i}.invalid/seite\n"
            for i in range(5)
        ),
        encoding="utf-8",
    )
    settings = local_run_settings(offline, tmp_path / "data", NIGHT2, notify=url)
    with pytest.raises(RunInconclusive, match="message: sent to 1 of 1"):
        harvest(settings)
    [mail] = handler.messages
    assert "Lauf nicht aussagekräftig" in str(mail["Subject"])
    assert "nicht aussagekräftig" in parts(mail)["text/plain"]


def test_failed_delivery_keeps_the_run_and_the_next_message_carries_it(
    tmp_path, web, smtp, prefect_harness
):
    from flows.harvest_flow import nightly_harvest

    handler, url = smtp
    dead = mail_url(closed_port())
    options = {
        "catalog": str(catalog(tmp_path, web)),
        "data_dir": str(tmp_path / "data"),
        "now": NIGHT1,
        "allow_private_addresses": True,
        "per_host_interval": 0,
        "progress": False,
        "notify": dead,
        "notify_when": "always",
    }
    state = nightly_harvest(options=options, return_state=True)
    assert state.is_completed(), state.message  # the exit status stays 0
    summary = state.result()
    assert summary.message.startswith("failed, sent to 0 of 1")
    saved = json.loads((tmp_path / "data/curated/notify-state.json").read_text())
    assert saved["ok"] is False and saved["error"].startswith("failed")
    assert saved["pending"]["night"] == NIGHT1
    # The report was written before the message: it is written again with the failure.
    report = tmp_path / "data/curated/report"
    failure = "Die Morgennachricht zum Lauf vom 25.11.2026 konnte nicht zugestellt werden"
    assert failure in (report / "index.html").read_text(encoding="utf-8")
    assert failure in (report / "report.md").read_text(encoding="utf-8")
    # `linkpflege report` (and the desk, which builds its page the same way) shows it too.
    assert main(["report", "--data-dir", str(tmp_path / "data")]) == 0
    assert failure in (report / "index.html").read_text(encoding="utf-8")

    assert night(tmp_path, web, NIGHT2, url).message == "sent to 1 of 1"  # worse mode: retry
    [mail] = handler.messages
    text = parts(mail)["text/plain"]
    assert "Die Nachricht vom 25.11.2026 konnte nicht zugestellt werden" in text
    saved = json.loads((tmp_path / "data/curated/notify-state.json").read_text())
    assert saved["ok"] is True and saved["pending"] is None
    assert failure not in (report / "index.html").read_text(encoding="utf-8")


def test_the_message_links_the_desk_when_it_has_an_address(tmp_path, web, smtp):
    handler, url = smtp
    desk = "https://redaktion.example/linkpflege/"
    overrides = {"notify_when": "always", "desk_url": desk, "report_url": "https://x.example/r"}
    night(tmp_path, web, NIGHT1, url, **overrides)
    [mail] = handler.messages
    body = parts(mail)
    assert f"Bericht: {desk}" in body["text/plain"]
    assert f'<a href="{desk}">' in body["text/html"]


def test_notify_test_command(smtp, monkeypatch, capsys):
    handler, url = smtp
    monkeypatch.setenv("LINKPFLEGE_NOTIFY", url)
    monkeypatch.setenv("LINKPFLEGE_NOW", NIGHT2)
    assert main(["notify", "--test"]) == 0
    assert capsys.readouterr().out.startswith("ok")
    assert "Testnachricht" in str(handler.messages[0]["Subject"])

    monkeypatch.setenv("LINKPFLEGE_NOTIFY", mail_url(closed_port()))
    assert main(["notify", "--test"]) == 2
    captured = capsys.readouterr()
    assert captured.out.startswith("failed")
    assert len(captured.err.strip().splitlines()) == 1
    assert captured.err.startswith("linkpflege: notify: failed")
