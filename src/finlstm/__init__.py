"""finlstm: the small, tested library behind the course's lessons."""

import os

__version__ = "0.1.0"

# Work around a deadlock in XLA's CPU runtime (jaxlib 0.10.2): with its
# concurrency-optimised scheduler, a jitted `vmap` of nested `lax.scan` training loops
# (`finlstm.train.fit_many`) hung with every thread idle in about one run out of three
# (measured: 7 hangs in 22 runs; 0 in 35 with the scheduler off). It is also faster here:
# the course model's train step (batch 64, 5 features, 2 cores) took 22 ms with it off
# and 29.5 ms with it on. XLA reads XLA_FLAGS when JAX starts its CPU backend, so this
# applies when finlstm is imported before the first computation, as the lessons do. A
# flag you set yourself wins.
_SCHEDULER_FLAG = "xla_cpu_enable_concurrency_optimized_scheduler"
if _SCHEDULER_FLAG not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = f"{os.environ.get('XLA_FLAGS', '')} --{_SCHEDULER_FLAG}=false".strip()
