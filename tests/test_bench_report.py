"""The benchmark report names the code its figures were made with."""

import subprocess

import pytest

from journeys.bench.report import code_revision


def git(root, *args):
    command = ["git", "-c", "user.name=Bench", "-c", "user.email=bench@example.com", *args]
    return subprocess.run(command, cwd=root, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def checkout(tmp_path):
    """A git checkout with one commit; returns its path and the commit's short name."""
    git(tmp_path, "init", "-q")
    (tmp_path / "page.py").write_text("ROWS = 50\n")
    git(tmp_path, "add", "page.py")
    git(tmp_path, "commit", "-q", "-m", "first")
    return tmp_path, git(tmp_path, "rev-parse", "--short=7", "HEAD").strip()


def test_the_report_names_the_commit_it_measured(checkout):
    root, commit = checkout

    assert code_revision(root) == commit


def test_the_report_says_when_the_code_measured_was_not_committed(checkout):
    root, commit = checkout
    (root / "page.py").write_text("ROWS = 25\n")

    assert code_revision(root) == f"{commit}, with uncommitted changes"


def test_the_report_says_it_cannot_tell_outside_a_git_checkout(tmp_path):
    assert code_revision(tmp_path).startswith("unknown")
