"""How fast is it? The course model's train step in finlstm, Flax nn.RNN, PyTorch and Keras.

    make bench            (or: python bench/run.py [--steps N] [--quick])

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

os.environ.setdefault("KERAS_BACKEND", "jax")

import jax
import jax.numpy as jnp
import numpy as np

import finlstm  # noqa: F401  (before JAX starts: sets the XLA flag in finlstm/__init__.py)

WINDOW, HIDDEN, DENSE = 60, (128, 64), 25
ROUND = 4  # consecutive steps of one implementation; the first one is not timed
RESULTS = Path(__file__).resolve().parent / "results"


def forward_flops(batch: int, features: int) -> float:
    """Multiply-adds x 2 of the model's matmuls for one forward pass of a batch."""
    flops, inputs = 0.0, features
    for hidden in HIDDEN:
        flops += 2 * batch * WINDOW * (inputs + hidden) * 4 * hidden
        inputs = hidden
    flops += 2 * batch * (HIDDEN[-1] * DENSE + DENSE)
    return flops


def matmul_peak_gflops(n: int = 2048, repeats: int = 10) -> float:
    """Measured float32 matmul rate (XLA, all threads), GFLOP/s."""
    a = jnp.ones((n, n), jnp.float32)
    f = jax.jit(lambda x: x @ x)
    f(a).block_until_ready()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f(a).block_until_ready()
        times.append(time.perf_counter() - start)
    return 2 * n**3 / min(times) / 1e9


# ---- implementations: each returns (step(x, y) -> None, forward(x) -> None) ------------------


def make_finlstm(features: int, batch: int, fast: bool = True, split: bool = True):
    """The course model in finlstm. split: each batch shared by the XLA devices (one per
    CPU core), as `finlstm.train.fit` does (`jit_train_step`); otherwise one device."""
    from finlstm.lstm import ModelConfig, StackedLSTM
    from finlstm.train import (
        LOSSES,
        TrainConfig,
        init_params,
        jit_forward,
        jit_train_step,
        make_optimizer,
        make_train_step,
    )

    model = StackedLSTM(ModelConfig(fast=fast))
    config = TrainConfig()
    optimizer = make_optimizer(config)
    if split:
        step = jit_train_step(model, optimizer, LOSSES["mse"], batch)
        forward = jit_forward(model, 1024)
    else:
        step = jax.jit(make_train_step(model, optimizer, LOSSES["mse"]), donate_argnums=0)
        forward = jax.jit(lambda p, x: model.apply({"params": p}, x))
    params = init_params(model, jax.random.key(0), jnp.zeros((1, WINDOW, features)))
    state = [(params, optimizer.init(params), jax.random.key(1))]

    def train(x, y):
        state[0], loss = step(state[0], (x, y))
        loss.block_until_ready()

    def infer(x):
        forward(state[0][0], x).block_until_ready()

    return train, infer


def make_finlstm_one_device(features: int, batch: int):
    """finlstm's layer on one XLA device: what the batch split adds."""
    return make_finlstm(features, batch, split=False)


def make_finlstm_autodiff(features: int, batch: int):
    """finlstm's reference layer (`lstm_layer`, differentiated by JAX) on one device: the
    before picture."""
    return make_finlstm(features, batch, fast=False, split=False)


def make_finlstm_autodiff_split(features: int, batch: int):
    """The reference layer with the batch split: autodiff adds to the weight gradients at
    every step of the backward loop, so the devices add up their shares at every step."""
    return make_finlstm(features, batch, fast=False)


