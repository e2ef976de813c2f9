"""Is tonight's run evidence about the links, or about our own network?

When the failures say the problem is on our side (no DNS, no route, every host failing),
the run is inconclusive: no link is degraded and the previous dataset stays as it was.
Lychee and LinkChecker report every link broken on an offline machine; editors would stop
trusting a report after one such morning.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from extractors.records import NETWORK_HEALTH, Health, LinkHealth
from extractors.urls.host import host_of

# With many hosts, a handful that still answer (an intranet proxy, a local mirror) must
# not hide an outage of everything else.
MANY_HOSTS = 5
OUTAGE_SHARE = 0.9


@dataclass(frozen=True, slots=True)
class RunJudgement:
    inconclusive: bool
    reason: str | None
    hosts_checked: int
    hosts_unreachable: int


def judge_run(observations: Iterable[tuple[str, LinkHealth]]) -> RunJudgement:
    """`observations` are (url, health) of every link that was actually requested."""
    per_host: dict[str, list[Health]] = defaultdict(list)
    for url, health in observations:
        if health.health in (Health.INVALID_URL, Health.BLOCKED) and health.http_status is None:
            continue  # never left this machine: says nothing about the network
        per_host[host_of(url) or url].append(health.health)

    unreachable = [
        host for host, values in per_host.items() if all(v in NETWORK_HEALTH for v in values)
    ]
    checked = len(per_host)
    if checked == 0:
        return RunJudgement(False, None, 0, 0)

    share = len(unreachable) / checked
    if share == 1.0 or (checked >= MANY_HOSTS and share >= OUTAGE_SHARE):
        kinds = Counter(v.value for h in unreachable for v in per_host[h])
        detail = ", ".join(f"{kind} {count}" for kind, count in kinds.most_common())
        reason = (
            f"{len(unreachable)} of {checked} hosts unreachable ({detail}): "
            "the network or DNS on this machine is probably down"
        )
        return RunJudgement(True, reason, checked, len(unreachable))
    return RunJudgement(False, None, checked, len(unreachable))
