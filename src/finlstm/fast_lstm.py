"""The LSTM layer of `finlstm.lstm` again, with a hand-written backward pass shaped for a CPU.

`finlstm.lstm.lstm_layer` is the layer as the equations read: a `jax.lax.scan` of
`lstm_cell`, differentiated by JAX. This module keeps its contract (`CellParams`, the carry
(h, c), the gate order i, f, g, o) and its forward step, and plans the gradient differently,
because on a CPU three things cost more than the arithmetic (measured on the "How fast is
it?" page):

1. **Memory.** Autodiff of the scan stores about a dozen intermediates of every step as
   (T, batch, H) stacks. Here the forward loop keeps three: c_{t-1}, the gates'
   pre-activations z_t and h_{t-1}. The backward loop overwrites each z_t with its gradient
   dz_t once it has used it, so the stack of dz costs no new memory.
2. **Small products.** Autodiff accumulates dW_h += h_{t-1}^T dz_t inside the backward loop,
   one small product per step. Here the loop only stores dz_t; the weight gradients are
   summed after it in one product each, with T * batch rows.
3. **Transposed operands.** W_h^T is laid out once before the backward loop instead of read
   transposed at every step, and the forward loop writes h_{t-1} feature-first,
   (H, T, batch), the layout the product for dW_h wants.

The layer works time-major, (time, batch, features), so that a stack of layers does not
transpose its activations between layers. `tests/test_fast_lstm.py` checks outputs and
gradients against `lstm_layer`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from finlstm.lstm import Carry, CellParams, lstm_cell, lstm_gates, zero_carry

__all__ = ["lstm_layer_fast", "lstm_scan"]

Array = jax.Array


def _keep_as_product(xs: Array, w_x: Array) -> tuple[Array, Array]:
    """xs (T, batch, 1) and w_x (1, 4H) with a zero second feature; other shapes unchanged.

    With one input feature, XLA's CPU backend rewrites x_t W_x as a broadcast multiply fused
    with the gate nonlinearities, a much slower loop (see the "How fast is it?" page). A
    zero feature keeps it a matrix product and changes no number.
    """
    if xs.shape[-1] != 1:
        return xs, w_x
    return jnp.concatenate([xs, jnp.zeros_like(xs)], -1), jnp.concatenate([w_x, 0 * w_x])


def _scan_forward(w_x, w_h, b, xs, h0, c0):
    """The forward loop. xs: (T, batch, features) -> (hs (T, batch, H), the last c (batch,
    H))."""
    xs, w_x = _keep_as_product(xs, w_x)
    params = CellParams(w_x, w_h, b)
    (_, c_last), hs = jax.lax.scan(lambda carry, x: lstm_cell(params, carry, x), (h0, c0), xs)
    return hs, c_last


def _scan_forward_for_training(w_x, w_h, b, xs, h0, c0):
    """The forward loop: (hs, the last c) as `_scan_forward` returns them, and what the
    backward pass needs of every step: c_{t-1} (T, batch, H), the pre-activations z_t
    (T, batch, 4H), and h_{t-1} transposed, as one (H, T, batch) array.

    That last one is the left operand of the weight gradient sum_t h_{t-1}^T dz_t, a
    product that contracts time and batch; XLA's CPU backend wants them innermost there,
    and given a (T, batch, H) stack it transposes the whole of it first. Each step writes
    its (H, batch) block in place.
    """
    xs, w_x = _keep_as_product(xs, w_x)
    params = CellParams(w_x, w_h, b)

    def step(carry, inputs):
        h, c_before, h_prev_by_feature = carry
        x, t = inputs
        (h_new, c), _ = lstm_cell(params, (h, c_before), x)
        # lstm_cell's own pre-activations, kept for the backward pass: XLA computes the
        # products once (the same expression twice in one step is merged when compiled).
        z = x @ w_x + h @ w_h + b
        h_prev_by_feature = h_prev_by_feature.at[:, t].set(h.T)
        return (h_new, c, h_prev_by_feature), (h_new, c_before, z)

    steps, batch, hidden = xs.shape[0], h0.shape[0], h0.shape[1]
    carry = (h0, c0, jnp.zeros((hidden, steps, batch), h0.dtype))
    (_, c_last, h_prev_by_feature), (hs, c_prev, zs) = jax.lax.scan(
        step, carry, (xs, jnp.arange(steps))
    )
    return hs, c_last, (c_prev, zs, h_prev_by_feature)


# --8<-- [start:recurrence]
@jax.custom_vjp
def lstm_scan(w_x: Array, w_h: Array, b: Array, xs: Array, h0: Array, c0: Array):
    """An LSTM layer, time-major.

    Args:
      w_x: (features, 4H), w_h: (H, 4H), b: (4H,) weights, gates in the order (i, f, g, o).
      xs: (T, batch, features) inputs; h0, c0: (batch, H) initial state.

    Returns:
      (hs, c_last): the hidden state of every step (T, batch, H), the last cell state
      (batch, H).
    """
    return _scan_forward(w_x, w_h, b, xs, h0, c0)


def _lstm_scan_fwd(w_x, w_h, b, xs, h0, c0):
    hs, c_last, kept = _scan_forward_for_training(w_x, w_h, b, xs, h0, c0)
    return (hs, c_last), (w_x, w_h, xs, *kept)


def _lstm_scan_bwd(saved, cotangents):
    """Backpropagation through time. The loop carries (dh, dc) from step t+1 to step t and
    writes dz_t, the gradient of the gate pre-activations, over z_t; the weight gradients
    come after it."""
    w_x, w_h, xs, c_prev, zs, h_prev_by_feature = saved
    d_hs, d_c_last = cotangents  # (T, batch, H), (batch, H)
    # W_h^T as its own (4H, H) array, which the loop's product reads row by row. Without the
    # barrier, XLA folds the transpose back into the product.
    w_h_t = jax.lax.optimization_barrier(w_h.T)

    def step(carry, inputs):
        dh_next, dc_next, z_then_dz = carry  # gradient reaching h_t and c_t from step t+1
        d_h, c_before, t = inputs
        i, f, g, o = lstm_gates(z_then_dz[t])
        tanh_c = jnp.tanh(f * c_before + i * g)
        dh = d_h + dh_next
        dc = dc_next + dh * o * (1.0 - tanh_c**2)
        dz = jnp.concatenate(
            [
                dc * g * i * (1.0 - i),  # i = sigmoid(z_i), c = f c_prev + i g
                dc * c_before * f * (1.0 - f),  # f = sigmoid(z_f)
                dc * i * (1.0 - g**2),  # g = tanh(z_g)
                dh * tanh_c * o * (1.0 - o),  # o = sigmoid(z_o), h = o tanh(c)
            ],
            axis=-1,
        )
        return (dz @ w_h_t, dc * f, z_then_dz.at[t].set(dz)), None  # z_t is not needed again

    steps = jnp.arange(xs.shape[0])
    (dh0, dc0, dz), _ = jax.lax.scan(
        step, (jnp.zeros_like(d_c_last), d_c_last, zs), (d_hs, c_prev, steps), reverse=True
    )
    d_w_x = _sum_over_steps(xs, dz)
    d_w_h = jnp.einsum("htb,tbn->hn", h_prev_by_feature, dz)  # sum_t h_{t-1}^T dz_t
    d_xs = dz @ w_x.T
    return d_w_x, d_w_h, jnp.sum(dz, axis=(0, 1)), d_xs, dh0, dc0


def _sum_over_steps(a: Array, b: Array) -> Array:
    """sum over t of a_t^T b_t, for a: (T, batch, m) and b: (T, batch, n) -> (m, n).

    One product that contracts time and batch together, after the loop, instead of T small
    ones inside it. Not a reshape to (T * batch, m): when the batch is split over devices,
    that reshape merges a split axis into an unsplit one, and XLA gathers the whole stacks
    onto every device. The einsum stays a product of each device's own rows plus one sum
    across devices.
    """
    return jnp.einsum("tbm,tbn->mn", a, b)


lstm_scan.defvjp(_lstm_scan_fwd, _lstm_scan_bwd)
# --8<-- [end:recurrence]


def lstm_layer_fast(
    params: CellParams, xs: Array, carry: Carry | None = None, *, time_major: bool = False
) -> tuple[Carry, Array]:
    """Same contract as `finlstm.lstm.lstm_layer`, same numbers, faster gradients.

    params: a `CellParams` (w_x, w_h, b); xs: (batch, time, features), or (time, batch,
    features) with `time_major=True`; carry: optional initial (h, c), (batch, hidden) each.
    Returns ((h, c) after the last step, hs) with hs in the layout of xs.
    """
    if not time_major:
        xs = jnp.swapaxes(xs, 0, 1)
    if carry is None:
        carry = zero_carry(xs.shape[1], params.w_h.shape[0], xs.dtype)
    hs, c_last = lstm_scan(params.w_x, params.w_h, params.b, xs, *carry)
    return (hs[-1], c_last), (hs if time_major else jnp.swapaxes(hs, 0, 1))