def make_flax_rnn(features: int, batch: int):
    import flax.linen as nn
    import optax

    class FlaxModel(nn.Module):
        @nn.compact
        def __call__(self, x, *, train=False):
            h = nn.RNN(nn.OptimizedLSTMCell(HIDDEN[0]))(x)
            h = nn.Dropout(0.2, deterministic=not train)(h)
            h = nn.RNN(nn.OptimizedLSTMCell(HIDDEN[1]))(h)[:, -1]
            h = nn.Dropout(0.2, deterministic=not train)(h)
            return nn.Dense(1)(nn.Dense(DENSE)(h))

    model = FlaxModel()
    params = model.init(jax.random.key(0), jnp.zeros((1, WINDOW, features)))["params"]
    optimizer = optax.chain(optax.clip_by_global_norm(1.0), optax.adam(1e-3))

    @jax.jit
    def step(params, opt_state, key, x, y):
        key, dropout = jax.random.split(key)

        def loss(p):
            out = model.apply({"params": p}, x, train=True, rngs={"dropout": dropout})
            return jnp.mean((out[:, 0] - y) ** 2)

        value, grads = jax.value_and_grad(loss)(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, key, value

    state = [params, optimizer.init(params), jax.random.key(1)]
    forward = jax.jit(lambda p, x: model.apply({"params": p}, x))

    def train(x, y):
        *state[:3], loss = step(*state, x, y)
        loss.block_until_ready()

    def infer(x):
        forward(state[0], x).block_until_ready()

    return train, infer


def torch_device() -> str:
    """PyTorch runs where JAX runs: on the GPU (cuDNN's LSTM) when JAX found one."""
    import torch

    return "cuda" if jax.default_backend() == "gpu" and torch.cuda.is_available() else "cpu"


def make_torch(features: int, batch: int):
    import torch

    device = torch_device()
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    class TorchModel(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm1 = torch.nn.LSTM(features, HIDDEN[0], batch_first=True)
            self.lstm2 = torch.nn.LSTM(HIDDEN[0], HIDDEN[1], batch_first=True)
            self.drop = torch.nn.Dropout(0.2)
            self.dense = torch.nn.Linear(HIDDEN[1], DENSE)
            self.head = torch.nn.Linear(DENSE, 1)

        def forward(self, x):
            h, _ = self.lstm1(x)
            h, _ = self.lstm2(self.drop(h))
            return self.head(self.dense(self.drop(h[:, -1])))

    torch.manual_seed(0)
    model = TorchModel().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def train(x, y):
        model.train()
        optimizer.zero_grad(set_to_none=True)
        loss = torch.mean((model(x)[:, 0] - y) ** 2)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        sync()  # GPU work is asynchronous: time it to the end

    def infer(x):
        model.eval()
        with torch.no_grad():
            model(x)
        sync()

    return train, infer


def make_keras(features: int, batch: int):
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((WINDOW, features)),
            keras.layers.LSTM(HIDDEN[0], return_sequences=True),
            keras.layers.Dropout(0.2),
            keras.layers.LSTM(HIDDEN[1]),
            keras.layers.Dropout(0.2),
            keras.layers.Dense(DENSE),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3, clipnorm=1.0), loss="mse")

    def train(x, y):
        model.train_on_batch(x, y)

    def infer(x):
        model.predict_on_batch(x)

    return train, infer


IMPLEMENTATIONS = {
    "finlstm": (make_finlstm, "jax"),
    "finlstm, one device": (make_finlstm_one_device, "jax"),
    "finlstm, autodiff": (make_finlstm_autodiff, "jax"),
    "finlstm, autodiff, split": (make_finlstm_autodiff_split, "jax"),
    "flax nn.RNN": (make_flax_rnn, "jax"),
    "pytorch nn.LSTM": (make_torch, "torch"),
    "keras 3 (jax)": (make_keras, "numpy"),
}


def _data(kind: str, batch: int, features: int):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, WINDOW, features)).astype(np.float32)
    y = rng.standard_normal(batch).astype(np.float32)
    if kind == "jax":
        return jnp.asarray(x), jnp.asarray(y)
    if kind == "torch":
        import torch

        device = torch_device()
        return torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    return x, y


