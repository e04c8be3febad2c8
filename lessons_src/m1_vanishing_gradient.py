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
# # The vanishing gradient, measured
#
# **The question.** Module 1 claims that a plain recurrent network cannot learn to use
# information from far back in a sequence, and that an LSTM can. Is that true, from what
# distance, and can we see the reason in the gradients?
#
# We use the *adding problem* of Hochreiter & Schmidhuber (1997). Each sequence has $T$
# steps; each step carries a random value in $[0, 1]$ and a marker. Exactly two steps are
# marked, one in each half of the sequence, and the target is the sum of the two marked
# values. To succeed, a network must notice the first marked value and carry it for up to
# $T$ steps. Predicting the average sum, $2 \cdot \tfrac{1}{2} = 1$, without looking gives a mean squared error of
# $2 \cdot \tfrac{1}{12} = \tfrac{1}{6} \approx 0.167$: that is the baseline to beat.

# %%
import time

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from finlstm import facts, lstm, models, plots
from finlstm.devices import enable_compilation_cache, use_cpu_cores
from finlstm.parallel import train_many
from finlstm.train import TrainConfig, make_optimizer

use_cpu_cores()  # one XLA device per CPU core, before JAX starts (see the JAX primer)
enable_compilation_cache()  # compiled programs kept on disk (see the JAX primer)

key = jax.random.key(
    1997
)  # the lesson's one seed; every other key is split from it


# %%
def adding_batch(key, batch, steps):
    """(inputs (batch, steps, 2): value and marker; targets (batch,): sum of marked values).

    One uniform draw of steps + 2 numbers per sequence: its values, then where its two
    markers go (one random program instead of four, so each training compiles faster).
    """
    draws = jax.random.uniform(key, (batch, steps + 2))
    values, half, rest = draws[:, :steps], steps // 2, steps - steps // 2
    # the first marker in [0, half), the second in [half, steps)
    first = jnp.minimum(draws[:, steps] * half, half - 1).astype(int)
    second = half + jnp.minimum(draws[:, -1] * rest, rest - 1).astype(int)
    markers = jax.nn.one_hot(first, steps) + jax.nn.one_hot(second, steps)
    return jnp.stack([values, markers], axis=-1), jnp.sum(
        values * markers, axis=1
    )


key, example_key = jax.random.split(key)
x, y = adding_batch(example_key, 1, 10)
print(
    "one sequence, T = 10 (value, marker):\n", np.round(np.asarray(x[0]), 2).T
)
print("target:", round(float(y[0]), 3))


# %% [markdown]
# ## Two networks of about the same size
#
# A plain tanh RNN with {{ fact("rnn_units") }} units and an LSTM with
# {{ fact("lstm_units") }} units have about the same number of parameters (the LSTM has four weight blocks per unit). Both read the whole sequence and
# a dense layer maps the last hidden state to the prediction.


# %%
class AddingNet(nn.Module):
    kind: str  # "rnn" or "lstm"
    hidden: int

    @nn.compact
    def __call__(self, x):
        layer = (
            models.LSTMLayer(self.hidden)
            if self.kind == "lstm"
            else models.RNNLayer(self.hidden)
        )
        return nn.Dense(1)(layer(x)[:, -1])[:, 0]


NETS = {"RNN": AddingNet("rnn", 32), "LSTM": AddingNet("lstm", 16)}
for name, net in NETS.items():
    params = net.init(jax.random.key(0), jnp.zeros((1, 10, 2)))["params"]
    print(f"{name:5s} parameters: {models.count_params(params)}")
facts.record("rnn_units", NETS["RNN"].hidden)
facts.record("lstm_units", NETS["LSTM"].hidden)

# %% [markdown]
# ## Many runs in one program
#
# For each length $T$ and each network we train {{ fact("seeds") }} seeds *in one compiled
# program*: `finlstm.parallel.train_many` runs `jax.lax.scan` over {{ fact("steps", ",") }} Adam
# steps of {{ fact("batch") }} fresh sequences each, for every seed, with the seeds split over the devices. On a GPU it
# batches the seeds with `jax.vmap`; on a CPU each core trains its seeds one after
# another, which measured about twice as fast there (the "How fast is it?" page). To test
# them, `jax.vmap` maps the loss of one network over the stacked parameters of all seeds.
# A run *succeeds* when its mean squared error on {{ fact("test_sequences", ",") }} new test
# sequences is below {{ fact("success_mse") }}, {{ fact("success_share_of_baseline", ".0%") }}
# of the baseline's.

# %%
LENGTHS, SEEDS, STEPS, BATCH, SUCCESS_MSE = (10, 25, 50, 100), 2, 1500, 64, 0.01
TEST_SEQUENCES = 2000
for name, value in (("seeds", SEEDS), ("steps", STEPS), ("batch", BATCH)):
    facts.record(name, value)
