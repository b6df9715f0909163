"""Every collector module in this package; importing it registers them all (`Collector.registry`)."""
import importlib
import pkgutil

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
