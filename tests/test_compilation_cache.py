"""The on-disk compilation cache: a second process loads the programs the first compiled."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import jax

from finlstm.devices import enable_compilation_cache

# One fit of a small model in a fresh process, reporting how many programs it wrote to the
# on-disk cache (every program it compiled) and how many it loaded from there.
FIT_ONCE = """
import json
import jax
import numpy as np
from finlstm.devices import enable_compilation_cache, use_cpu_cores

use_cpu_cores()
enable_compilation_cache()
counts = {"written": 0, "loaded": 0}
names = {
    "/jax/compilation_cache/cache_misses": "written",
    "/jax/compilation_cache/cache_hits": "loaded",
}


def count(event, **kwargs):
    if event in names:
        counts[names[event]] += 1


jax.monitoring.register_event_listener(count)
from finlstm.models import ModelConfig, StackedLSTM
from finlstm.train import TrainConfig, fit

rng = np.random.default_rng(0)
x, y = rng.standard_normal((96, 12, 1)), rng.standard_normal(96)
model = StackedLSTM(ModelConfig(hidden_sizes=(16,), dense_size=4))
fit(model, (x[:64], y[:64]), (x[64:], y[64:]), TrainConfig(epochs=2, batch_size=32, progress=False))
print(json.dumps(counts))
"""


def _fit_in_a_new_process(cache: str) -> dict:
    env = {**os.environ, "FINLSTM_JAX_CACHE": cache}
    env.pop("XLA_FLAGS", None)
    done = subprocess.run(
        [sys.executable, "-c", FIT_ONCE], capture_output=True, text=True, env=env, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_second_process_loads_the_fit_programs_instead_of_compiling_them(tmp_path):
    first = _fit_in_a_new_process(str(tmp_path))
    assert first["loaded"] == 0
    assert first["written"] >= 4  # the start, the epoch, the validation pass and its loss
    assert len(list(tmp_path.iterdir())) >= first["written"]
    second = _fit_in_a_new_process(str(tmp_path))
    assert second == {"written": 0, "loaded": first["written"]}


def test_the_cache_can_be_turned_off_and_pointed_elsewhere(tmp_path, monkeypatch):
    before = jax.config.jax_compilation_cache_dir
    try:
        monkeypatch.setenv("FINLSTM_JAX_CACHE", "off")
        assert enable_compilation_cache() is None
        assert jax.config.jax_compilation_cache_dir == before
        monkeypatch.setenv("FINLSTM_JAX_CACHE", str(tmp_path / "here"))
        assert enable_compilation_cache() == tmp_path / "here"
        assert jax.config.jax_compilation_cache_dir == str(tmp_path / "here")
    finally:
        jax.config.update("jax_compilation_cache_dir", before)
