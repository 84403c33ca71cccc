"""Fixtures for the simulator's own tests (see tests/sandbox_fixtures.py)."""
from tests.sandbox_fixtures import merchant, sandbox_server  # noqa: F401
