"""make test's two lanes: both run, both are shown, and a failing lane fails the whole."""

from __future__ import annotations

import sys

import pytest

from devtools import testlanes


def _fake_pytest(fail_when: str) -> list[str]:
    script = (
        "import sys; print('ran', ' '.join(sys.argv[1:]));"
        f" sys.exit(3 if {fail_when!r} in sys.argv[1:] else 0)"
    )
    return [sys.executable, "-c", script]


@pytest.fixture
def lanes(monkeypatch, tmp_path):  # noqa: ANN001, ANN201
    monkeypatch.setattr(testlanes, "LOG_DIR", tmp_path)
    return monkeypatch


def test_every_lane_runs_and_is_shown(lanes, capsys) -> None:  # noqa: ANN001
    lanes.setattr(testlanes, "PYTEST", _fake_pytest("nothing"))
    assert testlanes.main([]) == 0
    out = capsys.readouterr().out
    assert "ran tests/e2e --durations" in out and "ran --ignore=tests/e2e --durations" in out
    assert "lane e2e: passed" in out and "lane rest: passed" in out


def test_one_failing_lane_fails_make_test(lanes, capsys) -> None:  # noqa: ANN001
    lanes.setattr(testlanes, "PYTEST", _fake_pytest("--ignore=tests/e2e"))
    assert testlanes.main([]) == 3
    assert "lane rest: FAILED (exit 3)" in capsys.readouterr().out


def test_arguments_run_one_pytest_with_them(lanes, capsys) -> None:  # noqa: ANN001
    lanes.setattr(testlanes, "PYTEST", _fake_pytest("kit/tests"))
    assert testlanes.main(["kit/tests"]) == 3
