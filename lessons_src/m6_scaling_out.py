# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Scaling out with jax.sharding
#
# **The question.** One index fits on a laptop. Hundreds of tickers, or
# hundreds of walk-forward folds, do not. How does the same training code run
# on many devices at once, and how do we know it computes the same thing?
#
# JAX's answer is to describe *where the data lives* and let the compiler
# (XLA's SPMD partitioner) split the work: a **mesh** names the devices, a
# **sharding** says which axis of an array is split over which mesh axis, and
# the jitted train step stays as it is. This lesson trains the multi-asset
# model of Module 4 on 8 devices and checks the result against one device.
#
# This machine has no 8 accelerators, so the lesson asks XLA to present the
# CPU as 8 devices. That has to happen before JAX starts, hence the first cell.
# It also keeps JAX on the CPU where a GPU is installed, so that the 8 devices
# exist on every machine and you get the numbers on this page.

# %%
import os

os.environ["JAX_PLATFORMS"] = "cpu"

import jax
import numpy as np
import pandas as pd
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

from finlstm import facts, plots
from finlstm.data import load_prices
from finlstm.devices import (
    DATA,
    enable_compilation_cache,
    make_mesh,
    use_cpu_cores,
)
from finlstm.features import add_features
from finlstm.models import AttentionLSTM, ModelConfig
from finlstm.parallel import fit_many
from finlstm.prep import MinMaxScaler, chronological_split, make_windows
from finlstm.train import TrainConfig, predict

use_cpu_cores(8)  # 8 CPU devices: before JAX starts
enable_compilation_cache()  # compiled programs kept on disk (see the JAX primer)

print(jax.device_count(), "devices:", [str(d) for d in jax.devices()])

# %% [markdown]
# ## The data: three markets, as in Module 4
#
# The S&P 500, NASDAQ and WTI features, scaled on the training years, and the
# Buy / Hold / Sell label of the S&P 500's next 5 days with cut points from the
# training years. Only the training windows are needed here.

# %%
WINDOW, HORIZON = 30, 5
features = pd.concat(
    {
        n: add_features(load_prices(n)[["Close"]])
        for n in ("sp500", "nasdaq", "wti")
    },
    axis=1,
    join="inner",
).dropna()
close = np.log(load_prices("sp500")["Close"].loc[features.index].to_numpy())
forward = np.full(len(close), np.nan)
forward[:-HORIZON] = close[HORIZON:] - close[:-HORIZON]
bounds = chronological_split(len(features))
low, high = np.quantile(forward[: bounds.train_end - HORIZON], [1 / 3, 2 / 3])
labels = np.where(forward < low, 0, np.where(forward > high, 2, 1))
scaler = MinMaxScaler.fit(features.to_numpy()[: bounds.train_end])
shifted = np.concatenate([[0], labels[:-1]]).astype(float)
windows = make_windows(
    scaler.transform(features.to_numpy()), shifted, window=WINDOW
)
train = windows.select(WINDOW, bounds.train_end - HORIZON + 1)
x, y = train.inputs[:2048], train.targets[:2048]  # 32 batches of 64
print("training inputs", x.shape, "(samples, timesteps, features)")

# %% [markdown]
# ## A mesh, and a batch split over it
#
# `finlstm.devices.make_mesh` arranges the devices in a grid with two named
# axes: `models` (to train several models side by side) and `data` (to split
# each batch). With all 8 devices on `data`, a batch of 64 windows is cut into
# 8 slices of 8, one per device. `jax.debug.visualize_array_sharding` shows
# which device holds which rows (it draws the first two axes, so we show the
# batch as (batch, features) of the last day).

# %%
mesh = make_mesh(data=8)
print("mesh:", dict(mesh.shape))
batch = jax.device_put(x[:64, -1, :], NamedSharding(mesh, P(DATA)))
jax.debug.visualize_array_sharding(batch)

# %% [markdown]
# Parameters are *replicated*: every device holds all of them, computes the
# gradient of its own slice of the batch, and the compiler inserts the
# all-reduce that averages the 8 gradients before the optimiser step. Nothing
# in the step function mentions devices: `finlstm.parallel.sharded_train_step`
# is `finlstm.train.make_train_step` (the same step `fit` uses) jitted with
# `in_shardings` and `out_shardings`.
#
# ## Same result on 8 devices as on 1?

