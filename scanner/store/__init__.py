"""The store: every scan kept in a database (SQLite or PostgreSQL), findings with a life cycle,
vendors as first-class.

Light on purpose: `location` (what `--store` names) is read before every scan, so this package
imports nothing; `db.Store` (SQLAlchemy) is imported only when a store is opened.

- `location`: the store's URL from `--store` / $VENDORGUARD_STORE, shown without its password;
- `tables`, `migrate`, `migrations/`: the schema and its Alembic revisions;
- `db`: `Store`, the connection and its transactions;
- `record`: writing a scan and its findings' life cycle; `queries`: history, diff, trend, portfolio;
- `runs`: distributed scans under way and their units' answers, so that one can be resumed by its id.
"""
