"""What the audit tests share: the persona endpoint, one per test module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from audits.info_personas import install
from audits.personas import PersonaServer, persona_server


@pytest.fixture(scope="module")
def endpoint() -> Iterator[PersonaServer]:
    """The persona endpoint on a loopback port, with the information suites' personas too.
    A module whose endpoint differs (the agent personas, the jailbreak's requests) defines
    its own ``endpoint``."""
    install()
    with persona_server() as server:
        yield server
