"""vendorguard's library: the resource model, sources, engine, results and reports."""

__version__ = "0.1.0"
