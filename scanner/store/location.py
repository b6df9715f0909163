"""Where the store is: `--store` (or $VENDORGUARD_STORE) as a database URL, without SQLAlchemy.

A bare path is an SQLite file; ``sqlite:///…`` and ``postgresql://…`` are URLs.  This module is
imported by the CLI before any scan, so it must stay light: the database layer is imported only
once a store is actually opened.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import InputError

ENV = "VENDORGUARD_STORE"
_SCHEMES = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg",
            "postgresql+psycopg": "postgresql+psycopg"}
_PASSWORD = re.compile(r"^([a-z+]+://[^:/@]*):[^@]*@")


def chosen(value: str | None) -> str | None:
    """The store a command should use: the option, else the environment, else none."""
    return value or os.environ.get(ENV) or None


def url_of(value: str, create: bool = True) -> str:
    """A SQLAlchemy URL for `value`; an unsupported scheme or a missing directory is an input error
    (the store never creates directories: a typo in the path would silently start a new store).
    Without `create` (the commands that only read it), a missing SQLite file is one too."""
    if "://" not in value or value.startswith("sqlite:///"):
        path = Path(value.removeprefix("sqlite:///")).expanduser()
        if not path.parent.is_dir():
            raise InputError(value, f"no such directory for the store: {path.parent}")
        if not create and not path.exists():
            raise InputError(value, "no such store: a scan with --store makes it")
        if "://" not in value:
            return f"sqlite:///{path.resolve()}"
    scheme, rest = value.split("://", 1)
    driver = _SCHEMES.get(scheme.lower())
    if driver is None:
        raise InputError(display(value), "unsupported store URL: use a file path, sqlite:///PATH or postgresql://…")
    return f"{driver}://{rest}"


def display(url: str) -> str:
    """The URL as reports and messages may show it: never its password."""
    return _PASSWORD.sub(r"\1:***@", url)
