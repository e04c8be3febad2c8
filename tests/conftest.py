"""Shared test helpers."""

from __future__ import annotations

import collections
import contextlib
import json
import os
import subprocess
import sys

import jax
import pytest

from finlstm.devices import use_cpu_cores

# The tests train as the lessons do: one XLA device per CPU core, asked for before the first
# JAX computation (importing finlstm changes nothing by itself).
use_cpu_cores()


def _run_on_devices(code: str, devices: int) -> dict:
    """Run `code` in a fresh Python process whose JAX has `devices` CPU devices (JAX fixes
    its device count when it starts) and return the JSON object on its last output line."""
    env = {**os.environ, "XLA_FLAGS": f"--xla_force_host_platform_device_count={devices}"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def run_on_devices():
    """`run_on_devices(code, devices) -> dict`: see `_run_on_devices`."""
    return _run_on_devices


_COMPILED: collections.Counter = collections.Counter()


def _count_compile(event: str, duration: float, *, fun_name: str = "", **kwargs) -> None:
    if event == "/jax/core/compile/backend_compile_duration":
        _COMPILED[fun_name] += 1


jax.monitoring.register_event_duration_secs_listener(_count_compile)


@contextlib.contextmanager
def _compiles():
    """Count the programs XLA compiles inside the block, by function name."""
    before = collections.Counter(_COMPILED)
    counted: collections.Counter = collections.Counter()
    yield counted
    counted.update(_COMPILED - before)


@pytest.fixture
def compiles():
    """`with compiles() as counted:` counts XLA compilations by function name."""
    return _compiles
