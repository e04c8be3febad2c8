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
# # Inside the cell: built, checked, and watched
#
# **The question.** The LSTM equations of Module 2 fit on five lines. Does the code in
# `finlstm` compute exactly those equations, do its gradients agree with calculus, and what
# does the forget gate's bias really change?
#
# This lesson answers each part with a measurement: the cell against Flax's own LSTM cell,
# its gradient against finite differences, and the gradient that flows along the cell state
# with the forget bias at 0 and at 1.

# %%
import inspect
import time

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from finlstm import facts, lstm, models, plots
from finlstm.devices import enable_compilation_cache, use_cpu_cores

use_cpu_cores()  # one XLA device per CPU core, before JAX starts (see the JAX primer)
enable_compilation_cache()  # compiled programs kept on disk (see the JAX primer)

# The lesson compares numbers to six digits, so it asks for full float32 matrix
# products. A CPU computes them anyway; on a GPU, JAX otherwise multiplies float32
# matrices in TensorFloat-32 (about three significant digits) and the checks would fail.
jax.config.update("jax_default_matmul_precision", "highest")

# The lesson's one source of randomness, split explicitly below.
key = jax.random.key(0)
print("JAX", jax.__version__, "on", jax.devices()[0].platform.upper())

# %% [markdown]
# ## The cell, line by line
#
# Here is the library's cell, printed from the tested source file. Read it against the
# equations: one product `z` holds the pre-activations of all four blocks (input gate $i$,
# forget gate $f$, candidate $g$, output gate $o$), each $H$ wide, and `lstm_gates` splits
# it into the four gates.
#
# $$z_t = x_t W_x + h_{t-1} W_h + b$$
#
# $$c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t)$$

# %%
print(inspect.getsource(lstm.lstm_gates))
print(inspect.getsource(lstm.lstm_cell))

# %% [markdown]
# ## Check 1: the same numbers as Flax's LSTM cell
#
# Flax keeps eight separate weight matrices (`ii`, `if`, ..., `ho`). We copy them into
# the fused layout, feed both cells the same random state and input, and compare.

# %%
features, hidden, batch = 3, 5, 4
key, init_key, weight_key, data_key = jax.random.split(key, 4)
flax_cell = nn.LSTMCell(features=hidden)
x = jax.random.normal(data_key, (batch, features))
variables = flax_cell.init(
    init_key, flax_cell.initialize_carry(init_key, x.shape), x
)
leaves, tree = jax.tree_util.tree_flatten(variables)
leaves = [
    jax.random.normal(k, a.shape)
    for k, a in zip(
        jax.random.split(weight_key, len(leaves)), leaves, strict=True
    )
]
variables = jax.tree_util.tree_unflatten(
    tree, leaves
)  # random biases too, not just zeros
p = variables["params"]
params = lstm.CellParams(
    w_x=jnp.concatenate([p[f"i{g}"]["kernel"] for g in "ifgo"], axis=1),
    w_h=jnp.concatenate([p[f"h{g}"]["kernel"] for g in "ifgo"], axis=1),
    b=jnp.concatenate([p[f"h{g}"]["bias"] for g in "ifgo"]),
)
print(
    "fused shapes:",
    {name: tuple(a.shape) for name, a in params._asdict().items()},
)

# %%
key, h_key, c_key = jax.random.split(key, 3)
h0, c0 = (
    jax.random.normal(h_key, (batch, hidden)),
    jax.random.normal(c_key, (batch, hidden)),
)
(flax_c, flax_h), _ = flax_cell.apply(
    variables, (c0, h0), x
)  # Flax orders its carry (c, h)
(our_h, our_c), _ = lstm.lstm_cell(params, (h0, c0), x)
print(f"largest |h difference|: {float(jnp.max(jnp.abs(our_h - flax_h))):.2e}")
print(f"largest |c difference|: {float(jnp.max(jnp.abs(our_c - flax_c))):.2e}")
assert jnp.allclose(our_h, flax_h, atol=1e-5) and jnp.allclose(
    our_c, flax_c, atol=1e-5
)

