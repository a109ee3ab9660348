"""One module per attack family. Each defines `generate(corpus, world)`,
which writes its files into the corpus directory and registers one case
per attack with `corpus.add`. forge.py runs every module found here, in
name order; adding a family is adding a file."""
import importlib
import pkgutil


def families():
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        yield info.name, importlib.import_module(f"{__name__}.{info.name}")
