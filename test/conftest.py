"""Shared by the cross-package tests: the benchmark modules whose small versions run here."""

import importlib.util
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / 'benchmarks'


def load_benchmark(name: str):
    """Import ``benchmarks/<name>.py`` (not a package) once per session."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f'{name}.py')
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='session')
def bench_fuzz():
    return load_benchmark('bench_fuzz')


@pytest.fixture(scope='session')
def bench_soak():
    return load_benchmark('bench_soak')