# %%
MODEL = AttentionLSTM(
    ModelConfig(hidden_sizes=(32,), dense_size=16, output_size=3, dropout=0.2),
    attention_units=16,
)
CONFIG = TrainConfig(
    epochs=2, batch_size=64, loss="cross_entropy", progress=False, seed=0
)
params_1, losses_1 = fit_many(MODEL, x, y, CONFIG, make_mesh(data=1))
params_8, losses_8 = fit_many(MODEL, x, y, CONFIG, make_mesh(data=8))


def probabilities(params):
    """Class probabilities of the trained model on the training windows."""
    logits = predict(MODEL, jax.device_get(params), x)
    return np.asarray(jax.nn.softmax(logits, axis=-1))


weight_gap = max(
    float(np.max(np.abs(a - b)))
    for a, b in zip(
        jax.tree.leaves(jax.device_get(params_1)),
        jax.tree.leaves(jax.device_get(params_8)),
        strict=True,
    )
)
output_gap = float(
    np.max(np.abs(probabilities(params_1) - probabilities(params_8)))
)
print("loss per epoch, 1 device: ", np.round(losses_1, 6))
print("loss per epoch, 8 devices:", np.round(losses_8, 6))
print(f"largest difference in predicted probabilities: {output_gap:.1e}")
print(f"largest difference in a single weight:         {weight_gap:.1e}")
same_losses = bool(np.array_equal(np.round(losses_1, 6), np.round(losses_8, 6)))
facts.record("output_gap", output_gap)
facts.record("weight_gap", weight_gap)
facts.record("learning_rate", CONFIG.learning_rate)
facts.verdict(
    "agreement_verdict",
    same_losses and output_gap < 1e-4,
    when_true="The losses agree to the printed digits and the predicted probabilities to "
    f"float rounding (at most {output_gap:.1e} apart): the 8 partial gradients are summed "
    "in a different order than one device sums them.",
    when_false="The two runs disagree beyond float rounding (losses "
    + ("equal" if same_losses else "different")
    + f" to the printed digits, probabilities up to {output_gap:.1e} apart): the split "
    "changed what is computed, which is a bug to find before trusting either model.",
)
facts.verdict(
    "weight_verdict",
    weight_gap > 10 * output_gap,
    when_true=f"A few single weights differ by more, up to {weight_gap:.1e} with a learning "
    f"rate of {CONFIG.learning_rate:.0e}: Adam divides each gradient by its own running "
    "scale, so a gradient that is almost exactly zero and flips sign through rounding "
    "moves its weight by up to a full learning-rate step. Those are weights the loss does "
    "not care about, which is why the outputs still agree; compare what a model computes, "
    "not its raw weights.",
    when_false=f"The weights differ by no more than the outputs do (at most "
    f"{weight_gap:.1e}): here no weight was moved by rounding more than the model's "
    "outputs show.",
)

# %%
p_1, p_8 = probabilities(params_1), probabilities(params_8)


def draw_agreement(fig):
    ax = fig.add_subplot()
    for k, name in enumerate(("Sell", "Hold", "Buy")):
        ax.scatter(p_1[:, k], p_8[:, k], s=4, alpha=0.5, label=name)
    low, high = (
        float(min(p_1.min(), p_8.min())),
        float(max(p_1.max(), p_8.max())),
    )
    ax.plot(
        [low, high], [low, high], color="gray", linestyle=":", label="equal"
    )
    ax.set(
        title="Predicted probabilities: 1 device against 8 devices",
        xlabel="probability, trained on 1 device",
        ylabel="probability, trained on 8 devices",
    )
    ax.legend(title="class", markerscale=3)


plots.show(
    draw_agreement,
    alt="Scatter of the class probabilities predicted by the model trained on one "
    "device against those of the model trained on eight; every point lies on the "
    "diagonal.",
    figsize=(6.0, 5.0),
)

# %% [markdown]
# {{ fact("agreement_verdict") }} {{ fact("weight_verdict") }}
#
# ## Many models and many devices together
#
# Walk-forward folds, seeds or assets add a *models* axis. On a 2 x 4 mesh,
# two models train side by side, each on its own 4 devices, each batch split
# four ways: one program, with `jax.vmap` over models inside.

