"""One answer observed: its link health and the page's facts, the body then dropped.

Pure and importable on its own (no Prefect, no network), because the run sends
answers to worker processes (`flows.shards.analysis_pool`) to be observed there.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from extractors.facts.page_facts import extract_facts
from extractors.health.link_health import classify
from extractors.records import FetchResult, PageFacts
from extractors.verdicts.link_rows import Observation


def observe(result: FetchResult, run_date: dt.date) -> Observation:
    """Classify the answer and extract the page's facts (none for failures)."""
    health = classify(result)
    facts = PageFacts()
    if result.body and result.error is None:
        facts = extract_facts(
            result.body,
            url=result.final_url or result.url,
            content_type=result.header("content-type"),
            last_modified=result.header("last-modified"),
            run_date=run_date,
        )
    # The body has served its purpose; keep the record small for the rest of the run.
    return Observation(
        fetch=dataclasses.replace(result, body=b""),
        health=health,
        facts=facts,
        bytes_read=len(result.body),
    )


UNANALYSED_DETAIL = "Seite konnte nicht ausgewertet werden (Analyse abgebrochen)"


def observe_unanalysed(answer: FetchResult, bytes_read: int) -> Observation:
    """When analysing the page failed: health from status and redirects alone, no facts.

    The body is not looked at (it may be what broke the analysis; the caller has usually
    dropped it already, hence `bytes_read`), so a soft 404 cannot be seen; the detail says
    that the page itself was not judged.
    """
    answer = dataclasses.replace(answer, body=b"")
    health = classify(answer)
    if health.detail is None:
        health = dataclasses.replace(health, detail=UNANALYSED_DETAIL)
    return Observation(fetch=answer, health=health, facts=PageFacts(), bytes_read=bytes_read)
