"""The one root error of devicepark and its families.

Faces turn any ``DeviceparkError`` into one line on stderr (CLI, exit code 2) or one JSON error
shape (API). Input errors are also ``ValueError``s so that callers may catch either.
"""

from __future__ import annotations


class DeviceparkError(Exception):
    """Root of every error devicepark raises on purpose."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} ({self.hint})"
        return self.message


class InputError(DeviceparkError, ValueError):
    """A whole input (file, option, catalog) cannot be used; names where, when known.

    >>> str(InputError("missing required column 'line_id'", file="lines.csv", line=1, column=None))
    "lines.csv:1: missing required column 'line_id'"
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        column: str | int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.file = file
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = ""
        if self.file is not None:
            where = str(self.file)
            if self.line is not None:
                where += f":{self.line}"
            if self.column is not None:
                where += f": column {self.column}"
            where += ": "
        text = where + self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class ConfigError(DeviceparkError, ValueError):
    """A key, a campaign file or an option is wrong."""


class StoreError(DeviceparkError):
    """The store is missing, locked or inconsistent."""


class MissingDependency(DeviceparkError, ImportError):
    """An optional library is not installed; the message gives the pip line."""

    def __init__(self, package: str, extra: str | None = None) -> None:
        line = f"pip install -e '.[{extra}]'" if extra else f"pip install {package}"
        super().__init__(f"{package} is not installed; install it with: {line}")
