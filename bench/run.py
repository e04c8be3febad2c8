"""How fast is it? The course model's train step in finlstm, Flax nn.RNN, PyTorch and Keras.

    make bench            (or: python -m bench.run [--steps N] [--quick])

The course model (LSTM 128 -> LSTM 64 -> Dense 25 -> Dense 1, dropout 0.2, MSE, Adam) on
windows of 60 steps, float32, on JAX's default backend: the CPU, or a GPU where CUDA-enabled
`jax` is installed (PyTorch then runs on the same GPU, with cuDNN). For each shape (features
1 and 5, batch 64 and 256) and each implementation it measures, interleaved (a round of
ROUND consecutive steps of each implementation in turn, so that machine noise hits all of
them alike; the first step of a round is not timed, because it pays for the switch from
another implementation, such as waking its threads):

* compile: time to the first train step (tracing + compilation + one step), seconds;
* step: median steady-state time of a full train step (forward, backward, Adam), ms;
* forward: inference throughput at batch 1024, windows per second;
* GFLOP/s of the train step (3x the forward matmul FLOPs) against the machine's measured
  float32 matmul peak.

Then `bench/first_epoch.py` times what a learner waits for (the first epoch, cold and warm,
and a whole 5-epoch script, each in a new process; `--skip-first-epoch` skips it).

Writes bench/results/latest.json (or STEM.json with `--out STEM`) with
`ratio_torch_over_finlstm` (PyTorch's step time over finlstm's, batch 64, 5 features: below 1
means PyTorch is faster). Never part of the tests.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import platform
import statistics
import time
from pathlib import Path

import jax
import jax.numpy as jnp

from bench import course, first_epoch
from bench.implementations import (
    available,
    batch_data,
    forward_flops,
    matmul_peak_gflops,
)
from bench.report import console_lines, markdown_table
from finlstm.devices import use_cpu_cores

ROUND = 4  # consecutive steps of one implementation; the first one is not timed
RESULTS = Path(__file__).resolve().parent / "results"


def timed_rounds(steps: dict, n: int) -> dict:
    """{name: step()} -> {name: n step times in seconds}, in rounds of ROUND consecutive
    steps of each in turn, the first step of each round untimed."""
    times = {name: [] for name in steps}
    while min(len(t) for t in times.values()) < n:
        for name, step in steps.items():
            step()  # the switch from the previous implementation
            for _ in range(ROUND - 1):
                start = time.perf_counter()
                step()
                times[name].append(time.perf_counter() - start)
    return {name: t[:n] for name, t in times.items()}


def bench_shape(impls: dict, features: int, batch: int, steps: int) -> dict:
    built, compile_s = {}, {}
    for name, (make, kind) in impls.items():
        train, infer = make(features, batch)
        x, y = batch_data(kind, batch, features)
        start = time.perf_counter()
        train(x, y)
        compile_s[name] = time.perf_counter() - start
        train(x, y)  # one more warm-up step
        built[name] = (train, infer, x, y, kind)
    times = timed_rounds(
        {name: functools.partial(train, x, y) for name, (train, _, x, y, _) in built.items()},
        steps,
    )
    rows = {}
    flops = 3 * forward_flops(batch, features)
    for name, (_, infer, _, _, kind) in built.items():
        xf, _ = batch_data(kind, 1024, features)
        infer(xf)
        runs = []
        for _ in range(5):
            start = time.perf_counter()
            infer(xf)
            runs.append(time.perf_counter() - start)
        step = statistics.median(times[name])
        rows[name] = {
            "compile_s": compile_s[name],
            "step_ms": 1e3 * step,
            "forward_windows_per_s": 1024 / statistics.median(runs),
            "gflops": flops / step / 1e9,
        }
    return rows


def bench_many_models(n_models: int, features: int, batch: int, steps: int) -> dict:
    """n models (different seeds, the same batch) trained in one `jax.vmap`-ed, jitted step
    (`finlstm.parallel.sharded_train_step`, the models split over the devices), and each
    device's models in turn (`finlstm.parallel.over_models`, as `fit_many` runs them on a
    CPU), against one model's step (`finlstm.train.jit_train_step`, its batch split over the
    devices): the cost of n at once in units of one."""
    from finlstm.devices import make_mesh, models_mesh
    from finlstm.losses import LOSSES
    from finlstm.models import ModelConfig, StackedLSTM
    from finlstm.parallel import over_models, sharded_train_step
    from finlstm.train import (
        TrainConfig,
        init_params,
        jit_train_step,
        make_optimizer,
        make_train_step,
    )

    model = StackedLSTM(ModelConfig())
    config = TrainConfig(batch_size=batch)
    optimizer = make_optimizer(config)
    x, y = batch_data("jax", batch, features)
    xs, ys = jnp.broadcast_to(x, (n_models, *x.shape)), jnp.broadcast_to(y, (n_models, *y.shape))

    def state_for(seed):
        params = init_params(model, jax.random.key(seed), x)
        return params, optimizer.init(params), jax.random.key(seed + 1000)

    one_step = jit_train_step(model, optimizer, LOSSES["mse"], batch)
    mesh = models_mesh(n_models) or make_mesh(models=1, data=1)
    many_step = sharded_train_step(model, config, mesh)
    train_step = make_train_step(model, optimizer, LOSSES["mse"])
    mapped_step = over_models(lambda state: train_step(state, (x, y)), n_models, in_turn=True)
    one, many = [state_for(0)], [jax.vmap(state_for)(jnp.arange(n_models))]
    mapped = [jax.vmap(state_for)(jnp.arange(n_models))]

    def one_model():
        one[0], loss = one_step(one[0], (x, y))
        loss.block_until_ready()

    def all_models():
        params, opt_state, keys, losses = many_step(*many[0], xs, ys)
        many[0] = (params, opt_state, keys)
        losses.block_until_ready()

    def all_models_in_turn():
        mapped[0], losses = mapped_step(mapped[0])
        losses.block_until_ready()

    for step in (one_model, all_models, all_models_in_turn):  # compile and warm up
        step()
        step()
    times = timed_rounds(
        {"one": one_model, "many": all_models, "in_turn": all_models_in_turn}, steps
    )
    one_ms = 1e3 * statistics.median(times["one"])
    many_ms = 1e3 * statistics.median(times["many"])
    in_turn_ms = 1e3 * statistics.median(times["in_turn"])
    return {
        "models": n_models,
        "features": features,
        "batch": batch,
        "devices": mesh.size,
        "one_model_step_ms": one_ms,
        "all_models_step_ms": many_ms,
        "sequential_step_ms": n_models * one_ms,
        "cost_in_single_models": many_ms / one_ms,
        "in_turn_step_ms": in_turn_ms,
        "in_turn_cost_in_single_models": in_turn_ms / one_ms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmark the course model's train step.")
    parser.add_argument("--steps", type=int, default=30, help="timed steps per implementation")
    parser.add_argument("--quick", action="store_true", help="batch 64, 5 features only")
    parser.add_argument("--models", type=int, default=16, help="models trained at once (vmap)")
    parser.add_argument(
        "--skip-course",
        action="store_true",
        help="do not time the course build (bench/course.py, a few minutes)",
    )
    parser.add_argument(
        "--skip-first-epoch",
        action="store_true",
        help="do not time what a learner waits for (bench/first_epoch.py, fresh processes)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=RESULTS / "latest",
        help="where to write the results: STEM.json and STEM.md (default bench/results/latest)",
    )
    args = parser.parse_args()
    impls = available()
    peak = matmul_peak_gflops()
    shapes = [(5, 64)] if args.quick else [(1, 64), (5, 64), (1, 256), (5, 256)]
    results = []
    for features, batch in shapes:
        rows = bench_shape(impls, features, batch, args.steps)
        base = rows["finlstm"]["step_ms"]
        for name, row in rows.items():
            row.update(features=features, batch=batch, implementation=name)
            row["step_ratio_to_finlstm"] = row["step_ms"] / base
            row["share_of_peak"] = row["gflops"] / peak
            results.append(row)
    try:
        import torch

        torch_threads, torch_version = torch.get_num_threads(), torch.__version__
    except ImportError:
        torch_threads = torch_version = None
    machine = {
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "jax": jax.__version__,
        "jax_backend": jax.default_backend(),
        "jax_devices": jax.local_device_count(),
        "device": jax.devices()[0].device_kind,
        "torch": torch_version,
        "torch_threads": torch_threads,
        "matmul_peak_gflops": peak,
    }
    many = bench_many_models(args.models, 5, 64, max(args.steps // 3, 5))
    pick = {(r["implementation"], r["features"], r["batch"]): r["step_ms"] for r in results}
    summary = {
        "machine": machine,
        "ratio_torch_over_finlstm": pick.get(("pytorch nn.LSTM", 5, 64), float("nan"))
        / pick[("finlstm", 5, 64)],
        "results": results,
        "many_models": many,
    }
    json_path, md_path = args.out.with_suffix(".json"), args.out.with_suffix(".md")
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(summary, indent=2))
    print("\n".join(console_lines(summary)))
    md_path.write_text(markdown_table(summary))
    print(f"written: {json_path} and {md_path} (docs/performance.md includes bench/results/*.md)")
    if not args.skip_course:
        stem = RESULTS / "course"
        if args.out != RESULTS / "latest":
            stem = args.out.with_name(f"{args.out.name}-course")
        course.main(["--out", str(stem)])
    if not args.skip_first_epoch:
        stem = first_epoch.RESULTS / "first_epoch"
        if args.out != RESULTS / "latest":
            stem = args.out.with_name(f"{args.out.name}-first-epoch")
        first_epoch.main(["--out", str(stem), *(["--quick"] if args.quick else [])])


if __name__ == "__main__":
    use_cpu_cores()  # before JAX starts: one XLA device per core, as the lessons run
    main()