# %% [markdown]
# Differences at the level of float32 rounding ($10^{-7}$): the fused cell and Flax's
# cell are the same function.
#
# ## Check 2: gradients against finite differences
#
# `jax.grad` differentiates the scan over a whole sequence. A central difference
# $\big(L(\theta + \epsilon d) - L(\theta - \epsilon d)\big) / 2\epsilon$ along a random
# direction $d$ should agree with $\nabla L \cdot d$. In float64 the two agree to many digits.

# %%
tree_map, leaves = jax.tree_util.tree_map, jax.tree_util.tree_leaves
with jax.enable_x64(True):
    key, seq_key, dir_key = jax.random.split(key, 3)
    p64 = tree_map(lambda a: jnp.asarray(a, jnp.float64), params)
    xs = jax.random.normal(seq_key, (batch, 20, features), dtype=jnp.float64)

    def loss(q):  # a scalar of the last hidden state after 20 steps
        return jnp.sum(lstm.lstm_layer(q, xs)[1][:, -1] ** 2)

    d = tree_map(lambda a: jax.random.normal(dir_key, a.shape, a.dtype), p64)
    eps = 1e-6
    shifted = [
        tree_map(lambda a, v, s=s: a + s * eps * v, p64, d) for s in (1, -1)
    ]
    numeric = float((loss(shifted[0]) - loss(shifted[1])) / (2 * eps))
    grads = jax.grad(loss)(p64)
    pairs = zip(leaves(grads), leaves(d), strict=True)
    analytic = float(sum(jnp.vdot(g, v) for g, v in pairs))
print(f"finite difference: {numeric:.8f}\njax.grad:          {analytic:.8f}")
print(f"relative difference: {abs(numeric - analytic) / abs(numeric):.1e}")

# %% [markdown]
# ## The forget gate decides how far a gradient travels
#
# Along the cell state alone, $\partial c_t / \partial c_{t-1} = f_t$ (element-wise), so the
# gradient that reaches $k$ steps back is roughly a product of $k$ forget-gate values. With
# a bias of 0, a freshly initialised forget gate sits near $\sigma(0) = 0.5$; with the +1
# bias that `finlstm` uses (Gers et al. 2000; Jozefowicz et al. 2015) it sits near
# $\sigma(1) \approx 0.73$. (The full gradient has other paths too; we measure it, not
# just this one factor.) We measure $\lVert \partial c_T / \partial c_{T-k} \rVert$ for
# both, on a 100-step sequence, for freshly initialised layers of
# {{ fact("probe_units") }} units.


# %%
PROBE_UNITS = 32
facts.record("probe_units", PROBE_UNITS)


def cell_state_gradient(forget_bias, key, steps=100, hidden=PROBE_UNITS):
    """‖∂c_T/∂c_t‖ (Frobenius) for every step t of one random 1-feature sequence, indexed
    by k = T - t steps back. One reverse-mode pass gives all of them: a zero `nudge` is added
    to c after every step, and the Jacobian of c_T with respect to the nudges is ∂c_T/∂c_t."""
    init_key, data_key = jax.random.split(key)
    xs = jax.random.normal(
        data_key, (steps, 1, 1)
    )  # time-major: (time, batch=1, features=1)
    p = models.LSTMLayer(hidden, forget_bias=forget_bias).init(
        init_key, jnp.ones((1, steps, 1))
    )["params"]
    cell = lstm.CellParams(p["w_x"], p["w_h"], p["b"])

    def final_c(nudges):  # nudges: (time, 1, hidden), all zero
        def step(carry, inputs):
            (h, c), _ = lstm.lstm_cell(cell, carry, inputs[0])
            return (h, c + inputs[1]), None

        (_, c_last), _ = jax.lax.scan(
            step, lstm.zero_carry(1, hidden), (xs, nudges)
        )
        return c_last[0]

    jacobian = jax.jacrev(final_c)(
        jnp.zeros((steps, 1, hidden))
    )  # (hidden, time, 1, hidden)
    per_step = np.linalg.norm(
        np.asarray(jacobian).transpose(1, 0, 2, 3).reshape(steps, -1), axis=1
    )
    return per_step[::-1][1:]  # k = 1 .. steps-1


