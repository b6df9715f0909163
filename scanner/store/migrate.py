"""Bring a store's schema to the current revision with Alembic, on the caller's connection.

Alembic is imported only when the store is behind `HEAD`: opening an up-to-date store reads one
row.  On PostgreSQL an advisory lock makes two first opens migrate one after the other (SQLite's
``BEGIN IMMEDIATE`` already does).
"""
from __future__ import annotations

from importlib import resources

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

#: The newest revision under migrations/versions (a test holds it equal to Alembic's own head).
HEAD = "0002"
_LOCK = 0x76656E64  # "vend": the advisory lock key of vendorguard's migrations


def current(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK})
    if current(conn) == HEAD:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("vendorguard.scanner.store") / "migrations"))
    config.attributes["connection"] = conn
    from alembic.util import CommandError

    try:
        command.upgrade(config, "head")
    except CommandError as exc:  # e.g. a revision this version does not know: a newer vendorguard's store
        raise ValueError(f"cannot migrate the store (revision {current(conn)!r}): {exc}") from None
