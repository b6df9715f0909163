"""The registry of sources: importing this package registers every one of them.

A new source is one module here and one name in the import line below; the CLI's ``scan``
commands, the schemas' source names and the report labels follow `Source.registry`.
"""
from __future__ import annotations

from ..errors import InputError
from ..source import DocumentSource, Source
from . import aws, hcl, pulumi, tfplan, tfstate  # noqa: F401 - each module registers its source


def get(name: str) -> Source:
    """The source registered under `name` (a `scan` command names one by its `command`)."""
    try:
        return Source.registry[name]
    except KeyError:
        raise InputError(name, f"no such source (known: {', '.join(Source.registry)})") from None


def names() -> list[str]:
    """Every source's name, in registration order (the `source` values results carry)."""
    return list(Source.registry)


def document_sources() -> list[DocumentSource]:
    """The sources that read JSON files, each a ``vendorguard scan <command> FILE...``."""
    return [s for s in Source.registry.values() if isinstance(s, DocumentSource)]