# %%
key, *seed_keys = jax.random.split(key, 6)
norms = {
    bias: np.mean([cell_state_gradient(bias, k) for k in seed_keys], axis=0)
    for bias in (0.0, 1.0)
}
for bias, curve in norms.items():
    per_step = (curve[49] / curve[9]) ** (
        1 / 40
    )  # geometric mean decay from k=10 to k=50
    print(
        f"forget bias {bias:.0f}: norm at k=1 {curve[0]:.3f}, k=10 {curve[9]:.2e}, "
        f"k=50 {curve[49]:.2e}; shrinks by {per_step:.3f} per step "
        f"(sigmoid(bias) = {1 / (1 + np.exp(-bias)):.3f})"
    )
gain_at_50 = norms[1.0][49] / norms[0.0][49]
facts.record("bias_gain_k50", gain_at_50)
facts.verdict(
    "bias_verdict",
    gain_at_50 >= 100,
    when_true=(
        f"With bias 1 the gradient 50 steps back is {gain_at_50:.1e} times larger than with "
        f"bias 0, {np.log10(gain_at_50):.0f} orders of magnitude, which is why the +1 "
        "initialisation matters."
    ),
    when_false=(
        f"With bias 1 the gradient 50 steps back is only {gain_at_50:.1f} times larger than "
        "with bias 0 here, less than the two orders of magnitude the +1 initialisation is "
        "known for."
    ),
)


# %%
def draw_forget(fig):
    ax = fig.add_subplot()
    steps = np.arange(1, len(norms[0.0]) + 1)
    for bias, curve in norms.items():
        ax.semilogy(steps, curve, label=f"forget-gate bias {bias:.0f}")
    ax.set(
        title="Gradient along the cell state, at initialisation",
        xlabel="steps back in time, k",
        ylabel="‖∂c_T / ∂c_(T−k)‖ (log scale)",
    )
    ax.legend()


plots.show(
    draw_forget,
    alt="Cell-state gradient norm against steps back, for forget bias 0 and 1; the bias-1 curve decays far more slowly.",
)

# %% [markdown]
# Both curves fall exponentially: the cell state *mitigates* the vanishing gradient, it does
# not abolish it. {{ fact("bias_verdict") }} The measured per-step shrink factor is closer to 1 than $\sigma(\text{bias})$
# alone: the gradient also returns through $h$ and the gates, not only along $f_t$, but
# the forget gate still sets which curve stays alive. Whether training then pushes $f_t$
# closer to 1 where a task needs long memory is a question about trained networks; this
# lesson measures freshly initialised ones only, and Lesson 1 does not measure gates.
#
# ## Shapes through the scan, and what `jit` buys
#
# A layer takes `(batch, time, features)`; `jax.lax.scan` walks the time axis, carrying
# `(h, c)`; the output stacks every step's `h`.

# %%
model = models.StackedLSTM(
    models.ModelConfig()
)  # the course model: 128 -> 64 -> 25 -> 1
key, init_key, data_key = jax.random.split(key, 3)
batch_x = jax.random.normal(
    data_key, (64, 60, 5)
)  # 64 windows, 60 days, 5 features
variables = model.init(init_key, batch_x)
print("input      ", batch_x.shape, "(batch, time, features)")
hs = models.LSTMLayer(128).apply(
    {"params": variables["params"]["lstm_0"]}, batch_x
)
print(
    "LSTM(128)  ",
    hs.shape,
    "(batch, time, hidden): every step, fed to the next layer",
)
print("model      ", model.apply(variables, batch_x).shape, "(batch, outputs)")
print(f"parameters  {models.count_params(variables['params']):,}")


# %% tags=["timing"]
def median_ms(fn, *args, runs=20):
    """Median wall time of fn(*args) in milliseconds over `runs` calls, after one warm-up."""
    jax.block_until_ready(fn(*args))
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        jax.block_until_ready(fn(*args))
        times.append(time.perf_counter() - started)
    return 1e3 * float(np.median(times))


