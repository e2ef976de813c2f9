"""Settings layers: flags beat LINKPFLEGE_* environment, then linkpflege.toml, then defaults."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from flows.run_settings import BUNDLED_CATALOG, SettingsError, load_settings, parse_now


def test_defaults_point_at_the_bundled_catalogue(tmp_path: Path):
    settings = load_settings({}, environ={}, config_path=tmp_path / "none.toml")
    assert settings.catalog == BUNDLED_CATALOG
    assert BUNDLED_CATALOG.is_file()
    assert settings.stale_after_days == 730
    assert settings.per_host == 2
    assert settings.allow_private_addresses is False
    assert "http" in settings.user_agent  # an honest UA carries a contact URL


def test_layers_in_order(tmp_path: Path):
    config = tmp_path / "linkpflege.toml"
    config.write_text("[linkpflege]\ntimeout = 11\nper-host = 3\nstale_after_days = 100\n")
    environ = {"LINKPFLEGE_TIMEOUT": "12", "LINKPFLEGE_PER_HOST": "4"}
    settings = load_settings({"timeout": 13.0}, environ=environ, config_path=config)
    assert settings.timeout == 13.0  # flag
    assert settings.per_host == 4  # environment
    assert settings.stale_after_days == 100  # file


def test_bad_values_name_their_origin(tmp_path: Path):
    with pytest.raises(SettingsError, match="LINKPFLEGE_PER_HOST"):
        load_settings({}, environ={"LINKPFLEGE_PER_HOST": "zwei"}, config_path=tmp_path / "x")
    config = tmp_path / "linkpflege.toml"
    config.write_text("[linkpflege]\nspeed = 3\n")
    with pytest.raises(SettingsError, match="unknown setting 'speed'"):
        load_settings({}, environ={}, config_path=config)


def test_now_date_means_that_day_in_berlin():
    moment = parse_now("2026-11-26")
    assert moment.tzinfo is not None
    settings = load_settings({"now": "2026-11-26"}, environ={}, config_path=Path("/nonexistent"))
    assert settings.run_date() == dt.date(2026, 11, 26)
    late = load_settings(
        {"now": "2026-11-26T23:30:00+01:00"}, environ={}, config_path=Path("/nonexistent")
    )
    assert late.run_date() == dt.date(2026, 11, 26)
    with pytest.raises(SettingsError):
        parse_now("gestern")


def test_dask_and_desk_settings_are_checked() -> None:
    from flows.run_settings import SettingsError, load_settings

    settings = load_settings(
        {"task_runner": "DASK", "dask_address": "tcp://scheduler:8786", "workers": "4"},
        environ={"LINKPFLEGE_DESK_TRUSTED_PROXIES": "10.0.0.5, 10.1.0.0/16"},
    )
    assert (settings.task_runner, settings.dask_address, settings.workers) == (
        "dask",
        "tcp://scheduler:8786",
        4,
    )
    assert settings.desk_trusted_proxies == ("10.0.0.5/32", "10.1.0.0/16")
    for bad in (
        {"task_runner": "ray"},
        {"dask_address": "http://scheduler:8786"},
        {"workers": "0"},
        {"desk_port": "70000"},
        {"desk_proxy_header": "X-User: admin"},
        {"desk_url": "javascript:alert(1)"},
        {"desk_trusted_proxies": "nirgendwo"},
    ):
        with pytest.raises(SettingsError):
            load_settings(bad, environ={})
