"""The LSTM as the course teaches it: one cell as a pure function, a layer as `jax.lax.scan`.

The cell computes the course's equations, with the four gates fused into one 4H-wide
matrix product per input (gate order: input i, forget f, candidate g, output o):

    z_t = x_t W_x + h_{t-1} W_h + b                         (batch, 4H)
    i_t = sigmoid(z_i)   f_t = sigmoid(z_f)   g_t = tanh(z_g)   o_t = sigmoid(z_o)
    c_t = f_t * c_{t-1} + i_t * g_t
    h_t = o_t * tanh(c_t)

One fused product instead of four small ones is the same arithmetic in fewer, larger
matrix multiplications, which is what CPUs and GPUs are fast at.

This module is the contract the rest builds on: `CellParams`, the carry (h, c) and the
gates (`lstm_gates`: their order and nonlinearities, written once for `lstm_cell` and for
`finlstm.fast_lstm`). `finlstm.fast_lstm` computes the same layer with `lstm_cell` and a
hand-written backward pass, and `finlstm.models` wraps both in Flax modules.
"""

from __future__ import annotations

from typing import NamedTuple

import flax.linen as nn
import jax
import jax.numpy as jnp

__all__ = [
    "Carry",
    "CellParams",
    "RNNParams",
    "lstm_bias_init",
    "lstm_cell",
    "lstm_gates",
    "lstm_layer",
    "recurrent_init",
    "rnn_cell",
    "rnn_layer",
    "zero_carry",
]

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
def lstm_gates(z: Array) -> tuple[Array, Array, Array, Array]:
    """The gates (i, f, g, o), each (batch, hidden), from the pre-activations z (batch,
    4 * hidden): sigmoid for the input, forget and output gates, tanh for the candidate."""
    z_i, z_f, z_g, z_o = jnp.split(z, 4, axis=-1)
    return jax.nn.sigmoid(z_i), jax.nn.sigmoid(z_f), jnp.tanh(z_g), jax.nn.sigmoid(z_o)


def lstm_cell(params: CellParams, carry: Carry, x: Array) -> tuple[Carry, Array]:
    """One time step. x: (batch, features); carry (h, c): (batch, hidden) each.

    Returns ((h_t, c_t), h_t): the new carry, and h_t again as this step's output, the
    signature `jax.lax.scan` expects.
    """
    h, c = carry
    z = x @ params.w_x + h @ params.w_h + params.b  # all four gates' pre-activations
    i, f, g, o = lstm_gates(z)
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