forward = jax.jit(model.apply)
started = time.perf_counter()
forward(variables, batch_x).block_until_ready()
first = time.perf_counter() - started
later = median_ms(forward, variables, batch_x)
print(f"first call (trace + compile + run): {first * 1e3:8.1f} ms")
print(f"later calls (median of 20):         {later:8.1f} ms")

# %% [markdown]
# The first call traces the Python code into a program and compiles it with XLA; later calls
# with the same shapes reuse the compiled program. The exact times depend on the machine
# (the cells that time something are the only ones in this lesson whose output changes
# between runs). A new input shape, such as a smaller last batch, compiles again, which is
# why `finlstm.train` keeps every training batch the same size.
#
# **Which code trains the course's models.** The course model above computes this cell,
# but by default (`ModelConfig(fast=True)`) its layers run `finlstm.fast_lstm`: the same
# equations, with the backward pass written by hand instead of derived by `jax.grad`,
# because that trains faster on a CPU. The numbers are the same: `tests/test_fast_lstm.py`
# compares the two layers' outputs and gradients on every change, and
# `ModelConfig(fast=False)` trains with this lesson's `lstm.lstm_layer`. How the
# hand-written backward pass works, and what it saves, is on the "How fast is it?" page:
# [why the library's layer is fast](../../performance/#why-the-librarys-layer-is-fast).
#
# ## What this lesson measured
#
# * The fused cell equals Flax's `LSTMCell` to float32 rounding, so the equations on the
#   Module 2 page are exactly what runs.
# * `jax.grad` through the scan agrees with finite differences.
# * At initialisation the cell-state gradient decays exponentially with distance.
#   {{ fact("bias_verdict") }}
# * One compiled program serves every call of the same shape.

# %% [markdown]
# ## Try it: write the cell yourself
#
# Reading the library's cell is not the same as writing one. Write `lstm_step`,
# one time step of the LSTM, in plain NumPy and in the notation of the Module 2
# page: one weight matrix $W$ applied to the previous hidden state and the input
# side by side, $z_t = [h_{t-1}, x_t]\,W + b$. That is the library's product in
# one line: with $W$ stacked as $W_h$ on top of $W_x$,
#
# $$[h_{t-1}, x_t]\,W = h_{t-1} W_h + x_t W_x,$$
#
# so $z_t = x_t W_x + h_{t-1} W_h + b$.
#
# **Predict first:** if you swap the forget gate's and the input gate's blocks,
# which of $c_t$ and $h_t$ goes wrong? Then fill in the blanks (`____`) of this
# cell in your copy of the notebook, run it and run the check below it.
#
# ```python
# def lstm_step(x, h_prev, c_prev, W, b):
#     """x: (batch, D); h_prev, c_prev: (batch, H); W: (H + D, 4H); b: (4H,)."""
#     z = np.concatenate([h_prev, x], axis=-1) @ W + b  # (batch, 4H)
#     # four blocks of H columns, in the order i, f, g, o
#     z_i, z_f, z_g, z_o = np.split(z, 4, axis=-1)
#     i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o)
#     g = ____  # the candidate
#     c = ____  # the new cell state
#     h = ____  # the new hidden state
#     return h, c, (i, f, g, o)
# ```
#
# <details><summary>Solution (open it after you have tried)</summary>
#
# ```python
# def lstm_step(x, h_prev, c_prev, W, b):
#     """x: (batch, D); h_prev, c_prev: (batch, H); W: (H + D, 4H); b: (4H,)."""
#     z = np.concatenate([h_prev, x], axis=-1) @ W + b  # (batch, 4H)
#     # four blocks of H columns, in the order i, f, g, o
#     z_i, z_f, z_g, z_o = np.split(z, 4, axis=-1)
#     i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o)
#     g = np.tanh(z_g)  # the candidate
#     c = f * c_prev + i * g  # the new cell state
#     h = o * np.tanh(c)  # the new hidden state
#     return h, c, (i, f, g, o)
# ```
#
# </details>
#
# The next cell holds the solution (on this page only its output shows); in
# your copy of the notebook, write yours in its place.


