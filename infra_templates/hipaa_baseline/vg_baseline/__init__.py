"""The modules of the hipaa-baseline Pulumi program (run by ``__main__.py``)."""
