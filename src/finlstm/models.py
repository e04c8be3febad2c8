"""The course's models as Flax modules: an LSTM layer, the stacked model, attention pooling.

Every LSTM layer computes `finlstm.lstm.lstm_layer`. By default (`ModelConfig.fast`) it runs
`finlstm.fast_lstm.lstm_layer_fast`, the same layer with a hand-written backward pass;
`tests/test_fast_lstm.py` proves the two give the same outputs and gradients. The models
run their LSTM layers time-major, (time, batch, features), whichever layer computes them:
one transpose of the input, none between layers.
"""

from __future__ import annotations

from dataclasses import dataclass

import flax.linen as nn
import jax
import jax.numpy as jnp

from finlstm.fast_lstm import lstm_layer_fast
from finlstm.lstm import (
    CellParams,
    RNNParams,
    lstm_bias_init,
    lstm_layer,
    recurrent_init,
    rnn_layer,
)

__all__ = [
    "AttentionLSTM",
    "AttentionPooling",
    "LSTMLayer",
    "ModelConfig",
    "RNNLayer",
    "StackedLSTM",
    "count_params",
    "lstm_layers",
]

Array = jax.Array


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


def lstm_layers(cfg: ModelConfig, xs: Array, *, train: bool) -> Array:
    """A model's LSTM layers with dropout between them, for its compact `__call__`.

    Called there, the layers become the model's own submodules (`lstm_0`, `lstm_1`, ...).
    xs: (time, batch, features) -> the last layer's hidden states, (time, batch,
    hidden_sizes[-1]), before the dropout the model applies to what it keeps of them.
    """
    h = xs
    for k, size in enumerate(cfg.hidden_sizes):
        if k > 0:
            h = nn.Dropout(cfg.dropout, deterministic=not train)(h)
        h = LSTMLayer(size, cfg.forget_bias, cfg.fast, time_major=True, name=f"lstm_{k}")(h)
    return h


class StackedLSTM(nn.Module):
    """Stacked LSTM with dropout between layers and a dense head.

    Input (batch, time, features) -> output (batch, output_size): a regression value, or
    logits for a classifier (sigmoid / softmax applied by the loss, not here).
    """

    config: ModelConfig = ModelConfig()

    @nn.compact
    def __call__(self, x: Array, *, train: bool = False) -> Array:
        cfg = self.config
        hs = lstm_layers(cfg, jnp.swapaxes(x, 0, 1), train=train)
        # The last layer hands on its final state.
        h = nn.Dropout(cfg.dropout, deterministic=not train)(hs[-1])
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
        hs = lstm_layers(cfg, jnp.swapaxes(x, 0, 1), train=train)
        # Attention pools over (batch, time, hidden).
        h = nn.Dropout(cfg.dropout, deterministic=not train)(jnp.swapaxes(hs, 0, 1))
        context, weights = AttentionPooling(self.attention_units, name="attention")(h)
        self.sow("intermediates", "attention_weights", weights)
        h = nn.relu(nn.Dense(cfg.dense_size, name="dense")(context))
        return nn.Dense(cfg.output_size, name="head")(h)


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
