"""The editors' desk as a Starlette application: the newest report with a form on each row,
behind a sign-in.

Every route but the sign-in page needs a session (`PUBLIC_ROUTES` lists the exceptions, and a
test fails when a new route is neither public nor protected). Every request that changes
something carries the session's CSRF token and must come from our own origin; only the role
„redaktion“ may change anything. The catalogue edits themselves (new version, audit log,
concurrent-edit check) are `flows.desk.catalog_edits`; „Geprüft“ writes the same review
record as `linkpflege review`.

Single sign-on: with `desk_proxy_header` set, a request from one of `desk_trusted_proxies`
that carries the header is signed in as that name (role from the accounts file, else
„leser“); the same header from any other address is ignored. The peer address is the TCP
peer: uvicorn runs without proxy-header rewriting, so X-Forwarded-For cannot forge it.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import secrets
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from extractors.catalog.reader import CatalogError
from flows.dataset.review_log import ReviewLogError, record_review
from flows.dataset.store import DatasetError
from flows.desk.accounts import AccountsError, accounts_path, find_account, read_accounts
from flows.desk.accounts import verify_password as check_password
from flows.desk.catalog_edits import (
    EditConflict,
    EditError,
    append_review_line,
    catalog_fingerprints,
    pending_changes,
    remove_entry,
    replace_url,
)
from flows.desk.page import DeskView, pending_lines
from flows.desk.sessions import LoginThrottle, Session, SessionStore
from flows.latest_report import latest_report_input
from flows.report.html_report import content_security_policy, render_html_view, render_page
from flows.report.view import build_view
from flows.run_settings import Settings

SESSION_COOKIE = "linkpflege_sitzung"
LOGIN_COOKIE = "linkpflege_anmeldung"  # CSRF token of the sign-in form (before a session)
PUBLIC_ROUTES = frozenset({"/anmelden"})
FORM_MAX_CHARS = 4000  # a field longer than this is refused, not stored
FORM_MAX_BYTES = 64 * 1024  # one field as sent (percent-encoded); the parser stops beyond it
NOTE_MAX_CHARS = 500

Handler = Callable[[Request], Awaitable[Response]]


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class _Desk:
    settings: Settings
    sessions: SessionStore
    throttle: LoginThrottle
    now: Callable[[], dt.datetime]
    proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
    # One password check at a time: each failure is counted before the next attempt is let
    # through, so parallel guesses cannot outrun the throttle (nor run many argon2 hashes,
    # 64 MiB each, at once).
    sign_in_gate: asyncio.Semaphore

    @property
    def accounts_file(self) -> Path:
        return accounts_path(self.settings.data_dir)

    # --- who is asking ---------------------------------------------------------------------

    def from_proxy(self, request: Request) -> bool:
        if request.client is None:
            return False
        try:
            peer = ipaddress.ip_address(request.client.host)
        except ValueError:
            return False
        return any(peer in network for network in self.proxies)

    def proxy_user(self, request: Request) -> str | None:
        header = self.settings.desk_proxy_header
        if not header or not self.from_proxy(request):
            return None
        name = request.headers.get(header, "").strip()
        # Too long is no name at all: cut short, it could become someone else's.
        return name if 0 < len(name) <= 64 else None

    def secure(self, request: Request) -> bool:
        """Cookies are Secure when the browser talks TLS: to us, or to our trusted proxy."""
        if request.url.scheme == "https":
            return True
        forwarded = request.headers.get("x-forwarded-proto", "").lower()
        return self.from_proxy(request) and forwarded == "https"

    def session(self, request: Request) -> tuple[Session | None, bool]:
        """(the request's session, whether it is new and its cookie must be set)."""
        token = request.cookies.get(SESSION_COOKIE)
        session = self.sessions.get(token)
        proxy_name = self.proxy_user(request)
        accounts = read_accounts(self.accounts_file)
        if proxy_name is not None:
            # The role is looked up on every request, as for a password session: a changed
            # or removed account takes effect at once.
            account = find_account(accounts, proxy_name)
            role = account.role if account is not None else "leser"
            if session is not None:
                if session.via_proxy and (session.user, session.role) == (proxy_name, role):
                    return session, False
                self.sessions.end(session.token)
            return self.sessions.start(proxy_name, role, via_proxy=True), True
        if session is None:
            return None, False
        if session.via_proxy:  # the header is gone or came from elsewhere
            self.sessions.end(session.token)
            return None, False
        account = find_account(accounts, session.user)
        if account is None or account.password_hash is None:  # removed since sign-in
            self.sessions.end(session.token)
            return None, False
        if account.role != session.role:
            self.sessions.end(session.token)
            return self.sessions.start(account.name, account.role), True
        return session, False

    def check_origin(self, request: Request) -> None:
        """A state-changing request must come from a page of ours (CSRF defence in depth)."""
        if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            raise _Refused(403, "Anfrage von einer fremden Seite abgelehnt.")
        origin = request.headers.get("origin")
        if origin and origin != "null":
            host = request.headers.get("host", "")
            if origin.split("://", 1)[-1] != host:
                raise _Refused(403, "Anfrage von einer fremden Seite abgelehnt.")


def _same_token(sent: str, expected: str) -> bool:
    """Constant-time comparison; as bytes, because `compare_digest` raises on non-ASCII str."""
    return bool(expected) and secrets.compare_digest(
        sent.encode("utf-8", "surrogatepass"), expected.encode("utf-8", "surrogatepass")
    )


async def _form(request: Request) -> dict[str, str]:
    try:
        form = await request.form(max_files=0, max_fields=20, max_part_size=FORM_MAX_BYTES)
    except HTTPException as error:  # too many fields, a field too long, a file
        raise _Refused(400, "Eingabe zu lang.") from error
    values: dict[str, str] = {}
    for key, value in form.items():
        if not isinstance(value, str) or len(value) > FORM_MAX_CHARS:
            raise _Refused(400, "Eingabe zu lang.")
        values[key] = value
    return values


def _set_session_cookie(response: Response, desk: _Desk, request: Request, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",  # strict would drop the session when an editor follows the mail link
        secure=desk.secure(request),
        path="/",
    )


def _refusal(error: _Refused) -> Response:
    page = render_page("desk-message.html.j2", desk=None, heading="Abgelehnt", text=error.message)
    return HTMLResponse(page, status_code=error.status)


def _protected(
    desk: _Desk, handler: Callable[[Request, Session], Awaitable[Response]], *, changes: bool
) -> Handler:
    """A route for signed-in users; `changes`: it also needs the CSRF token and role
    „redaktion“ (sign-out needs the token only)."""

    async def endpoint(request: Request) -> Response:
        try:
            session, fresh = await run_in_threadpool(desk.session, request)
            if session is None:
                if request.method == "GET":
                    return RedirectResponse("/anmelden", status_code=303)
                raise _Refused(403, "Nicht angemeldet. Bitte neu anmelden.")
            if request.method == "POST":
                desk.check_origin(request)
                form = await _form(request)
                if not _same_token(form.get("csrf", ""), session.csrf):
                    raise _Refused(403, "Formular abgelaufen. Bitte die Seite neu laden.")
                if changes and session.role != "redaktion":
                    raise _Refused(403, "Mit Lesezugriff lässt sich nichts ändern.")
                request.state.form = form
            response = await handler(request, session)
        except _Refused as error:
            return _refusal(error)
        except AccountsError as error:
            return _refusal(_Refused(500, str(error)))
        if fresh:
            _set_session_cookie(response, desk, request, session.token)
        return response

    return endpoint


# --- pages -------------------------------------------------------------------------------


def _desk_view(
    desk: _Desk, session: Session, titles: dict[str, str], run_started: dt.datetime | None
) -> DeskView:
    settings = desk.settings
    notice = desk.sessions.take_notice(session.token)
    kind, _, text = notice.partition(":")
    try:
        fingerprints = catalog_fingerprints(
            settings.catalog.read_bytes(), source=str(settings.catalog)
        )
        changes = tuple(pending_changes(settings.catalog, run_started))
    except (OSError, EditError, CatalogError) as exc:
        # Without a readable catalogue the page still shows the report, but offers no edits.
        fingerprints, changes = {}, ()
        kind, text = "problem", f"Katalog nicht lesbar: {exc}"
    pending, by_entry = pending_lines(changes, titles)
    return DeskView(
        user=session.user,
        role=session.role,
        csrf=session.csrf,
        via_proxy=session.via_proxy,
        notice=text,
        notice_kind=kind or "ok",
        fingerprints=fingerprints,
        pending=pending,
        pending_by_entry=by_entry,
    )


def _render_desk(desk: _Desk, session: Session) -> Response:
    try:
        report = latest_report_input(desk.settings)
    except (DatasetError, OSError) as exc:
        raise _Refused(500, f"Der Datenbestand ist nicht lesbar: {exc}") from exc
    if report is None:
        page = render_page(
            "desk-message.html.j2",
            desk=None,
            heading="Noch kein Bericht",
            text="Der erste nächtliche Lauf steht noch aus.",
        )
        return HTMLResponse(page)
    titles = {entry.entry_id: entry.title for entry in report.entries}
    # The night read the catalogue when it started: an edit after its first check is pending.
    checks = [link.checked_at for link in report.links if link.checked_at is not None]
    view = _desk_view(desk, session, titles, min(checks) if checks else None)
    return HTMLResponse(render_html_view(build_view(report), desk=view))


def _login_page(desk: _Desk, request: Request, message: str = "", status: int = 200) -> Response:
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(32)
    page = render_page("desk-login.html.j2", desk=None, csrf=token, message=message)
    response = HTMLResponse(page, status_code=status)
    response.set_cookie(
        LOGIN_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=desk.secure(request),
        path="/anmelden",
    )
    return response


def _back(desk: _Desk, session: Session, notice: str, kind: str = "ok") -> Response:
    desk.sessions.set_notice(session.token, f"{kind}:{notice}")
    return RedirectResponse("/", status_code=303)


def build_routes(desk: _Desk) -> list[Route]:
    async def show_login(request: Request) -> Response:
        session, _ = await run_in_threadpool(desk.session, request)
        if session is not None:
            return RedirectResponse("/", status_code=303)
        note = "Sie sind abgemeldet." if "abgemeldet" in request.query_params else ""
        return _login_page(desk, request, note)

    async def sign_in(request: Request) -> Response:
        try:
            desk.check_origin(request)
            form = await _form(request)
        except _Refused as error:
            return _refusal(error)
        if not _same_token(form.get("csrf", ""), request.cookies.get(LOGIN_COOKIE, "")):
            text = "Formular abgelaufen. Bitte noch einmal anmelden."
            return _login_page(desk, request, text, 403)
        name, password = form.get("name", "").strip(), form.get("password", "")
        address = request.client.host if request.client else "-"
        async with desk.sign_in_gate:
            wait = desk.throttle.wait_seconds(name, address)
            if wait > 0:
                text = f"Zu viele Fehlversuche. Bitte in {int(wait) + 1} Sekunden erneut versuchen."
                return _login_page(desk, request, text, 429)
            try:
                accounts = await run_in_threadpool(read_accounts, desk.accounts_file)
            except AccountsError as error:
                return _refusal(_Refused(500, str(error)))
            account = await run_in_threadpool(check_password, accounts, name, password)
            if account is None:
                desk.throttle.failed(name, address)
                return _login_page(desk, request, "Name oder Passwort ist falsch.", 401)
        desk.throttle.succeeded(name)
        # A fresh token on every sign-in; whatever session this browser had before ends.
        desk.sessions.end(request.cookies.get(SESSION_COOKIE))
        session = desk.sessions.start(account.name, account.role)
        response = RedirectResponse("/", status_code=303)
        _set_session_cookie(response, desk, request, session.token)
        response.delete_cookie(LOGIN_COOKIE, path="/anmelden")
        return response

    async def sign_out(request: Request, session: Session) -> Response:
        desk.sessions.end(session.token)
        response = RedirectResponse("/anmelden?abgemeldet", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    async def show_desk(request: Request, session: Session) -> Response:
        return await run_in_threadpool(_render_desk, desk, session)

    async def download(request: Request, session: Session) -> Response:
        name = request.url.path.rsplit("/", 1)[-1]
        path = desk.settings.curated_dir / "report" / name
        try:
            body = await run_in_threadpool(path.read_bytes)
        except OSError:
            return PlainTextResponse("Noch kein Bericht.", status_code=404)
        media = (
            "text/csv; charset=utf-8" if name.endswith(".csv") else "text/markdown; charset=utf-8"
        )
        disposition = f'attachment; filename="{name}"'
        return Response(body, media_type=media, headers={"content-disposition": disposition})

    def entry_action(
        work: Callable[[Session, str, dict[str, str]], str],
    ) -> Callable[[Request, Session], Awaitable[Response]]:
        async def run(request: Request, session: Session) -> Response:
            entry_id = request.path_params["entry_id"]
            try:
                done = await run_in_threadpool(work, session, entry_id, request.state.form)
            except EditConflict as conflict:
                return _back(desk, session, str(conflict), "problem")
            except (EditError, ReviewLogError, CatalogError) as error:
                return _back(desk, session, str(error), "problem")
            return _back(desk, session, done)

        return run

    def review(session: Session, entry_id: str, form: dict[str, str]) -> str:
        note = " ".join(form.get("note", "").split())[:NOTE_MAX_CHARS]
        day = desk.settings.run_date()
        record_review(desk.settings.catalog, desk.settings.reviews_file, entry_id, day, note)
        append_review_line(
            desk.settings.catalog, entry_id, editor=session.user, note=note, now=desk.now()
        )
        return f"Gespeichert: „{entry_id}“ als geprüft vermerkt."

    def change_address(session: Session, entry_id: str, form: dict[str, str]) -> str:
        new_url = form.get("new_url", "").strip() or form.get("proposal", "").strip()
        if not new_url:
            raise EditError("Bitte eine neue Adresse eintragen oder einen Vorschlag wählen.")
        change = replace_url(
            desk.settings.catalog,
            entry_id,
            form.get("old_url", ""),
            new_url,
            seen=form.get("seen", ""),
            editor=session.user,
            reason=" ".join(form.get("reason", "").split())[:NOTE_MAX_CHARS],
            now=desk.now(),
            link_label=form.get("link_label") or None,
        )
        return (
            f"Gespeichert: neue Adresse für „{entry_id}“ ({change.new_url}); "
            "der nächste Lauf prüft sie."
        )

    def remove(session: Session, entry_id: str, form: dict[str, str]) -> str:
        remove_entry(
            desk.settings.catalog,
            entry_id,
            seen=form.get("seen", ""),
            editor=session.user,
            reason=" ".join(form.get("reason", "").split())[:NOTE_MAX_CHARS],
            now=desk.now(),
        )
        return f"Gespeichert: „{entry_id}“ aus dem Katalog entfernt."

    def guard(
        handler: Callable[[Request, Session], Awaitable[Response]], changes: bool = True
    ) -> Handler:
        return _protected(desk, handler, changes=changes)

    return [
        Route("/anmelden", show_login, methods=["GET"]),
        Route("/anmelden", sign_in, methods=["POST"]),
        Route("/abmelden", guard(sign_out, changes=False), methods=["POST"]),
        Route("/", guard(show_desk, changes=False), methods=["GET"]),
        Route("/report.csv", guard(download, changes=False), methods=["GET"]),
        Route("/report.md", guard(download, changes=False), methods=["GET"]),
        Route("/eintrag/{entry_id:path}/geprueft", guard(entry_action(review)), methods=["POST"]),
        Route(
            "/eintrag/{entry_id:path}/adresse",
            guard(entry_action(change_address)),
            methods=["POST"],
        ),
        Route("/eintrag/{entry_id:path}/entfernen", guard(entry_action(remove)), methods=["POST"]),
    ]


class _SecurityHeaders:
    """The headers every answer carries: the report's policy (forms to ourselves only), no
    framing, no sniffing, no referrer, nothing cached (pages carry CSRF tokens)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.headers = [
            (
                b"content-security-policy",
                (
                    content_security_policy(form_action="'self'") + "; frame-ancestors 'none'"
                ).encode(),
            ),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
            (b"cache-control", b"no-store"),
        ]

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *self.headers]
            await send(message)

        await self.app(scope, receive, with_headers)


def desk_app(
    settings: Settings,
    *,
    clock: Callable[[], float] = time.monotonic,
    now: Callable[[], dt.datetime] | None = None,
) -> Starlette:
    """The desk's ASGI application. `clock` drives session expiry and login throttling,
    `now` the time written into the audit log (tests pass their own)."""
    desk = _Desk(
        settings=settings,
        sessions=SessionStore(idle_seconds=settings.desk_session_minutes * 60, clock=clock),
        throttle=LoginThrottle(clock=clock),
        now=now or (lambda: dt.datetime.now(dt.UTC)),
        proxies=tuple(ipaddress.ip_network(n) for n in settings.desk_trusted_proxies),
        sign_in_gate=asyncio.Semaphore(1),
    )
    app = Starlette(routes=build_routes(desk), middleware=[Middleware(_SecurityHeaders)])
    app.state.desk = desk
    return app
