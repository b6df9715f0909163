"""The open store: the connection, its transactions, and the operations the CLI calls.

`Store.open(value)` connects (SQLite file or PostgreSQL), brings the schema to the current
migration, and gives the operations the CLI needs: `record` a scan in one transaction, and the
read side (`history`, `diff`, `trend`, `portfolio`, the stored documents).  The write side is
`record.py`, the read side `queries.py`; this module owns the connection.

Concurrency: SQLite serialises writers with ``BEGIN IMMEDIATE`` (a second writer waits, up to
the busy timeout, instead of failing half-way); PostgreSQL locks the vendor's row for the length
of the transaction, so two scans of one vendor record their findings one after the other and two
scans of different vendors do not wait for each other.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterator

from sqlalchemy import create_engine, event, exc as sa_exc
from sqlalchemy.engine import Connection, Engine

from ..errors import InputError
from . import migrate, queries, record, runs
from .location import display, url_of

#: How long a writer waits for another to finish (SQLite's busy timeout, seconds).
BUSY_TIMEOUT = 60


class Store:
    """An open store.  Every method runs in its own transaction."""

    def __init__(self, engine: Engine, label: str) -> None:
        self.engine = engine
        self.label = label

    @classmethod
    def open(cls, value: str, create: bool = True) -> "Store":
        """Connect and migrate; a store that cannot be opened is an input error naming it.
        Without `create`, an SQLite file must exist already (`url_of`)."""
        url = url_of(value, create)
        label = display(value)
        engine = _engine(url)
        try:
            with engine.begin() as conn:
                migrate.upgrade(conn)
        except (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DatabaseError) as exc:
            engine.dispose()
            raise InputError(label, f"cannot open the store: {_reason(exc)}") from None
        except ValueError as exc:
            engine.dispose()
            raise InputError(label, str(exc)) from None
        return cls(engine, label)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _tx(self) -> Any:
        """A writing transaction (SQLite: ``BEGIN IMMEDIATE``, the write lock taken up front)."""
        return self.engine.begin()

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """A reading transaction: a plain ``BEGIN`` on SQLite, so that a long read (the portfolio
        over every vendor) never holds up a scan being kept."""
        with self.engine.connect() as conn:
            conn.execution_options(vendorguard_read_only=True)
            with conn.begin():
                yield conn

    def record(self, document: dict[str, Any], vendor: str, run: str | None = None) -> dict[str, Any]:
        """Keep one scan; returns the document as stored (scan id, vendor, each result's
        `first_seen` and `new`).  A distributed scan's `run` is closed in the same transaction."""
        with self._tx() as conn:
            stored = record.record(conn, document, vendor)
            if run is not None:
                runs.close(conn, run, stored["scan"]["id"])
            return stored

    def begin_run(self, scan_id: str, vendor: str | None, request: dict[str, Any],
                  units: list[dict[str, Any]]) -> dict[runs.Place, dict[str, Any]]:
        with self._tx() as conn:
            return runs.begin(conn, scan_id, vendor, request, units)

    def put_answer(self, scan_id: str, account: str, region: str, answer: dict[str, Any]) -> bool:
        with self._tx() as conn:
            return runs.put(conn, scan_id, account, region, answer)

    def run(self, scan_id: str) -> dict[str, Any]:
        with self._read() as conn:
            return runs.get(conn, scan_id)

    def history(self, vendor: str | None = None) -> dict[str, Any]:
        with self._read() as conn:
            return queries.history(conn, vendor)

    def diff(self, vendor: str | None, first: int | None, second: int | None) -> dict[str, Any]:
        with self._read() as conn:
            return queries.diff(conn, vendor, first, second)

    def trend(self, vendor: str | None = None) -> dict[str, Any]:
        with self._read() as conn:
            return queries.trend(conn, vendor)

    def portfolio(self, pack: str = "hipaa") -> dict[str, Any]:
        with self._read() as conn:
            return queries.portfolio(conn, self.label, pack)

    def latest_documents(self, vendor: str | None = None) -> list[dict[str, Any]]:
        """Each vendor's latest scan document (for the OSCAL export of a whole portfolio)."""
        with self._read() as conn:
            return queries.latest_documents(conn, vendor)

    def document(self, scan_id: int) -> dict[str, Any]:
        with self._read() as conn:
            return queries.document(conn, scan_id)


def _engine(url: str) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT})

    # pysqlite's own transaction handling defers BEGIN and never takes the write lock up front;
    # SQLAlchemy's documented recipe hands BEGIN to us, so a writer locks before it reads.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")  # readers do not wait for a writer
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("vendorguard_read_only") else "BEGIN IMMEDIATE")

    return engine


def _reason(exc: sa_exc.DBAPIError) -> str:
    """The driver's own first line (no SQL, no parameters, no traceback)."""
    text = str(getattr(exc, "orig", exc) or exc).strip().splitlines()
    return text[0] if text else type(exc).__name__

