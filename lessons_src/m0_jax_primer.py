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
# # JAX and Flax in one sitting
#
# **The question.** The lessons write their models in JAX and Flax. Which six
# ideas do you need to read them, and what does each one do to a tiny piece of
# the course's own code?
#
# If you know NumPy you know most of JAX already: `jax.numpy` (imported as `jnp`)
# has the same functions. What JAX adds is a handful of *transformations*, each
# a function that takes your function and returns a new one: `jax.jit` compiles
# it, `jax.grad` differentiates it, `jax.vmap` maps it over a batch, and
# `jax.lax.scan` loops it over time. Flax adds neural-network layers on top.
# This lesson takes each in turn with a small example, and ends with three
# "Try it" tasks.

# %%
import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

from finlstm import models, plots
from finlstm.data import load_prices
from finlstm.devices import enable_compilation_cache, use_cpu_cores

# Importing finlstm changes nothing in this process. The course asks for its CPU
# set-up explicitly, before JAX's first computation: one XLA device per CPU core
# (XLA runs each step of a loop on one core, but two devices run at once, so
# `finlstm.train.fit` splits every batch over them). Every lesson starts with it,
# and with a second call: compiled programs are kept on disk (~/.cache/finlstm/jax),
# so a program compiled once, in any lesson or an earlier run, is loaded instead of
# compiled again (set the environment variable FINLSTM_JAX_CACHE=off to opt out).
use_cpu_cores()
enable_compilation_cache()

prices = load_prices("sp500")  # real data, bundled: the lesson runs offline
close = jnp.asarray(prices["Close"].to_numpy()[-250:], dtype=jnp.float32)
print("source:", prices.attrs["source"])
print("last year of closes:", close.shape, close.dtype)

# %% [markdown]
# ## 1 · Arrays and `jax.jit`
#
# A JAX array works like a NumPy array, with one difference: it cannot be
# changed in place. `a[0] = 1` is an error; `a.at[0].set(1)` returns a new
# array. Everything else in this section is ordinary NumPy-style code: the daily
# log returns, $r_t = \log p_t - \log p_{t-1}$, that Module 4 forecasts.
#
# JAX computes in float32 unless told otherwise, so results agree with NumPy's
# float64 to about six significant digits, not to the last bit.
#
# `jax.jit` compiles a function for the shapes it is called with. The first
# call *traces* the function: Python runs once with placeholder arrays, and the
# `print` inside shows that happening. Later calls with the same shapes run the
# compiled program and skip the Python code entirely, so the `print` stays
# silent. This is why the library's training loops are fast, and why code
# inside a jitted function must not rely on Python side effects.


# %%
def log_returns(close):
    print("  tracing log_returns for shape", close.shape)
    return jnp.diff(jnp.log(close))


fast_log_returns = jax.jit(log_returns)
print("first call:")
returns = fast_log_returns(close)
print("second call (compiled, no tracing):")
returns = fast_log_returns(close)
reference = np.diff(np.log(np.asarray(close, dtype=np.float64)))
print(
    "largest difference from NumPy in float64:",
    np.abs(returns - reference).max(),
)
print("a copy with the first return set to 0:", returns.at[0].set(0.0)[:3])

# %% [markdown]
# ## 2 · `jax.grad`: derivatives of your own function
#
# `jax.grad(f)` is a new function that returns the derivative of `f` with
# respect to its first argument. Take the simplest forecast in the course,
# "tomorrow's return is `a` times today's", and its mean squared error
# $L(a) = \frac{1}{n}\sum_t (a\,r_{t-1} - r_t)^2$. By hand,
# $L'(a) = \frac{2}{n}\sum_t (a\,r_{t-1} - r_t)\,r_{t-1}$; `jax.grad` gets the
# same number from the code alone. Training a network is this, repeated: the
# gradient of the loss with respect to every weight, then a small step against
# it.