# %%
xs = np.stack([x, x[::-1]])  # two models, each with its own data
ys = np.stack([y, y[::-1]])
grid = make_mesh(data=4, models=2)
stacked, stacked_losses = fit_many(MODEL, xs, ys, CONFIG, grid)
reference, _ = fit_many(MODEL, xs, ys, CONFIG, make_mesh(data=1))
leaf = jax.tree.leaves(stacked)[0]
print(
    "mesh:", dict(grid.shape), "| a parameter's sharding:", leaf.sharding.spec
)
print(
    "its shape",
    leaf.shape,
    "lives on",
    len(leaf.sharding.device_set),
    "devices",
)
jax.debug.visualize_array_sharding(leaf.reshape(2, -1))


def model_k(stack, k):
    """The parameters of model k from a stack with a leading models axis."""
    return jax.tree.map(lambda leaf: leaf[k], stack)


gap = max(
    float(
        np.max(
            np.abs(
                probabilities(model_k(stacked, k))
                - probabilities(model_k(reference, k))
            )
        )
    )
    for k in (0, 1)
)
print(
    f"largest difference in predicted probabilities from one device: {gap:.1e}"
)
facts.record("grid_gap", gap)
facts.verdict(
    "grid_verdict",
    gap < 1e-4 and output_gap < 1e-4,
    when_true="The printed differences are the check: the same model, trained on 1 device "
    "or on 8 (or on a 2 x 4 grid of models and data), computes the same outputs up to "
    f"float rounding (at most {max(gap, output_gap):.1e} apart).",
    when_false="The printed differences are the check, and it fails: trained on a grid or "
    f"on 8 devices, the models' outputs differ from one device's by up to "
    f"{max(gap, output_gap):.1e}, more than float rounding explains.",
)

# %% [markdown]
# ## What this lesson measured, and what changes on real hardware
#
# {{ fact("grid_verdict") }} On this CPU the 8 "devices" share two cores, so this
# lesson says nothing about speed; it shows that the program is correct when
# split.
#
# On real hardware the code does not change:
#
# * **One GPU machine with several GPUs**: `jax.devices()` lists them and
#   `make_mesh()` spans them. Keep the per-device batch large enough to fill
#   each GPU (the global batch grows with the device count) and scale the
#   learning rate with care.
# * **A GPU pod or a TPU slice (several hosts)**: every host runs the same
#   program and calls `jax.distributed.initialize()` first; `jax.devices()`
#   then lists every host's devices, each host loads only its share of the
#   data, and `jax.make_array_from_process_local_data` assembles the global
#   batch. The all-reduce then crosses the interconnect (NVLink, InfiniBand or
#   TPU ICI), which is why large per-device batches matter more there.
# * **Models that no longer fit on one device** need their *parameters*
#   sharded too (a `model` mesh axis, P("data", "model") specs); an LSTM of the
#   size in this course is nowhere near that.
#
# The batch size must be a multiple of the `data` axis: `finlstm.parallel`
# refuses one that is not, with the nearest sizes that would work, instead of
# padding (padding would change the gradient).
#
# **Going further** (open questions, beyond the Try-it tasks below). (1) Train 8 seeds on an 8 x 1 mesh. (2) Time one epoch on
# `make_mesh(data=1)` and `make_mesh(data=8)` and explain the result on a
# two-core machine. (3) Try `batch_size=60` on 8 devices and read the error.
#
# **References.** The JAX documentation, "Distributed arrays and automatic
# parallelization" and "Multi-process environments". Xu et al. (2021), GSPMD:
# general and scalable parallelization for ML computation graphs, arXiv
# 2105.04663.

# %% [markdown]
# ## Try it
#
# **1. Who holds which rows?** Predict first: with the batch of 64 windows on
# the 8-device mesh, how many rows does each device hold? Read them from the
# array's shards, then run the check. *What to look for:* every device holds
# an equal slice, so each computes the gradient of 1/8 of the batch.

# %% tags=["exercise-solution"]
rows_per_device = [shard.data.shape[0] for shard in batch.addressable_shards]

# %% tags=["exercise-check"]
print("rows per device:", rows_per_device, end=" ")
even = rows_per_device == [64 // mesh.size] * mesh.size
print("correct" if even else "not yet: use batch.addressable_shards")

# %% [markdown]
# **2. Same weights, to rounding.** Predict first: should 8 devices give
# bit-identical weights to 1 device? *What to look for:* the largest weight
# difference printed above; an all-reduce adds the 8 partial gradients in a
# different order from one device's sum, and float32 addition is not
# associative, so the gradients differ in their last bits, not zero. Adam can
# turn such a difference in a gradient close to zero into a whole step, which
# is why the outputs, not the raw weights, are the thing to compare.
