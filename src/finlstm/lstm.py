"""The LSTM: one cell as a pure function, a layer as `jax.lax.scan` over time, Flax models.

The cell computes the course's equations, with the four gates fused into one 4H-wide
matrix product per input (gate order: input i, forget f, candidate g, output o):

    z_t = x_t W_x + h_{t-1} W_h + b                         (batch, 4H)
    i_t = sigmoid(z_i)   f_t = sigmoid(z_f)   g_t = tanh(z_g)   o_t = sigmoid(z_o)
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * tanh(c_t)

One fused product instead of four small ones is the same arithmetic in fewer, larger
matrix multiplications, which is what CPUs and GPUs are fast at.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

from finlstm.fast_lstm import lstm_layer_fast

Array = jax.Array


class CellParams(NamedTuple):
    """Weights of one LSTM layer, gates fused in the order (i, f, g, o).

    w_x: (features, 4 * hidden)   input weights
    w_h: (hidden, 4 * hidden)     recurrent weights
    b:   (4 * hidden,)            bias; the forget block starts at +1 (see `lstm_bias_init`)
    """

    w_x: Array
    w_h: Array
    b: Array


Carry = tuple[Array, Array]  # (h, c), each (batch, hidden)


# --8<-- [start:cell]
def lstm_cell(params: CellParams, carry: Carry, x: Array) -> tuple[Carry, Array]:
    """One time step. x: (batch, features); carry (h, c): (batch, hidden) each.

    Returns ((h_t, c_t), h_t): the new carry, and h_t again as this step's output, the
    signature `jax.lax.scan` expects.
    """
    h, c = carry
    z = x @ params.w_x + h @ params.w_h + params.b
    z_i, z_f, z_g, z_o = jnp.split(z, 4, axis=-1)
    i, f, o = jax.nn.sigmoid(z_i), jax.nn.sigmoid(z_f), jax.nn.sigmoid(z_o)
    g = jnp.tanh(z_g)
    c = f * c + i * g  # the cell-state "highway": additive update, scaled by f
    h = o * jnp.tanh(c)
    return (h, c), h


# --8<-- [end:cell]


def zero_carry(batch: int, hidden: int, dtype=jnp.float32) -> Carry:
    """The initial state (h_0, c_0) = (0, 0), each (batch, hidden)."""
    return jnp.zeros((batch, hidden), dtype), jnp.zeros((batch, hidden), dtype)


# --8<-- [start:layer]
def lstm_layer(params: CellParams, xs: Array, carry: Carry | None = None) -> tuple[Carry, Array]:
    """Run the cell over a whole sequence with `jax.lax.scan`.

    Args:
      params: the layer's CellParams.
      xs: (batch, time, features) inputs.
      carry: optional initial (h, c); zeros by default.

    Returns:
      (final carry, hs) with hs: (batch, time, hidden), the hidden state at every step.
    """
    hidden = params.w_h.shape[0]
    if carry is None:
        carry = zero_carry(xs.shape[0], hidden, xs.dtype)
    # scan walks the leading axis, so go time-major and back.
    xs_time_major = jnp.swapaxes(xs, 0, 1)
    carry, hs = jax.lax.scan(lambda cr, x: lstm_cell(params, cr, x), carry, xs_time_major)
    return carry, jnp.swapaxes(hs, 0, 1)


# --8<-- [end:layer]


def lstm_bias_init(forget_bias: float = 1.0):
    """Bias initialiser: zeros, except the forget block set to `forget_bias`.

    A forget gate that starts near sigmoid(1) = 0.73 keeps most of the cell state, so
    gradients reach early time steps from the first update (Gers et al. 2000; Jozefowicz
    et al. 2015).
    """

    def init(key, shape, dtype=jnp.float32):
        del key
        hidden = shape[0] // 4
        return jnp.zeros(shape, dtype).at[hidden : 2 * hidden].set(forget_bias)

    return init


def recurrent_init(key, shape, dtype=jnp.float32):
    """Orthogonal (hidden, hidden) block per gate, concatenated to (hidden, 4 * hidden).

    Orthogonal matrices keep the norm of h through repeated products at initialisation.
    """
    hidden = shape[0]
    keys = jax.random.split(key, 4)
    blocks = [nn.initializers.orthogonal()(k, (hidden, hidden), dtype) for k in keys]
    return jnp.concatenate(blocks, axis=1)


class LSTMLayer(nn.Module):
    """Flax wrapper of the LSTM layer: (batch, time, features) -> (batch, time, hidden), or
    (time, batch, ...) both sides with `time_major=True`.

    `fast=True` (the default) runs `finlstm.fast_lstm.lstm_layer_fast`, the same layer with a
    hand-written backward pass; `fast=False` runs `lstm_layer`, differentiated by JAX. Both
    give the same outputs and gradients (to float32 rounding) from the same parameters.
    """

    hidden: int
    forget_bias: float = 1.0
    fast: bool = True
    time_major: bool = False

    @nn.compact
    def __call__(self, xs: Array) -> Array:
        features = xs.shape[-1]
        params = CellParams(
            w_x=self.param("w_x", nn.initializers.glorot_uniform(), (features, 4 * self.hidden)),
            w_h=self.param("w_h", recurrent_init, (self.hidden, 4 * self.hidden)),
            b=self.param("b", lstm_bias_init(self.forget_bias), (4 * self.hidden,)),
        )
        if self.fast:
            _, hs = lstm_layer_fast(params, xs, time_major=self.time_major)
            return hs
        if self.time_major:
            return jnp.swapaxes(lstm_layer(params, jnp.swapaxes(xs, 0, 1))[1], 0, 1)
        return lstm_layer(params, xs)[1]


# --8<-- [start:model]
@dataclass(frozen=True)
class ModelConfig:
    """The course model: LSTM(128) -> Dropout -> LSTM(64) -> Dropout -> Dense(25) -> Dense(1).

    `dense_activation=None` matches the outline's Keras code, where Dense(25) is linear (so
    Dense(25) -> Dense(1) is one linear map in two steps); "relu" makes it a real hidden layer.
    """

    hidden_sizes: tuple[int, ...] = (128, 64)
    dense_size: int = 25
    output_size: int = 1
    dropout: float = 0.2
    forget_bias: float = 1.0
    dense_activation: str | None = None
    fast: bool = True  # LSTM layers with the hand-written backward pass (see LSTMLayer)


class StackedLSTM(nn.Module):
    """Stacked LSTM with dropout between layers and a dense head.

    Input (batch, time, features) -> output (batch, output_size): a regression value, or
    logits for a classifier (sigmoid / softmax applied by the loss, not here).
    """

    config: ModelConfig = ModelConfig()

    @nn.compact
    def __call__(self, x: Array, *, train: bool = False) -> Array:
        cfg = self.config
        # The fast layers run time-major, (time, batch, features): one transpose of the
        # input here instead of two per layer.
        time_major = cfg.fast
        h = jnp.swapaxes(x, 0, 1) if time_major else x
        for k, size in enumerate(cfg.hidden_sizes):
            h = LSTMLayer(size, cfg.forget_bias, cfg.fast, time_major, name=f"lstm_{k}")(h)
            if k == len(cfg.hidden_sizes) - 1:
                h = h[-1] if time_major else h[:, -1]  # the last layer hands on its final state
            h = nn.Dropout(cfg.dropout, deterministic=not train)(h)
        h = nn.Dense(cfg.dense_size, name="dense")(h)
        if cfg.dense_activation is not None:
            h = getattr(nn, cfg.dense_activation)(h)
        return nn.Dense(cfg.output_size, name="head")(h)


# --8<-- [end:model]


class AttentionPooling(nn.Module):
    """Additive attention over time (Bahdanau et al. 2015), pooling hs into one vector.

    hs: (batch, time, hidden) -> (context (batch, hidden), weights (batch, time)); the
    weights are a softmax over time steps and say how much each day contributed.
    """

    units: int = 32

    @nn.compact
    def __call__(self, hs: Array) -> tuple[Array, Array]:
        scores = nn.Dense(1, name="score")(jnp.tanh(nn.Dense(self.units, name="proj")(hs)))
        weights = jax.nn.softmax(scores[..., 0], axis=-1)
        context = jnp.einsum("bt,bth->bh", weights, hs)
        return context, weights


class AttentionLSTM(nn.Module):
    """LSTM encoder -> attention pooling over time -> dense head (logits).

    The attention weights (batch, time) are stored with `sow` under
    ("intermediates", "attention_weights"): call `model.apply(vars, x, mutable=["intermediates"])`.
    """

    config: ModelConfig = ModelConfig(hidden_sizes=(64,), output_size=3)
    attention_units: int = 32

    @nn.compact
    def __call__(self, x: Array, *, train: bool = False) -> Array:
        cfg = self.config
        h = x
        for k, size in enumerate(cfg.hidden_sizes):
            h = LSTMLayer(size, cfg.forget_bias, cfg.fast, name=f"lstm_{k}")(h)
            h = nn.Dropout(cfg.dropout, deterministic=not train)(h)
        context, weights = AttentionPooling(self.attention_units, name="attention")(h)
        self.sow("intermediates", "attention_weights", weights)
        h = nn.relu(nn.Dense(cfg.dense_size, name="dense")(context))
        return nn.Dense(cfg.output_size, name="head")(h)


class RNNParams(NamedTuple):
    """Weights of a plain (Elman) tanh RNN layer: w_x (features, hidden), w_h (hidden, hidden),
    b (hidden,)."""

    w_x: Array
    w_h: Array
    b: Array


def rnn_cell(params: RNNParams, h: Array, x: Array) -> tuple[Array, Array]:
    """The plain recurrent step h_t = tanh(x_t W_x + h_{t-1} W_h + b), for comparison.

    Its gradient to earlier steps is a product of tanh'(.) W_h factors, one per step, with no
    additive path around them: that product is what vanishes (or explodes).
    """
    h = jnp.tanh(x @ params.w_x + h @ params.w_h + params.b)
    return h, h


def rnn_layer(params: RNNParams, xs: Array, h: Array | None = None) -> tuple[Array, Array]:
    """xs: (batch, time, features) -> (final h (batch, hidden), hs (batch, time, hidden))."""
    if h is None:
        h = jnp.zeros((xs.shape[0], params.w_h.shape[0]), xs.dtype)
    h, hs = jax.lax.scan(lambda hh, x: rnn_cell(params, hh, x), h, jnp.swapaxes(xs, 0, 1))
    return h, jnp.swapaxes(hs, 0, 1)


class RNNLayer(nn.Module):
    """Flax wrapper of `rnn_layer`, orthogonal recurrent weights: (batch, time, features) ->
    (batch, time, hidden)."""

    hidden: int

    @nn.compact
    def __call__(self, xs: Array) -> Array:
        params = RNNParams(
            w_x=self.param("w_x", nn.initializers.glorot_uniform(), (xs.shape[-1], self.hidden)),
            w_h=self.param("w_h", nn.initializers.orthogonal(), (self.hidden, self.hidden)),
            b=self.param("b", nn.initializers.zeros, (self.hidden,)),
        )
        _, hs = rnn_layer(params, xs)
        return hs


def count_params(params) -> int:
    """Number of scalar parameters in a pytree."""
    return sum(p.size for p in jax.tree_util.tree_leaves(params))
