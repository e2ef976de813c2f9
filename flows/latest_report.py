"""The report of the newest night, built again from the dataset: what `linkpflege report`
writes and what the desk shows on every page load (so the desk never shows an older night
than the files on disk)."""

from __future__ import annotations

import dataclasses

from flows.dataset.schema import LINKS_SCHEMA
from flows.dataset.store import read_entries, read_links_table, read_suggestions
from flows.dataset.table_records import verdicts_by_entry
from flows.harvest_flow import report_input
from flows.last_night import previous_entries, previous_night
from flows.morning_message import delivery_failure
from flows.report.view import ReportInput
from flows.run_settings import Settings


def latest_report_input(settings: Settings) -> ReportInput | None:
    """None when there is no dataset yet; DatasetError when it cannot be read."""
    entries = read_entries(settings.curated_dir)
    if not entries:
        return None
    links = read_links_table(settings.curated_dir)
    if links is None:
        links = LINKS_SCHEMA.empty_table()
    night = entries[0].run_date
    before = verdicts_by_entry(
        previous_entries(settings.curated_dir, previous_night(settings.curated_dir, night))
    )
    suggestions = read_suggestions(settings.curated_dir)
    report = report_input(settings, night, entries, links, before, suggestions)
    failure = delivery_failure(settings.curated_dir)
    return dataclasses.replace(report, delivery_failure=failure) if failure else report