# %% tags=["exercise-solution", "remove-input"]
def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def lstm_step(x, h_prev, c_prev, W, b):
    """x: (batch, D); h_prev, c_prev: (batch, H); W: (H + D, 4H); b: (4H,)."""
    z = np.concatenate([h_prev, x], axis=-1) @ W + b  # (batch, 4H)
    # four blocks of H columns, in the order i, f, g, o
    z_i, z_f, z_g, z_o = np.split(z, 4, axis=-1)
    i, f, o = sigmoid(z_i), sigmoid(z_f), sigmoid(z_o)
    g = np.tanh(z_g)  # the candidate
    c = f * c_prev + i * g  # the new cell state
    h = o * np.tanh(c)  # the new hidden state
    return h, c, (i, f, g, o)


print("lstm_step defined")


# %% [markdown]
# The check feeds your function and the library's `lstm.lstm_cell` the same
# random weights and states, and compares the four gates, then $c_t$, then
# $h_t$. It says "correct", or names the first quantity that differs and what
# to look at.


# %% tags=["exercise-check"]
GATE_NAMES = {
    "i": "the input gate i",
    "f": "the forget gate f",
    "g": "the candidate g",
    "o": "the output gate o",
}


def check_lstm_step(step, seed=0, features=3, hidden=5, batch=4):
    """'correct', or a sentence naming the first gate or state where `step`
    differs from finlstm.lstm.lstm_cell on random inputs."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, features))
    h_prev, c_prev = rng.normal(size=(2, batch, hidden))
    w_x = rng.normal(size=(features, 4 * hidden))
    w_h = rng.normal(size=(hidden, 4 * hidden))
    b = rng.normal(size=4 * hidden)
    params = lstm.CellParams(
        *(jnp.asarray(a, jnp.float32) for a in (w_x, w_h, b))
    )
    carry = (jnp.asarray(h_prev, jnp.float32), jnp.asarray(c_prev, jnp.float32))
    (h_ref, c_ref), _ = lstm.lstm_cell(
        params, carry, jnp.asarray(x, jnp.float32)
    )
    z = x @ w_x + h_prev @ w_h + b
    z_i, z_f, z_g, z_o = np.split(z, 4, axis=-1)
    gates_ref = {  # the learner's own sigmoid is not trusted here
        "i": 1 / (1 + np.exp(-z_i)),
        "f": 1 / (1 + np.exp(-z_f)),
        "g": np.tanh(z_g),
        "o": 1 / (1 + np.exp(-z_o)),
    }
    W = np.concatenate([w_h, w_x], axis=0)  # [h, x] @ W = h @ w_h + x @ w_x
    h, c, gates = step(x, h_prev, c_prev, W, b)
    for name, mine in zip("ifgo", gates, strict=True):
        if not np.allclose(mine, gates_ref[name], atol=1e-5):
            return f"{GATE_NAMES[name]} differs: check its block of z and its activation"
    if not np.allclose(c, c_ref, atol=1e-5):
        return "the cell state c differs: c = f * c_prev + i * g"
    if not np.allclose(h, h_ref, atol=1e-5):
        return "the hidden state h differs: h = o * tanh(c)"
    return "correct"


print(check_lstm_step(lstm_step))

# %% [markdown]
# ## More to try
#
# **Forget bias 2.** Predict first: with the forget bias at 2 instead of 1, how
# far back does the cell-state gradient reach, and what might it cost? Repeat
# the forget-gate experiment above with bias 2. *What to look for:* the curve's
# slope on the log scale, and whether the cell can still forget quickly when it
# should (a forget gate near $\sigma(2) \approx 0.88$ at the start).
#
# **Batch size and time.** Predict first: does the forward pass take four times
# as long at batch `256` as at `64`? Time it with the `median_ms` helper above:
# `median_ms(forward, variables, bigger)`, where `bigger` stacks four copies of
# `batch_x` along the batch axis.
# *What to look for:* on a CPU small batches cost less than their size suggests,
# because each step's matrix product is tiny and the fixed cost per step
# dominates.
