"""Console fixtures: Hospital and Clinic with admins of each role, and one Hospital message,
with the whole web app served on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sealgate.bootstrap import Runtime
from tests.admin.console.console import World, build_world, served
from tests.conftest import Sender


@pytest.fixture
def world(runtime: Runtime, sender: Sender) -> World:
    return build_world(runtime, sender)


@pytest.fixture
def base_url(runtime: Runtime, world: World) -> Iterator[str]:
    with served(runtime) as url:
        yield url
