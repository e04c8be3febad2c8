"""What a learner waits for: the course model trained on the bundled S&P 500 closes, written
four ways (finlstm's `fit`, plain Flax, Keras 3 on JAX, PyTorch), each timed in fresh processes.

    python -m bench.first_epoch [--repeats N] [--quick] [--out STEM]    (also `make bench`)

The data are Lesson 3's: 60-day windows of the closes, scaled with the training rows' minimum
and maximum, split by the day of the target (70 % train, 15 % validation). The parent process
makes them once and saves them (`windows.npz`), so every measured process spends its time on
its framework alone: importing it, compiling, training. Each training initialises a model from
a seed, then trains epochs of batches of 64 (Adam 1e-3, MSE, gradient norm clipped at 1,
dropout 0.2), reshuffling every epoch and computing the validation loss after each.

Measured, each in a new process with a JAX compilation cache of its own:

* first epoch: seconds from the training call (`fit(...)`) to the end of epoch 1; cold (the
  cache directory empty) and warm (the same directory, filled by the cold process);
* steady epoch: what one more epoch costs once compiled, in the same process: the time of a
  3-epoch training less that of a 1-epoch one, halved;
* whole process: a script that trains 5 epochs, wall time including Python's start and the
  imports, cold and warm.

The implementations run in turn (each of them once, then each again), so that machine noise
hits all alike; the tables give the medians of `--repeats` rounds. Writes STEM.json and STEM.md
(default bench/results/first_epoch); the "How fast is it?" page includes STEM.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parents[1]
BATCH = 64
SCRIPT_EPOCHS = 5
QUICK_TRAIN_BATCHES, QUICK_VAL_ROWS = 12, 256
RESULT_PREFIX = "first_epoch result: "
IMPLEMENTATIONS = ("finlstm", "flax nn.RNN", "keras 3 (jax)", "pytorch nn.LSTM")


# --- The data, made once by the parent ------------------------------------------------------


def prepare_windows(path: Path, quick: bool = False) -> dict:
    """Lesson 3's training and validation windows of the S&P 500 closes, written to `path`
    (.npz: x_train (n, 60, 1), y_train (n,), x_val, y_val, float32); returns their sizes."""
    import numpy as np

    from bench import WINDOW
    from finlstm.data import load_prices
    from finlstm.prep import MinMaxScaler, chronological_split, make_windows

    close = load_prices("sp500")["Close"].to_numpy()
    bounds = chronological_split(len(close), train=0.70, val=0.15)
    scaled = MinMaxScaler.fit(close[bounds.train]).transform(close)
    windows = make_windows(scaled, scaled, window=WINDOW, horizon=1)
    train = windows.select(WINDOW + 1, bounds.train_end)
    val = windows.select(bounds.train_end, bounds.val_end)
    x_train, y_train, x_val, y_val = train.inputs, train.targets, val.inputs, val.targets
    if quick:
        x_train, y_train = (
            x_train[: QUICK_TRAIN_BATCHES * BATCH],
            y_train[: QUICK_TRAIN_BATCHES * BATCH],
        )
        x_val, y_val = x_val[:QUICK_VAL_ROWS], y_val[:QUICK_VAL_ROWS]
    arrays = {"x_train": x_train, "y_train": y_train, "x_val": x_val, "y_val": y_val}
    np.savez(path, **{name: a.astype(np.float32) for name, a in arrays.items()})
    return {"train_windows": len(x_train), "val_windows": len(x_val)}


# --- The four trainings, run inside the measured process -----------------------------------
# Each `*_trainer(data)` returns train(epochs, seed): initialise a model from `seed`, train
# `epochs` epochs, compute the validation loss after each, return when the work is done.


def finlstm_trainer(data):
    from finlstm.devices import enable_compilation_cache, use_cpu_cores

    use_cpu_cores()  # as every lesson's first cell does
    enable_compilation_cache()  # in FINLSTM_JAX_CACHE, as the lessons do
    from bench import DENSE, HIDDEN
    from finlstm.models import ModelConfig, StackedLSTM
    from finlstm.train import TrainConfig, fit

    model = StackedLSTM(ModelConfig(hidden_sizes=HIDDEN, dense_size=DENSE, dropout=0.2))
    train, val = (data["x_train"], data["y_train"]), (data["x_val"], data["y_val"])

    def train_model(epochs: int, seed: int) -> None:
        config = TrainConfig(
            epochs=epochs, patience=epochs, batch_size=BATCH, seed=seed, progress=False
        )
        fit(model, train, val, config)

    return train_model


def flax_trainer(data):
    import jax
    import jax.numpy as jnp
    import numpy as np

    from bench.implementations import flax_model, flax_optimizer, flax_train_step

    model, optimizer = flax_model(), flax_optimizer()
    step = flax_train_step(model, optimizer)
    forward = jax.jit(lambda params, x: model.apply({"params": params}, x)[:, 0])
    x_train, y_train, x_val, y_val = (data[k] for k in ("x_train", "y_train", "x_val", "y_val"))
    n_batches = len(x_train) // BATCH

    def train_model(epochs: int, seed: int) -> None:
        params = model.init(jax.random.key(seed), x_train[:1])["params"]
        opt_state, key = optimizer.init(params), jax.random.key(seed + 1)
        order_rng = np.random.default_rng(seed)
        for _ in range(epochs):
            order = order_rng.permutation(len(x_train))
            for b in range(n_batches):  # the last partial batch dropped, as `fit` does
                rows = order[b * BATCH : (b + 1) * BATCH]
                params, opt_state, key, _ = step(
                    params, opt_state, key, x_train[rows], y_train[rows]
                )
            float(jnp.mean((forward(params, x_val) - y_val) ** 2))

    return train_model


def keras_trainer(data):
    os.environ["KERAS_BACKEND"] = "jax"
    from bench.implementations import keras_model

    features = data["x_train"].shape[-1]

    def train_model(epochs: int, seed: int) -> None:
        model = keras_model(features, seed)
        model.fit(
            data["x_train"],
            data["y_train"],
            batch_size=BATCH,
            epochs=epochs,
            validation_data=(data["x_val"], data["y_val"]),
            shuffle=True,
            verbose=0,
        )

    return train_model


def pytorch_trainer(data):
    import torch

    from bench import torch_model

    device = "cuda" if torch.cuda.is_available() else "cpu"
    x_train, y_train, x_val, y_val = (
        torch.from_numpy(data[k]).to(device) for k in ("x_train", "y_train", "x_val", "y_val")
    )
    n_batches = len(x_train) // BATCH

    def train_model(epochs: int, seed: int) -> None:
        model, optimizer = torch_model.make_model(x_train.shape[-1], seed, device)
        order_rng = torch.Generator().manual_seed(seed)
        for _ in range(epochs):
            order = torch.randperm(len(x_train), generator=order_rng).to(device)
            for b in range(n_batches):
                rows = order[b * BATCH : (b + 1) * BATCH]
                torch_model.train_step(model, optimizer, x_train[rows], y_train[rows])
            model.eval()
            with torch.no_grad():
                torch.mean((model(x_val)[:, 0] - y_val) ** 2).item()

    return train_model


TRAINERS = {
    "finlstm": finlstm_trainer,
    "flax nn.RNN": flax_trainer,
    "keras 3 (jax)": keras_trainer,
    "pytorch nn.LSTM": pytorch_trainer,
}


def worker(name: str, mode: str, data_path: Path) -> None:
    """Inside a measured process: "epochs" prints the first, repeated and steady epoch
    times as a result line; "script" trains SCRIPT_EPOCHS epochs and prints nothing."""
    import numpy as np

    start = time.perf_counter()
    with np.load(data_path) as stored:
        data = dict(stored)
    train_model = TRAINERS[name](data)
    if mode == "script":
        train_model(SCRIPT_EPOCHS, 0)
        return
    setup_s = time.perf_counter() - start
    seconds = []
    for epochs, seed in ((1, 0), (1, 1), (3, 2)):
        start = time.perf_counter()
        train_model(epochs, seed)
        seconds.append(time.perf_counter() - start)
    first, again, three = seconds
    result = {
        "setup_s": setup_s,
        "first_epoch_s": first,
        "again_s": again,
        "steady_epoch_s": (three - again) / 2,
    }
    print(RESULT_PREFIX + json.dumps(result), flush=True)


# --- The parent: fresh processes, interleaved ----------------------------------------------


def parse_result(output: str) -> dict:
    """The result line a worker printed in `output` (its stdout), as a dict."""
    lines = [line for line in output.splitlines() if line.startswith(RESULT_PREFIX)]
    if not lines:
        raise ValueError(f"no line starting {RESULT_PREFIX!r} in the worker's output")
    return json.loads(lines[-1][len(RESULT_PREFIX) :])


def worker_environment(cache_dir: Path) -> dict[str, str]:
    """The environment of a measured process: a reader's (no device flags inherited from
    the parent), with the JAX compilation cache in `cache_dir`, every program kept in it."""
    from course_site.lessons import kernel_environment

    env = kernel_environment(os.environ)
    env.update(
        JAX_COMPILATION_CACHE_DIR=str(cache_dir),
        FINLSTM_JAX_CACHE=str(cache_dir),
        JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
        JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES="0",
        KERAS_BACKEND="jax",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )
    return env


def run_worker(name: str, mode: str, data_path: Path, cache_dir: Path) -> tuple[float, str]:
    """(wall seconds of the whole process, its stdout); exits naming the implementation and
    showing the end of its output if it fails."""
    command = [sys.executable, "-m", "bench.first_epoch", "--worker", name, mode, str(data_path)]
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=ROOT, env=worker_environment(cache_dir), capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(
            f"error: the {name} {mode} process failed (exit {done.returncode}):\n"
            f"{done.stdout[-1500:]}{done.stderr[-3000:]}"
        )
    return wall, done.stdout


def measure(names: list[str], data_path: Path, repeats: int, log=print) -> dict:
    """{name: {"cold": [results], "warm": [results], "script_cold_s": [s], "script_warm_s":
    [s]}}, each measurement a new process, the implementations interleaved."""
    runs = {n: {"cold": [], "warm": [], "script_cold_s": [], "script_warm_s": []} for n in names}
    with tempfile.TemporaryDirectory(prefix="first-epoch-") as scratch:
        for repeat in range(repeats):
            caches = {n: Path(scratch, f"{repeat}-{i}-epochs") for i, n in enumerate(names)}
            scripts = {n: Path(scratch, f"{repeat}-{i}-script") for i, n in enumerate(names)}
            for kind in ("cold", "warm"):  # cold fills the cache that warm then reads
                for name in names:
                    _, output = run_worker(name, "epochs", data_path, caches[name])
                    runs[name][kind].append(parse_result(output))
                    log(f"round {repeat + 1}, {name}, {kind}: {runs[name][kind][-1]}")
            for kind in ("cold", "warm"):
                for name in names:
                    wall, _ = run_worker(name, "script", data_path, scripts[name])
                    runs[name][f"script_{kind}_s"].append(wall)
                    log(
                        f"round {repeat + 1}, {name}, {SCRIPT_EPOCHS}-epoch script, "
                        f"{kind}: {wall:.1f} s"
                    )
    return runs


def summarise(runs: dict) -> dict:
    """Medians per implementation and the ratios the issue asks for: first epoch over a
    steady one (cold and warm), and PyTorch's whole-process time over finlstm's."""
    rows = {}
    for name, r in runs.items():
        every = r["cold"] + r["warm"]
        steady = statistics.median(x["steady_epoch_s"] for x in every)
        row = {
            "first_epoch_cold_s": statistics.median(x["first_epoch_s"] for x in r["cold"]),
            "first_epoch_warm_s": statistics.median(x["first_epoch_s"] for x in r["warm"]),
            "again_s": statistics.median(x["again_s"] for x in every),
            "steady_epoch_s": steady,
            "setup_cold_s": statistics.median(x["setup_s"] for x in r["cold"]),
            "script_cold_s": statistics.median(r["script_cold_s"]),
            "script_warm_s": statistics.median(r["script_warm_s"]),
        }
        row["cold_over_steady"] = row["first_epoch_cold_s"] / steady
        row["warm_over_steady"] = row["first_epoch_warm_s"] / steady
        rows[name] = row
    summary = {"implementations": rows}
    if "finlstm" in rows and "pytorch nn.LSTM" in rows:
        ours, theirs = rows["finlstm"], rows["pytorch nn.LSTM"]
        summary["script_ratio_torch_over_finlstm"] = {
            kind: theirs[f"script_{kind}_s"] / ours[f"script_{kind}_s"] for kind in ("cold", "warm")
        }
    return summary


def available(names=IMPLEMENTATIONS) -> list[str]:
    """The implementations whose framework is installed (PyTorch comes with `make bench`)."""
    needs = {"keras 3 (jax)": "keras", "pytorch nn.LSTM": "torch"}
    found = []
    for name in names:
        try:
            metadata.version(needs.get(name, "jax"))
            found.append(name)
        except metadata.PackageNotFoundError:
            print(f"skipping {name}: {needs[name]} is not installed (make bench installs it)")
    return found


def versions() -> dict:
    found = {}
    for package in ("jax", "flax", "keras", "torch"):
        try:
            found[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            found[package] = None
    return found


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        name, mode, data_path = argv[1:4]
        worker(name, mode, Path(data_path))
        return
    parser = argparse.ArgumentParser(description="Time what a learner waits for.")
    parser.add_argument("--repeats", type=int, default=3, help="rounds of fresh processes")
    parser.add_argument("--quick", action="store_true", help="1 round, a few batches")
    parser.add_argument(
        "--only", action="append", choices=IMPLEMENTATIONS, help="time these only (repeatable)"
    )
    parser.add_argument(
        "--out", type=Path, default=RESULTS / "first_epoch", help="STEM of STEM.json and STEM.md"
    )
    args = parser.parse_args(argv)
    from bench.report import first_epoch_lines, first_epoch_table

    repeats = 1 if args.quick else args.repeats
    load_at_start = os.getloadavg()[0]  # other work on the machine slows every row
    names = [name for name in available() if not args.only or name in args.only]
    with tempfile.TemporaryDirectory(prefix="first-epoch-data-") as folder:
        data_path = Path(folder, "windows.npz")
        sizes = prepare_windows(data_path, quick=args.quick)
        runs = measure(names, data_path, repeats)
    summary = {
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "cores": os.cpu_count(),
            "load_average_at_start": load_at_start,
            **versions(),
        },
        "settings": {
            "repeats": repeats,
            "quick": args.quick,
            "batch": BATCH,
            "script_epochs": SCRIPT_EPOCHS,
            **sizes,
        },
        **summarise(runs),
        "runs": runs,
    }
    json_path, md_path = args.out.with_suffix(".json"), args.out.with_suffix(".md")
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(summary, indent=2) + "\n")
    md_path.write_text(first_epoch_table(summary))
    print("\n".join(first_epoch_lines(summary)))
    print(f"written: {json_path} and {md_path} (docs/performance.md includes the .md)")


if __name__ == "__main__":
    main()