facts.record("success_mse", SUCCESS_MSE)
facts.record("test_sequences", TEST_SEQUENCES)
facts.record("success_share_of_baseline", SUCCESS_MSE / (1 / 6))
optimizer = make_optimizer(TrainConfig(learning_rate=1e-2, clip_norm=1.0))


def train_runs(net, steps_in_sequence, key):
    def init(k):
        return net.init(k, jnp.zeros((1, steps_in_sequence, 2)))["params"]

    def loss(params, k):
        x, y = adding_batch(k, BATCH, steps_in_sequence)
        return jnp.mean((net.apply({"params": params}, x) - y) ** 2)

    return train_many(
        init,
        loss,
        jax.random.split(key, SEEDS),
        steps=STEPS,
        optimizer=optimizer,
    )


# %%
def test_mse(net, stacked_params, x, y):
    """Test MSE of every seed's network: vmap over the stacked parameters."""
    return jax.vmap(lambda p: jnp.mean((net.apply({"params": p}, x) - y) ** 2))(
        stacked_params
    )


key, train_key, test_key = jax.random.split(key, 3)
results, trained = {}, {}
started = time.perf_counter()
for length in LENGTHS:
    x_test, y_test = adding_batch(
        jax.random.fold_in(test_key, length), TEST_SEQUENCES, length
    )
    for name, net in NETS.items():
        params, _ = train_runs(
            net, length, jax.random.fold_in(train_key, length)
        )
        results[name, length] = np.asarray(
            test_mse(net, params, x_test, y_test)
        )
        trained[name, length] = params
print(f"trained {len(results) * SEEDS} networks")

# %% tags=["timing"]
print(f"in {time.perf_counter() - started:.0f} s")

# %%
print(
    f"{'T':>4} | {'RNN test MSE per seed':^32} | {'LSTM test MSE per seed':^32} | baseline"
)
for length in LENGTHS:
    rnn, lstm_mse = (
        " ".join(f"{m:7.4f}" for m in results[n, length]) for n in NETS
    )
    print(f"{length:4d} | {rnn:^32} | {lstm_mse:^32} | {1 / 6:.4f}")
success = {
    n: [float(np.mean(results[n, t] < SUCCESS_MSE)) for t in LENGTHS]
    for n in NETS
}
print(
    "\nsuccess rate (MSE < 0.01):",
    {n: dict(zip(LENGTHS, s, strict=True)) for n, s in success.items()},
)
wins = {
    n: [int(np.sum(results[n, t] < SUCCESS_MSE)) for t in LENGTHS] for n in NETS
}
for name in NETS:
    for length, won in zip(LENGTHS, wins[name], strict=True):
        facts.record(f"{name.lower()}_successes_t{length}", won)
facts.record(
    "success_sentence",
    "Successful runs out of "
    + f"{SEEDS} seeds, by length: "
    + "; ".join(
        f"T = {t}: RNN {r}, LSTM {m}"
        for t, r, m in zip(LENGTHS, wins["RNN"], wins["LSTM"], strict=True)
    )
    + ".",
)


# "At the baseline": the median seed's test error within 10% of always predicting 1.0.
def near_baseline(length):
    return abs(np.median(results["RNN", length]) * 6 - 1) < 0.1


at_baseline = [
    t for i, t in enumerate(LENGTHS) if all(map(near_baseline, LENGTHS[i:]))
]
facts.verdict(
    "rnn_baseline_verdict",
    bool(at_baseline),
    when_true=(
        f"From T = {at_baseline[0] if at_baseline else 0} on, the RNN's median test "
        "error sits at the baseline's 1/6: it learned nothing better than predicting "
        "the average."
    ),
    when_false=(
        "At no length tried does the RNN's median test error reach the baseline's 1/6."
    ),
)
lstm_all = all(w == SEEDS for w in wins["LSTM"])
facts.verdict(
    "lstm_verdict",
    lstm_all,
    when_true="The LSTM of about the same size succeeds in every seed at every length.",
    when_false=(
        "The LSTM of about the same size does not succeed in every seed at every length "
        "(the counts above)."
    ),
)


# %%
def draw_success(fig):
    ax = fig.add_subplot()
    for offset, (name, rates) in zip((-1.5, 1.5), success.items(), strict=True):
        ax.plot(np.array(LENGTHS) + offset, rates, marker="o", label=name)
    ax.set(
        title="Adding problem: runs that learned the task",
        xlabel="sequence length T (steps)",
        ylabel=f"success rate over {SEEDS} seeds",
        ylim=(-0.05, 1.05),
        xticks=LENGTHS,
    )
    ax.legend()


