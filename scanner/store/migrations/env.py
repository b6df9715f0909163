"""Alembic's environment: always online, on the connection the store hands over (no ini file)."""
from __future__ import annotations

from alembic import context

from vendorguard.scanner.store.tables import metadata

context.configure(connection=context.config.attributes["connection"], target_metadata=metadata,
                  render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
