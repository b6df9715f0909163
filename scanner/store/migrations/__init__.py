"""Alembic migrations of the store (run by `vendorguard.scanner.store.migrate`, never by hand)."""