# %%
def forecast_loss(a, returns):
    prediction = a * returns[:-1]
    return jnp.mean((prediction - returns[1:]) ** 2)


a = 0.5
by_jax = jax.grad(forecast_loss)(a, returns)
by_hand = 2 * jnp.mean((a * returns[:-1] - returns[1:]) * returns[:-1])
print(f"dL/da by jax.grad: {by_jax:.3e}   by hand: {by_hand:.3e}")

# %% [markdown]
# ## 3 · `jax.vmap`: one function, many inputs
#
# `jax.vmap(f)` runs `f` on every slice of a batch, as if you had written the
# loop, but as one array program. Here it evaluates the loss for many values of
# `a` at once. Lesson 1 uses the same idea to test four trained networks in one
# call: their parameters are stacked along a first axis and `vmap` maps the loss
# over it.

# %%
candidates = jnp.linspace(-1.0, 1.0, 41)
losses = jax.vmap(forecast_loss, in_axes=(0, None))(candidates, returns)
print("losses for", candidates.shape[0], "values of a:", losses.shape)
best = candidates[jnp.argmin(losses)]
print(f"lowest loss at a = {best:+.2f}")
print(
    f"persistence of returns (a = 1) has loss {forecast_loss(1.0, returns):.2e}"
)
print(
    f"predicting zero (a = 0) has loss      {forecast_loss(0.0, returns):.2e}"
)

# %% [markdown]
# `in_axes=(0, None)` says: map over axis 0 of the first argument, and pass
# the second argument unchanged to every call.
#
# ## 4 · `jax.lax.scan`: a loop that carries a state
#
# A recurrent network is a loop over time that carries a state from one step
# to the next. `jax.lax.scan(step, carry, xs)` is that loop: it calls
# `carry, y = step(carry, x)` for each `x` in `xs` (along the first axis) and
# returns the final carry and the stacked `y`s. The simplest such state is a
# running sum, and it already is an LSTM's cell state with every gate open:
# $c_t = c_{t-1} + x_t$. Multiply the old state by a *forget* factor $f < 1$
# and the sum starts to forget, which is exactly what the LSTM's forget gate
# does, $c_t = f\,c_{t-1} + x_t$ (Module 2), except that there $f$ is learned
# and changes at every step.


# %%
def running_sum(carry, x):
    carry = carry + x
    return carry, carry  # (the state carried on, this step's output)


def leaky_sum(forget):
    def step(carry, x):
        carry = forget * carry + x
        return carry, carry

    return step


total, sums = jax.lax.scan(running_sum, 0.0, returns)
_, leaky = jax.lax.scan(leaky_sum(0.9), 0.0, returns)
print(
    "scan's running sum equals np.cumsum:",
    np.allclose(sums, np.cumsum(returns)),
)
print(f"final state: {total:+.4f} (the year's log return)")


# %%
def draw_states(fig):
    ax = fig.add_subplot()
    ax.plot(np.asarray(sums), label="running sum, f = 1 (remembers everything)")
    ax.plot(np.asarray(leaky), label="leaky sum, f = 0.9 (forgets old days)")
    ax.axhline(0, color="gray", linewidth=0.8)
    ax.set(
        title="A carried state over the last year of S&P 500 returns",
        xlabel="trading day",
        ylabel="state (sum of log returns)",
    )
    ax.legend()


plots.show(
    draw_states,
    alt="The running sum and the leaky sum of daily log returns over a year.",
)

# %% [markdown]
# ## 5 · Random numbers: keys, `split` and `fold_in`
#
# NumPy keeps a hidden global random state; JAX does not. Every random
# function takes a *key*, and the same key always gives the same numbers: that
# is what makes every lesson on this site repeat itself exactly. To get new
# numbers you derive new keys: `jax.random.split(key, n)` makes `n`
# independent keys, and `jax.random.fold_in(key, i)` makes one key from a key
# and an integer, handy in a loop ("the key for this sequence length"). Use a key
# once and split it for anything else: reusing a key reuses its numbers.

