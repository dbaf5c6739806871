"""One exception hierarchy, and the exit codes it maps to.

Every failure a user can cause or meet is a `BenchgateError`; the CLI turns it into
one line on stderr and its `exit_code`. Anything else is a bug: one line, the traceback in
a log file (`benchgate.crash`), and exit code 4.
"""

from __future__ import annotations

from dataclasses import dataclass

EXIT_OK = 0
EXIT_GATE_FAILED = 1
EXIT_USAGE = 2
EXIT_INFRA = 3
EXIT_INTERNAL = 4
"""An unexpected exception: a bug in benchgate, never a verdict about the change."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file, located well enough to fix it."""

    path: str
    line: int | None
    field: str | None
    message: str

    def order(self) -> tuple[str, int, str]:
        """Sort key: file, then line, then field."""
        return (self.path, self.line or 0, self.field or "")

    def __str__(self) -> str:
        where = self.path if self.line is None else f"{self.path}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class BenchgateError(Exception):
    """Root of every error benchgate explains to the user instead of crashing."""

    exit_code = EXIT_USAGE


class UsageError(BenchgateError):
    """The command line asks for something that does not exist or does not fit."""


class InputError(BenchgateError):
    """One or more problems in params.yaml, a dataset or a results file."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems, key=Problem.order)
        first = str(self.problems[0])
        more = len(self.problems) - 1
        suffix = f" (+{more} more; `benchgate validate` lists them all)" if more else ""
        super().__init__(first + suffix)


class InfraError(BenchgateError):
    """Something outside the project failed: git, the LLM endpoint, the GitHub API."""

    exit_code = EXIT_INFRA


class GitError(InfraError):
    """A git command failed or the repository lacks what we need."""


class LLMError(InfraError):
    """The LLM endpoint refused or kept failing; the message names endpoint and model, never a key."""


class GitHubError(InfraError):
    """The GitHub API failed after retries."""


class GitHubDenied(GitHubError):
    """The token may not do this (fork PR, read-only token, missing permission): worth a warning only."""
