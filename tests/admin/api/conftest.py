"""The served API with its two organisations (world.py), one per test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sealgate.bootstrap import Runtime
from tests.admin.api.world import ApiWorld, build_world, served


@pytest.fixture
def world(runtime: Runtime) -> Iterator[ApiWorld]:
    with served(runtime) as base:
        yield build_world(runtime, base)
