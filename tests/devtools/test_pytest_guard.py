"""`make test` loads devtools.pytest_guard: a run where no test passed must fail."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def run_pytest(directory: Path) -> subprocess.CompletedProcess[str]:
    # A directory outside the repository: none of its pytest configuration applies.
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "devtools.pytest_guard", "-p", "no:cacheprovider"],
        cwd=directory,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_run_where_every_test_is_skipped_fails(tmp_path: Path) -> None:
    (tmp_path / "test_skipped.py").write_text(
        "import pytest\n\n@pytest.mark.skip\ndef test_skipped():\n    pass\n"
    )

    result = run_pytest(tmp_path)

    assert result.returncode == pytest.ExitCode.NO_TESTS_COLLECTED
    assert "no test passed" in result.stdout


def test_run_with_no_test_fails(tmp_path: Path) -> None:
    result = run_pytest(tmp_path)

    assert result.returncode == pytest.ExitCode.NO_TESTS_COLLECTED


def test_run_where_a_test_passes_succeeds(tmp_path: Path) -> None:
    (tmp_path / "test_ok.py").write_text("def test_ok():\n    pass\n")

    result = run_pytest(tmp_path)

    assert result.returncode == pytest.ExitCode.OK