plots.show(
    draw_success,
    alt="Success rate against sequence length for the RNN and the LSTM.",
)


# %%
def draw_mse(fig):
    ax = fig.add_subplot()
    for name in NETS:
        ax.plot(
            LENGTHS,
            [np.median(results[name, t]) for t in LENGTHS],
            marker="o",
            label=f"{name} (median of seeds)",
        )
    ax.axhline(
        1 / 6,
        color="gray",
        linestyle="--",
        label="baseline: always predict 1.0",
    )
    ax.set(
        title="Adding problem: test error against sequence length",
        xlabel="sequence length T (steps)",
        ylabel="test mean squared error",
        yscale="log",
        xticks=LENGTHS,
    )
    ax.legend()


plots.show(
    draw_mse,
    alt="Test MSE against sequence length, RNN, LSTM and the 1/6 baseline.",
)

# %% [markdown]
# Read the table, not just the chart. {{ fact("success_sentence") }}
# {{ fact("rnn_baseline_verdict") }} {{ fact("lstm_verdict") }}
#
# ## Why: the gradient that reaches step $T - k$
#
# Training adjusts weights in proportion to the gradient of the loss. For the first marked
# value to be learned, the gradient has to travel back from the output at step $T$ to the
# step where that value arrived. We measure it directly: $\lVert \partial L / \partial h_{T-k}
# \rVert$, the size of the gradient arriving at the hidden state $k$ steps before the end,
# averaged over a batch, for the $T = 100$ networks at initialisation and after training.


# %%
def gradient_by_distance(net_name, params, x, y):
    """‖∂L/∂h_t‖ for every step, indexed by k = T - 1 - t (steps before the end)."""
    net, p = NETS[net_name], params
    layer_key = "LSTMLayer_0" if net.kind == "lstm" else "RNNLayer_0"
    layer, head = p[layer_key], p["Dense_0"]
    hidden = net.hidden
    xs = jnp.swapaxes(x, 0, 1)  # time-major

    def loss(
        nudges,
    ):  # zero nudges added to h after each step; d loss / d nudge_t = d L / d h_t
        def step(carry, inputs):
            x_t, nudge = inputs
            if net.kind == "lstm":
                (h, c), _ = lstm.lstm_cell(lstm.CellParams(**layer), carry, x_t)
                return (h + nudge, c), None
            h, _ = lstm.rnn_cell(lstm.RNNParams(**layer), carry, x_t)
            return h + nudge, None

        start = (
            lstm.zero_carry(x.shape[0], hidden)
            if net.kind == "lstm"
            else jnp.zeros((x.shape[0], hidden))
        )
        final, _ = jax.lax.scan(step, start, (xs, nudges))
        h_last = final[0] if net.kind == "lstm" else final
        prediction = (h_last @ head["kernel"] + head["bias"])[:, 0]
        return jnp.mean((prediction - y) ** 2)

    grads = jax.grad(loss)(jnp.zeros((x.shape[1], x.shape[0], hidden)))
    return np.asarray(jnp.linalg.norm(grads, axis=-1).mean(axis=1))[::-1]


# %%
T = 100
key, grad_key, init_key = jax.random.split(key, 3)
x_probe, y_probe = adding_batch(grad_key, 256, T)
curves = {}
for name, net in NETS.items():
    initial = net.init(init_key, x_probe[:1])["params"]
    trained_seed0 = jax.tree_util.tree_map(lambda a: a[0], trained[name, T])
    curves[name, "at initialisation"] = gradient_by_distance(
        name, initial, x_probe, y_probe
    )
    curves[name, "after training"] = gradient_by_distance(
        name, trained_seed0, x_probe, y_probe
    )
for (name, when), curve in curves.items():
    print(
        f"{name:4s} {when:18s}: k=0 {curve[0]:.1e}  k=10 {curve[10]:.1e}  k=50 {curve[50]:.1e}  k=99 {curve[99]:.1e}"
    )
rnn_after, lstm_after = (
    curves["RNN", "after training"],
    curves["LSTM", "after training"],
)
for k in (0, 10, 50, 99):
    facts.record(f"rnn_trained_k{k}", rnn_after[k])
    facts.record(f"lstm_trained_k{k}", lstm_after[k])
facts.verdict(
    "rnn_trained_verdict",
    rnn_after[50] == 0.0,
    when_true=(
        "After training, the RNN's gradient at the first half of the sequence, where the "
        "first marked value sits, is exactly zero in float32 at k = 50 and k = 99: that "
        "value sends back no learning signal at all."
    ),
    when_false=(
        f"After training, the RNN's gradient at k = 50 is {rnn_after[50] / rnn_after[0]:.1e} "
        "times its size at the end: the first marked value sends back almost no learning "
        "signal."
    ),
)
drop_first_ten = lstm_after[0] / lstm_after[10]
far_over_near = lstm_after[99] / lstm_after[10]
facts.record("lstm_drop_first_ten", drop_first_ten)
facts.record("lstm_k99_over_k10", far_over_near)
if far_over_near >= 1:
    lstm_far = (
        f"then no longer falls: at k = 99 it is {far_over_near:.2f} times its size at "
        "k = 10, so the first marked value still sends back a signal."
    )
