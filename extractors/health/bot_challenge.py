"""Recognise bot-protection answers: a challenge or captcha instead of the page.

Pure: status, headers and body bytes in, a short German reason out (or None). A
challenge says nothing about whether the page exists, so the link is `blocked`
(cannot be verified), never `not_found` or `server_error`; and it does not pass
by asking again, so the fetcher does not retry it.

Where markers count:
- the `cf-mitigated: challenge` header: on any status (Cloudflare's own signal);
- Cloudflare interstitials and captcha/WAF markers in the body: on 403, 429 and
  503, the statuses challenge pages are served with;
- on 2xx only Cloudflare's challenge platform with its `server: cloudflare`
  header: an ordinary page with a reCAPTCHA in its contact form is a real page.
"""

from __future__ import annotations

CHALLENGE_STATUSES = frozenset({403, 429, 503})
_SCAN_BYTES = 64 * 1024

# (marker in the lower-cased body, what editors are told)
_CLOUDFLARE_MARKERS: tuple[tuple[str, str], ...] = (
    ("just a moment", "„Just a moment…“"),
    ("checking your browser", "„Checking your browser“"),
    ("attention required", "„Attention Required!“"),
    ("cf-browser-verification", "Browserprüfung"),
    ("challenge-platform", "Challenge"),
    ("cf_chl_opt", "Challenge"),
    ("cf-turnstile", "Turnstile"),
)
_CAPTCHA_MARKERS: tuple[tuple[str, str], ...] = (
    ("g-recaptcha", "reCAPTCHA"),
    ("www.google.com/recaptcha", "reCAPTCHA"),
    ("h-captcha", "hCaptcha"),
    ("hcaptcha.com", "hCaptcha"),
    ("cf-turnstile", "Cloudflare Turnstile"),
    ("captcha-delivery.com", "DataDome"),
    ("px-captcha", "PerimeterX"),
    ("_incapsula_resource", "Imperva Incapsula"),
    ("incapsula incident", "Imperva Incapsula"),
    ("sucuri website firewall", "Sucuri"),
    ("ddos-guard", "DDoS-Guard"),
    ("ddos protection by", "DDoS-Schutz"),
    ("kein roboter", "Captcha „kein Roboter“"),
    ("bitte bestätigen sie, dass sie ein mensch sind", "Captcha „Mensch“"),
    ("verify you are human", "Captcha „verify you are human“"),
    ("are you a robot", "Captcha „are you a robot“"),
    ("not a robot", "Captcha „not a robot“"),
)


def _header(headers: tuple[tuple[str, str], ...], name: str) -> str:
    return next((v for k, v in headers if k.lower() == name), "").strip().lower()


def challenge_reason(
    status: int | None, headers: tuple[tuple[str, str], ...], body: bytes
) -> str | None:
    """ "Bot-Schutz (Cloudflare: „Just a moment…“)" and the like, or None for an ordinary answer."""
    if status is None:
        return None
    if _header(headers, "cf-mitigated") == "challenge":
        return "Bot-Schutz (Cloudflare-Challenge)"
    cloudflare = "cloudflare" in _header(headers, "server") or bool(_header(headers, "cf-ray"))
    # Most answers need no look at the body: decode it only when a marker could count.
    if 200 <= status < 300 and not cloudflare:
        return None
    if not 200 <= status < 300 and status not in CHALLENGE_STATUSES:
        return None
    text = body[:_SCAN_BYTES].decode("utf-8", errors="replace").lower()
    if 200 <= status < 300:
        if "challenge-platform" in text or "cf_chl_opt" in text:
            return "Bot-Schutz (Cloudflare-Challenge)"
        return None
    if cloudflare:
        for marker, label in _CLOUDFLARE_MARKERS:
            if marker in text:
                return f"Bot-Schutz (Cloudflare: {label})"
    for marker, label in _CAPTCHA_MARKERS:
        if marker in text:
            return f"Bot-Schutz ({label})"
    if status == 403 and "akamaighost" in _header(headers, "server"):
        return "Bot-Schutz (Akamai)"
    return None