# %%
key = jax.random.key(0)  # the one seed; every other key comes from it
print(
    "same key, same draw:",
    jax.random.normal(key, (3,)),
    jax.random.normal(key, (3,)),
)
init_key, data_key = jax.random.split(key)
print("split gives a new draw:", jax.random.normal(data_key, (3,)))
for length in (10, 50):
    length_key = jax.random.fold_in(data_key, length)
    print(f"fold_in({length}):", jax.random.normal(length_key, (3,)))

# %% [markdown]
# ## 6 · Flax: `@nn.compact`, `init` and `apply`
#
# A Flax module describes a layer; it does not hold the weights. Write the
# layer's computation in `__call__` and decorate it with `@nn.compact`: the
# sublayers created inside (`nn.Dense(...)`) become its parameters. Then
#
# * `params = model.init(key, example_input)` runs the model once on an example
#   to learn the shapes and returns freshly initialised weights, a nested
#   dictionary (a *pytree*) under `"params"`;
# * `model.apply(params, x)` computes the output with those weights.
#
# Because the weights are an ordinary pytree, the JAX transformations above
# apply to them: `jax.grad` of a loss gives a pytree of gradients of the same
# shape, and `jax.tree_util.tree_map(f, tree)` applies `f` to every array in
# it (here to print the shapes). Lesson 1's `AddingNet` is this pattern: the
# course's LSTM layer, then a dense layer on its last output.


# %%
class TinyForecaster(nn.Module):
    hidden: int

    @nn.compact
    def __call__(self, windows):  # (batch, time, features) -> (batch,)
        hs = models.LSTMLayer(self.hidden)(windows)  # (batch, time, hidden)
        return nn.Dense(1)(hs[:, -1])[:, 0]  # last step's h -> one number


model = TinyForecaster(hidden=4)
windows = returns[: 20 * 12].reshape(12, 20, 1)  # 12 windows of 20 days
variables = model.init(init_key, windows)
print(jax.tree_util.tree_map(jnp.shape, variables["params"]))
print("parameters:", models.count_params(variables["params"]))
print("output shape:", model.apply(variables, windows).shape)


# %%
def window_loss(params, windows, targets):
    prediction = model.apply({"params": params}, windows)
    return jnp.mean((prediction - targets) ** 2)


targets = returns[20:260:20][: windows.shape[0]]  # the day after each window
grads = jax.grad(window_loss)(variables["params"], windows, targets)
print("a gradient for every weight, same shapes:")
print(jax.tree_util.tree_map(jnp.shape, grads))

# %% [markdown]
# The library's `finlstm.train` wraps the last step into a training loop: an
# [Optax](https://optax.readthedocs.io/) optimiser (Adam) turns the gradients
# into updates, and `jax.lax.scan` or a Python loop repeats it. Lesson 1 uses
# `finlstm.parallel.train_many`, which trains several seeds in one compiled
# program; Lesson 3 uses `finlstm.train.fit`, with early stopping.
#
# ## 7 · A few more you will meet
#
# * **Pytrees, flattened.** `jax.tree_util.tree_leaves(tree)` lists a pytree's
#   arrays; `tree_flatten` also returns its structure, and `tree_unflatten`
#   puts new arrays back into that structure (Lesson 2 fills Flax's cell with
#   random weights this way). `jax.tree.map` is a shorter name for `tree_map`.
# * **Asynchronous work.** JAX returns from a call before the result is
#   computed; `jax.block_until_ready(x)` waits for it, which a timing needs.
# * **Precision.** `with jax.enable_x64(True):` computes in float64 inside the
#   block (Lesson 2's gradient check);
#   `jax.config.update("jax_default_matmul_precision", "highest")` asks for
#   full float32 matrix products on a GPU.
# * **`jax.nn`** holds the activations and helpers: `sigmoid`, `softmax`,
#   `one_hot`.


