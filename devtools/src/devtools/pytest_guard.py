"""pytest plugin (`pytest -p devtools.pytest_guard`, as `make test` runs it): a run in which no
test passed fails, even when pytest would exit 0 because everything was skipped or deselected."""

from __future__ import annotations

import pytest

_passed = 0


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    global _passed
    if report.when == "call" and report.passed and not hasattr(report, "wasxfail"):
        _passed += 1


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if exitstatus == pytest.ExitCode.OK and _passed == 0:
        session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                "pytest_guard: no test passed (all skipped, deselected or none collected)",
                red=True,
                bold=True,
            )