def available() -> dict:
    found = {}
    for name, (make, kind) in IMPLEMENTATIONS.items():
        try:
            if kind == "torch":
                import torch  # noqa: F401
            if name.startswith("keras"):
                import keras  # noqa: F401
            found[name] = (make, kind)
        except ImportError as error:
            print(f"skipping {name}: {error} (make bench installs it)")
    return found


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
        x, y = _data(kind, batch, features)
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
        xf, _ = _data(kind, 1024, features)
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
    (`finlstm.parallel.sharded_train_step`, the models split over the devices), against one
    model's step (`finlstm.train.jit_train_step`, its batch split over the devices): the
    cost of n at once in units of one."""
    import math

    from jax.sharding import PartitionSpec as P

    from finlstm.lstm import ModelConfig, StackedLSTM
    from finlstm.parallel import MODELS, make_mesh, sharded_train_step
    from finlstm.train import (
        LOSSES,
        TrainConfig,
        init_params,
        jit_train_step,
        make_optimizer,
        make_train_step,
    )

    model = StackedLSTM(ModelConfig())
    config = TrainConfig(batch_size=batch)
    optimizer = make_optimizer(config)
    x, y = _data("jax", batch, features)
    xs, ys = jnp.broadcast_to(x, (n_models, *x.shape)), jnp.broadcast_to(y, (n_models, *y.shape))

    def state_for(seed):
        params = init_params(model, jax.random.key(seed), x)
        return params, optimizer.init(params), jax.random.key(seed + 1000)

    one_step = jit_train_step(model, optimizer, LOSSES["mse"], batch)
    mesh = make_mesh(models=math.gcd(n_models, jax.device_count()), data=1)
    many_step = sharded_train_step(model, config, mesh)
    train_step = make_train_step(model, optimizer, LOSSES["mse"])

    def each_device_in_turn(states):  # this device's models, one after another
        return jax.lax.map(lambda state: train_step(state, (x, y)), states)

    mapped_step = jax.jit(
        jax.shard_map(
            each_device_in_turn,
            mesh=mesh,
            in_specs=P(MODELS),
            out_specs=P(MODELS),
            check_vma=False,  # the batch (x, y) is the same on every device
        ),
        donate_argnums=0,
    )
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
        "--skip-course", action="store_true", help="do not time the course's build (~5 min)"
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
    if not args.skip_course:
        from course import time_course  # bench/course.py

        summary["course"] = time_course()
    json_path, md_path = args.out.with_suffix(".json"), args.out.with_suffix(".md")
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(summary, indent=2))
    print(f"machine: {machine}")
    header = f"{'implementation':<26}{'feat':>5}{'batch':>6}{'step ms':>9}{'ratio':>7}"
    header += f"{'compile s':>10}{'fwd win/s':>11}{'GFLOP/s':>9}{'% peak':>8}"
    print(header)
    for r in results:
        print(
            f"{r['implementation']:<26}{r['features']:>5}{r['batch']:>6}{r['step_ms']:>9.1f}"
            f"{r['step_ratio_to_finlstm']:>7.2f}{r['compile_s']:>10.2f}"
            f"{r['forward_windows_per_s']:>11.0f}{r['gflops']:>9.1f}"
            f"{100 * r['share_of_peak']:>7.0f}%"
        )
    ratio = summary["ratio_torch_over_finlstm"]
    print(f"ratio_torch_over_finlstm (batch 64, 5 features): {ratio:.2f}")
    print(
        f"{many['models']} models in one vmap-ed step: {many['all_models_step_ms']:.0f} ms, "
        f"{many['cost_in_single_models']:.1f}x one model's {many['one_model_step_ms']:.1f} ms "
        f"(one after another: {many['sequential_step_ms']:.0f} ms; each device's models in "
        f"turn with lax.map: {many['in_turn_step_ms']:.0f} ms, "
        f"{many['in_turn_cost_in_single_models']:.1f}x)"
    )
    if "course" in summary:
        course = summary["course"]
        print(
            f"course: every lesson executed in {course['lessons_cold_s']:.0f} s; unchanged "
            f"rebuild {course['rebuild_unchanged_s']:.1f} s "
            f"({course['lessons_executed_in_rebuild']} lessons re-executed)"
        )
    md_path.write_text(markdown_table(summary))
    print(f"written: {json_path} and {md_path} (docs/performance.md includes bench/results/*.md)")


def markdown_table(summary: dict) -> str:
    """The results as the Markdown table the site's "How fast is it?" page includes."""
    m = summary["machine"]
    if m["jax_backend"] == "gpu":
        where = (
            f"on one {m['device']} GPU, JAX {m['jax']}, PyTorch {m['torch']} with cuDNN "
            f"(host: {m['cores']} CPU cores)"
        )
    else:
        devices = m.get("jax_devices", 1)
        where = (
            f"on {m['cores']} CPU cores ({m['cpu']}), JAX {m['jax']} on cpu with {devices} "
            f"XLA device{'s' if devices > 1 else ''}, PyTorch threads {m['torch_threads']}"
        )
    lines = [
        f"Measured by `make bench` {where}; float32 matmul peak "
        f"{m['matmul_peak_gflops']:.0f} GFLOP/s. Step: median of a full train step "
        "(forward, backward, Adam), in rounds of consecutive steps of each implementation in "
        "turn; ratio: step time over finlstm's (below 1 is faster than finlstm). finlstm "
        "splits each batch over the XLA devices (`finlstm.train.jit_train_step`, as `fit` "
        'does); "one device" rows do not; Flax and Keras run on one device, as their own '
        "code does.",
        "",
        "| implementation | features | batch | step (ms) | ratio | first step (s) "
        "| forward, batch 1024 (windows/s) | GFLOP/s | % of peak |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in summary["results"]:
        lines.append(
            f"| {r['implementation']} | {r['features']} | {r['batch']} | {r['step_ms']:.1f} "
            f"| {r['step_ratio_to_finlstm']:.2f} | {r['compile_s']:.2f} "
            f"| {r['forward_windows_per_s']:.0f} | {r['gflops']:.1f} "
            f"| {100 * r['share_of_peak']:.0f}% |"
        )
    many = summary["many_models"]
    lines += [
        "",
        f"PyTorch's step time over finlstm's at batch 64, 5 features: "
        f"**{summary['ratio_torch_over_finlstm']:.2f}**.",
        "",
        f"**{many['models']} models at once** (batch {many['batch']}, {many['features']} "
        f"features, different seeds, one `jax.vmap`-ed step, the models split over "
        f"{many.get('devices', 1)} device(s)): {many['all_models_step_ms']:.0f} "
        f"ms per step, **{many['cost_in_single_models']:.1f}x** one model's "
        f"{many['one_model_step_ms']:.1f} ms; one after another they would take "
        f"{many['sequential_step_ms']:.0f} ms."
        + (
            f" Each device's models in turn (`jax.lax.map` inside `jax.shard_map`, one "
            f"program, as `fit_many` runs them on a CPU): {many['in_turn_step_ms']:.0f} ms, "
            f"**{many['in_turn_cost_in_single_models']:.1f}x**."
            if "in_turn_step_ms" in many
            else ""
        ),
        "",
    ]
    if "course" in summary:
        course = summary["course"]
        lines += [
            "| the whole course | seconds |",
            "|---|---:|",
            f"| every lesson executed from scratch ({len(course['lessons'])} lessons) "
            f"| {course['lessons_cold_s']:.0f} |",
            *(
                f"| &nbsp;&nbsp;{name} | {seconds:.0f} |"
                for name, seconds in course["lessons"].items()
            ),
            f"| `mkdocs build --strict` with nothing changed "
            f"({course['lessons_executed_in_rebuild']} lessons re-executed) "
            f"| {course['rebuild_unchanged_s']:.1f} |",
            "",
        ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