# %%
leaves, structure = jax.tree_util.tree_flatten(variables["params"])
zeros = jax.tree_util.tree_unflatten(
    structure, [jnp.zeros_like(a) for a in leaves]
)
total = sum(float(jnp.abs(a).sum()) for a in jax.tree_util.tree_leaves(zeros))
print(len(leaves), "arrays, same structure, refilled with zeros: sum", total)
with jax.enable_x64(True):
    print("inside enable_x64:", jnp.ones(2).dtype)
print("one-hot of day 2 in a 4-day window:", jax.nn.one_hot(2, 4))
print("ready:", jax.block_until_ready(fast_log_returns(close)).shape)

# %% [markdown]
# ## What this lesson showed
#
# | construct | what it does | first used in |
# |---|---|---|
# | `jnp`, `.at[].set` | NumPy-like arrays that never change in place | every lesson |
# | `jax.jit` | compile a function; Python runs only while tracing | Lesson 2 |
# | `jax.grad` | the derivative of a function's output | Lesson 1 |
# | `jax.vmap` | map a function over an axis, as one program | Lesson 1 |
# | `jax.lax.scan` | a loop carrying a state, like a cell state | Lesson 1 |
# | `jax.random.key`, `split`, `fold_in` | reproducible random numbers | Lesson 1 |
# | Flax `@nn.compact`, `init`, `apply` | layers whose weights live outside | Lesson 1 |
# | `jax.tree_util.tree_map` | apply a function to every array of a pytree | Lesson 1 |
# | `tree_flatten`, `tree_unflatten`, `enable_x64` | pytrees in and out; float64 | Lesson 2 |
#
# ## Try it
#
# **1. A forget factor of 1.** Predict first: what does the leaky sum become
# with `forget = 1.0`? Change the cell below and run the check. *What to look
# for:* the check says whether your states equal the running sum of section 4.

# %% tags=["exercise-solution"]
forget = 1.0  # try 0.9 first, then predict what 1.0 gives
_, your_states = jax.lax.scan(leaky_sum(forget), 0.0, returns)

# %% tags=["exercise-check"]
same = np.allclose(your_states, np.cumsum(returns), atol=1e-5)
print(
    "correct: with f = 1 nothing is forgotten"
    if same
    else "not yet: f < 1 forgets"
)

# %% [markdown]
# **2. Keys.** Predict first: does `jax.random.fold_in(data_key, 10)` give the
# same numbers as the `fold_in(10)` line of section 5? Does
# `jax.random.split(key)` give the same pair of keys every time you call it?
# *What to look for:* the same key in, the same numbers out, always; this is why
# the check below can compare two calls.

# %% tags=["exercise-check"]
again = jax.random.normal(jax.random.fold_in(data_key, 10), (3,))
first = jax.random.normal(jax.random.fold_in(data_key, 10), (3,))
print("same numbers again:", bool(jnp.all(again == first)))
print(
    "correct" if bool(jnp.all(again == first)) else "keys are not reproducible"
)

# %% [markdown]
# **3. Count the weights.** Predict first: how many parameters does
# `TinyForecaster(hidden=8)` have with one input feature? An LSTM layer has
# four gates, each with input weights, recurrent weights and a bias; the dense
# layer has one weight per hidden unit and a bias. Write your formula in
# `predicted`, then run the check. *What to look for:* which of the three parts
# grows with the square of the hidden size.

# %% tags=["exercise-solution"]
hidden, features = 8, 1
predicted = 4 * (features * hidden + hidden * hidden + hidden) + hidden + 1

# %% tags=["exercise-check"]
bigger = TinyForecaster(hidden=hidden).init(init_key, windows)["params"]
actual = models.count_params(bigger)
print(f"predicted {predicted}, actual {actual}:", end=" ")
print("correct" if predicted == actual else "not yet; count each gate's blocks")
