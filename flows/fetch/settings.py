"""What a fetch is told: the engine's knobs and last night's validators of a URL.

`FetchSettings` and `Validators` are plain values, so they pickle into worker processes.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_USER_AGENT = (
    "Linkpflege/0.1 (+https://github.com/linkpflege/linkpflege; "
    "link checker for curated catalogues)"
)


# Last night's validators of a URL: (ETag, Last-Modified), either may be None.
Validators = tuple[str | None, str | None]


@dataclass(frozen=True, slots=True)
class FetchSettings:
    """Knobs of the HTTP engine; plain values only, so settings pickle and hash.

    TLS: `verify_tls=False` turns verification off; `ca_bundle` (a PEM file)
    replaces the default trust store, which is how tests trust a local CA.
    `trust_env` lets httpx read proxy variables and SSL_CERT_FILE.
    robots.txt: `respect_robots` (off = `--ignore-robots`), `crawl_delay_cap`
    (longest Crawl-delay honoured), `robots_timeout` (its deadline, further
    limited to a fifth of `timeout`). `soft_404_probe` asks each host with a 2xx
    deep link once for a made-up path (see `extractors.health.soft_404`).
    """

    concurrency: int = 64
    per_host: int = 2
    per_host_interval: float = 0.5
    timeout: float = 30.0
    max_bytes: int = 5_000_000
    max_redirects: int = 10
    retries: int = 2
    backoff_base: float = 0.5
    retry_after_cap: float = 30.0
    max_backoff: float = 10.0
    user_agent: str = DEFAULT_USER_AGENT
    allow_private_addresses: bool = False
    # Intranet hosts a catalogue may name although they resolve to private addresses.
    private_hosts_allowed: tuple[str, ...] = ()
    verify_tls: bool = True
    ca_bundle: str | None = None
    trust_env: bool = True
    respect_robots: bool = True
    crawl_delay_cap: float = 10.0
    robots_timeout: float = 5.0
    soft_404_probe: bool = True

    def __post_init__(self) -> None:
        problems = [
            name
            for name, bad in (
                ("concurrency", self.concurrency < 1),
                ("per_host", self.per_host < 1),
                ("per_host_interval", self.per_host_interval < 0),
                ("timeout", self.timeout <= 0),
                ("max_bytes", self.max_bytes < 0),
                ("max_redirects", self.max_redirects < 0),
                ("retries", self.retries < 0),
                ("backoff_base", self.backoff_base < 0),
                ("retry_after_cap", self.retry_after_cap < 0),
                ("max_backoff", self.max_backoff < 0),
                ("crawl_delay_cap", self.crawl_delay_cap < 0),
                ("robots_timeout", self.robots_timeout <= 0),
            )
            if bad
        ]
        if problems:
            raise ValueError(f"invalid fetch settings: {', '.join(problems)}")

    @property
    def host_width(self) -> int:
        """The most requests one host can have in flight: its limit, within the global one."""
        return min(self.per_host, self.concurrency)
