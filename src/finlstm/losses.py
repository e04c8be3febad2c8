"""The training losses: a model's outputs and the targets -> one scalar, averaged over the batch."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import optax

__all__ = ["LOSSES", "bce_loss", "cross_entropy_loss", "mse_loss", "qlike_loss"]

Array = jax.Array


def mse_loss(outputs: Array, targets: Array) -> Array:
    """outputs: (batch, 1) predictions; targets: (batch,) -> mean squared error."""
    return jnp.mean((outputs[:, 0] - targets) ** 2)


def bce_loss(outputs: Array, targets: Array) -> Array:
    """outputs: (batch, 1) logits; targets: (batch,) in {0, 1} -> binary cross-entropy."""
    return jnp.mean(optax.sigmoid_binary_cross_entropy(outputs[:, 0], targets))


def cross_entropy_loss(outputs: Array, targets: Array) -> Array:
    """outputs: (batch, classes) logits; targets: (batch,) class ids -> cross-entropy."""
    labels = targets.astype(jnp.int32)
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(outputs, labels))


def qlike_loss(outputs: Array, targets: Array) -> Array:
    """outputs: (batch, 1) forecasts of log variance; targets: (batch,) realised variance
    proxies > 0 -> mean QLIKE (Patton 2011) up to a constant that depends on the targets only:
    targets * exp(-outputs) + outputs. Minimised when exp(outputs) is the expected variance."""
    log_variance = outputs[:, 0]
    return jnp.mean(targets * jnp.exp(-log_variance) + log_variance)


# TrainConfig.loss names one of these.
LOSSES: dict[str, Callable[[Array, Array], Array]] = {
    "mse": mse_loss,
    "bce": bce_loss,
    "cross_entropy": cross_entropy_loss,
    "qlike": qlike_loss,
}
