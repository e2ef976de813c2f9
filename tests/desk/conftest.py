"""Fixtures the desk's tests share: cheap password hashes (production keeps argon2-cffi's
defaults) and the small desk world of `desk_world`."""

from __future__ import annotations

from pathlib import Path

import pytest
from desk.desk_world import CHEAP_HASHER, DeskWorld, build_world

from flows.desk import accounts


@pytest.fixture
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "_hasher", lambda: CHEAP_HASHER)


@pytest.fixture
def world(tmp_path: Path) -> DeskWorld:
    return build_world(tmp_path)