elif far_over_near > 0.1:
    lstm_far = (
        f"then falls much more slowly: at k = 99 it is {far_over_near:.2f} times its size "
        "at k = 10, so the first marked value still sends back a signal."
    )
else:
    lstm_far = f"and keeps falling: at k = 99 it is {far_over_near:.1e} times its size at k = 10."
facts.record(
    "lstm_trained_sentence",
    f"After training, the LSTM's gradient falls {drop_first_ten:.0f}-fold over the last "
    f"ten steps and {lstm_far}",
)


# %%
def draw_gradients(fig):
    axes = fig.subplots(1, 2, sharey=True)
    for ax, when in zip(
        axes, ("at initialisation", "after training"), strict=True
    ):
        for name in NETS:
            ax.semilogy(curves[name, when], label=name)
        ax.set(title=when, xlabel="steps before the end, k")
    axes[0].set_ylabel("‖∂L/∂h_(T−k)‖ (log scale)")
    axes[0].legend()
    fig.suptitle(f"Gradient reaching each step, T = {T}", fontweight="bold")


plots.show(
    draw_gradients,
    figsize=(9, 4),
    alt="Gradient norm against steps before the end for RNN and LSTM, before and after training.",
)

# %% [markdown]
# The plain RNN's gradient shrinks by a roughly constant factor per step: a straight line
# falling on the log scale. {{ fact("rnn_trained_verdict") }} The LSTM's gradient also
# decays at initialisation (its forget gate starts near $\sigma(1) \approx 0.73$, not 1).
# {{ fact("lstm_trained_sentence") }} That is what *mitigate* means: the LSTM does not make
# gradients immune to distance.
#
# ## What this lesson measured
#
# * {{ fact("success_sentence") }}
# * {{ fact("rnn_baseline_verdict") }} {{ fact("lstm_verdict") }}
# * The reason is visible in the gradient reaching $k$ steps back: exponential decay for the
#   RNN at initialisation. {{ fact("rnn_trained_verdict") }}
#
# **Going further** (open questions, beyond the Try-it tasks below). (1) Add $T = 200$: does the LSTM still succeed in `STEPS` steps, and what
# happens with more? (2) Set the LSTM's forget bias to 0 (`models.LSTMLayer(16,
# forget_bias=0.0)`) and rerun $T = 100$. (3) Give the RNN as many units as it needs to
# match the LSTM's parameters twice over: does size rescue it?
#
# **Reference.** Hochreiter, S. & Schmidhuber, J. (1997). Long short-term memory. *Neural
# Computation* 9(8), 1735-1780.

# %% [markdown]
# ## Try it
#
# **1. The baseline, measured.** Predict first: what mean squared error does
# "always predict `1.0`" get on the test sequences of the last length tried
# ($T = 100$)? The introduction derived it; write the measurement in the cell
# below and run the check. *What to look for:* the measurement should sit
# within sampling error of $1/6$, the line the RNN's error climbs to.

# %% tags=["exercise-solution"]
always_one = float(jnp.mean((y_test - 1.0) ** 2))  # y_test: the last T tried

# %% tags=["exercise-check"]
print(f"measured {always_one:.4f}, derived {1 / 6:.4f}:", end=" ")
near = abs(always_one - 1 / 6) < 0.02
print(
    "correct" if near else "not yet: is the prediction 1.0 on every sequence?"
)

# %% [markdown]
# **2. The factor per step.** Predict first: by what factor does the plain
# RNN's gradient shrink per step back in time at initialisation, a little
# below 1 or far below? Fit a straight line to the logarithm of its curve over
# the last $50$ steps; the slope is the log of the factor. *What to look for:*
# raised to the power $50$, even a factor of 0.9 leaves about half a percent.

# %% tags=["exercise-solution"]
k = np.arange(50)
rnn_curve = np.maximum(curves["RNN", "at initialisation"][:50], 1e-38)
rnn_factor = float(np.exp(np.polyfit(k, np.log(rnn_curve), 1)[0]))

# %% tags=["exercise-check"]
print(f"RNN gradient factor per step: {rnn_factor:.3f};", end=" ")
print(f"after 50 steps: {rnn_factor**50:.1e}:", end=" ")
print("correct" if 0 < rnn_factor < 1 else "not yet: fit log(norm) against k")
