"""The inconclusive-run guard: an offline machine must not report every link broken."""

from __future__ import annotations

from extractors.health.run_outcome import judge_run
from extractors.records import Health, LinkHealth


def observed(url: str, health: Health, status: int | None = None) -> tuple[str, LinkHealth]:
    return url, LinkHealth(health, status)


def test_every_host_failing_dns_is_inconclusive():
    judgement = judge_run(
        [observed(f"https://host{i}.example/", Health.DNS_ERROR) for i in range(9)]
    )
    assert judgement.inconclusive
    assert judgement.hosts_unreachable == 9
    assert "dns_error 9" in judgement.reason


def test_one_answering_host_makes_a_small_run_conclusive():
    judgement = judge_run(
        [
            observed("https://a.example/", Health.DNS_ERROR),
            observed("https://b.example/", Health.CONNECTION_ERROR),
            observed("https://c.example/", Health.NOT_FOUND, 404),
        ]
    )
    assert not judgement.inconclusive


def test_nearly_all_of_many_hosts_unreachable_is_an_outage():
    values = [observed(f"https://h{i}.example/", Health.TIMEOUT) for i in range(19)]
    values.append(observed("https://intranet.example/", Health.OK, 200))
    assert judge_run(values).inconclusive


def test_host_with_one_good_answer_counts_as_reachable():
    judgement = judge_run(
        [
            observed("https://a.example/1", Health.TIMEOUT),
            observed("https://a.example/2", Health.OK, 200),
        ]
    )
    assert not judgement.inconclusive
    assert judgement.hosts_unreachable == 0


def test_links_refused_before_leaving_the_machine_say_nothing_about_the_network():
    judgement = judge_run(
        [
            observed("ftp://x/", Health.INVALID_URL),
            observed("http://127.0.0.1/", Health.BLOCKED),
        ]
    )
    assert not judgement.inconclusive
    assert judgement.hosts_checked == 0
