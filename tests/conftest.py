"""Shared pytest set-up.

* hypothesis profiles: ``ci`` (automatic under CI=true; derandomized and without an example database, so a failing
  example is reported, not replayed on every later run), ``dev`` (the default), ``repeat`` (10 examples, no
  database, for runs repeated under many ``--hypothesis-seed`` values: scripts/gradient_seeds.py), ``thorough``;
  choose one with ``HYPOTHESIS_PROFILE``.
* ``POWERGEN_REQUIRE_EXTRAS=1`` (set by ``.ci/run`` in its ``[dev,docs,plot]`` environment) turns a skip caused by a
  missing optional module (``pytest.importorskip``) into a failure, so the tests that need an extra are known to run
  there; with only ``[dev]`` installed they skip with the import error as the reason.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=40, deadline=None, derandomize=True, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("repeat", max_examples=10, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") == "true" else "dev"))

REQUIRE_EXTRAS = os.environ.get("POWERGEN_REQUIRE_EXTRAS") == "1"


def _missing_module_skip(report: Any) -> bool:
    """Whether ``report`` is a skip raised by ``pytest.importorskip`` (its message starts "could not import")."""
    return bool(report.skipped) and "could not import" in str(report.longrepr)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    if REQUIRE_EXTRAS and _missing_module_skip(report):
        report.outcome = "failed"
    return report


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector: pytest.Collector) -> Generator[None, Any, Any]:
    report = yield
    if REQUIRE_EXTRAS and _missing_module_skip(report):
        report.outcome = "failed"
    return report


@pytest.fixture(scope="session")
def case_catalogue() -> list[Any]:
    """Every case of the shared catalogue (tests/case_catalogue.py), for tests that need the cases at run time."""
    from case_catalogue import all_cases

    return list(all_cases())
