"""Makes the shared fixtures of tests/fixtures_llama.py available here.

``pytest_plugins`` is not allowed in a nested conftest, so the plugin is imported from a
hook instead; once tests/conftest.py registers it, this is a no-op (and can go).
"""

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.import_plugin("fixtures_llama")
