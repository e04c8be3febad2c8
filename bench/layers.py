"""Which LSTM layer should the models train with? A quick timing, not a test.

    python -m bench.layers [--steps N]

Times the course model's train step (batch 64 and 256, 5 features, the batch split over
the CPU cores as `fit` does) with the fast layer (`ModelConfig(fast=True)`, the default)
and the readable one (`fast=False`, `finlstm.lstm.lstm_layer` differentiated by JAX),
interleaved so that machine noise hits both alike, and prints the medians and their ratio.
DESIGN.md records the decision this informs.
"""

from __future__ import annotations

import argparse
import functools
import statistics

from bench.implementations import batch_data, make_finlstm
from bench.run import timed_rounds
from finlstm.devices import use_cpu_cores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=30, help="timed steps per layer")
    args = parser.parse_args()
    for batch in (64, 256):
        x, y = batch_data("jax", batch, 5)
        steps = {}
        for name, fast in (("fast", True), ("readable", False)):
            train, _ = make_finlstm(5, batch, fast=fast)
            train(x, y)  # compile
            train(x, y)
            steps[name] = functools.partial(train, x, y)
        times = timed_rounds(steps, args.steps)
        ms = {name: 1e3 * statistics.median(t) for name, t in times.items()}
        print(
            f"batch {batch}: fast {ms['fast']:.1f} ms, readable {ms['readable']:.1f} ms a step; "
            f"readable / fast = {ms['readable'] / ms['fast']:.2f}"
        )


if __name__ == "__main__":
    use_cpu_cores()
    main()
