"""Tests of finlstm.lstm and finlstm.models: the cell against Flax's own, gradients, shapes,
initialisation."""

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import pytest

from finlstm.lstm import CellParams, lstm_cell, lstm_layer
from finlstm.models import AttentionLSTM, LSTMLayer, ModelConfig, StackedLSTM, count_params


def _flax_cell_and_ours(features=3, hidden=5, seed=0):
    """A Flax LSTMCell with random weights, and the same weights fused into CellParams."""
    cell = nn.LSTMCell(features=hidden)
    x = jnp.ones((2, features))
    variables = cell.init(
        jax.random.key(seed), cell.initialize_carry(jax.random.key(1), x.shape), x
    )
    # Randomise every weight, biases included, so the comparison is not helped by zeros.
    leaves, tree = jax.tree_util.tree_flatten(variables)
    keys = jax.random.split(jax.random.key(seed + 1), len(leaves))
    variables = jax.tree_util.tree_unflatten(
        tree, [jax.random.normal(k, leaf.shape) * 0.5 for k, leaf in zip(keys, leaves, strict=True)]
    )
    p = variables["params"]
    order = "ifgo"  # Flax names gates i, f, g, o; ours are fused in the same order
    params = CellParams(
        w_x=jnp.concatenate([p[f"i{g}"]["kernel"] for g in order], axis=1),
        w_h=jnp.concatenate([p[f"h{g}"]["kernel"] for g in order], axis=1),
        b=jnp.concatenate([p[f"h{g}"]["bias"] for g in order]),
    )
    return cell, variables, params


def test_cell_equals_flax_lstm_cell_with_the_same_weights():
    cell, variables, params = _flax_cell_and_ours()
    key_h, key_c, key_x = jax.random.split(jax.random.key(7), 3)
    h, c = jax.random.normal(key_h, (2, 5)), jax.random.normal(key_c, (2, 5))
    x = jax.random.normal(key_x, (2, 3))
    (flax_c, flax_h), flax_out = cell.apply(variables, (c, h), x)  # Flax's carry is (c, h)
    (our_h, our_c), our_out = lstm_cell(params, (h, c), x)
    np.testing.assert_allclose(our_h, flax_h, atol=1e-5)
    np.testing.assert_allclose(our_c, flax_c, atol=1e-5)
    np.testing.assert_allclose(our_out, flax_out, atol=1e-5)


def test_layer_equals_flax_rnn_over_a_sequence():
    cell, variables, params = _flax_cell_and_ours()
    xs = jax.random.normal(jax.random.key(3), (2, 12, 3))
    flax_hs = nn.RNN(cell).apply({"params": {"cell": variables["params"]}}, xs)
    _, our_hs = lstm_layer(params, xs)
    np.testing.assert_allclose(our_hs, flax_hs, atol=1e-5)


def test_gradient_matches_finite_differences():
    _, _, params = _flax_cell_and_ours()
    xs = jax.random.normal(jax.random.key(4), (2, 8, 3))

    def loss(p):
        _, hs = lstm_layer(p, xs)
        return jnp.sum(hs[:, -1] ** 2)

    with jax.enable_x64(True):  # float64, so that the central difference is exact enough
        params = jax.tree_util.tree_map(lambda a: jnp.asarray(a, jnp.float64), params)
        xs = jnp.asarray(xs, jnp.float64)
        grads = jax.grad(loss)(params)
        direction = jax.tree_util.tree_map(lambda a: jnp.ones_like(a) / a.size, params)
        eps = 1e-6
        plus = jax.tree_util.tree_map(lambda a, d: a + eps * d, params, direction)
        minus = jax.tree_util.tree_map(lambda a, d: a - eps * d, params, direction)
        numeric = (loss(plus) - loss(minus)) / (2 * eps)
        analytic = sum(
            jnp.vdot(g, d)
            for g, d in zip(
                jax.tree_util.tree_leaves(grads), jax.tree_util.tree_leaves(direction), strict=True
            )
        )
        assert float(jnp.abs(numeric - analytic)) < 1e-6 * max(1.0, float(jnp.abs(numeric)))


def test_forget_bias_starts_at_one_and_recurrent_blocks_are_orthogonal():
    layer = LSTMLayer(hidden=8, forget_bias=1.0)
    params = layer.init(jax.random.key(0), jnp.ones((1, 4, 3)))["params"]
    b = np.asarray(params["b"])
    assert np.all(b[8:16] == 1.0) and np.all(b[:8] == 0) and np.all(b[16:] == 0)
    for gate in range(4):
        block = np.asarray(params["w_h"][:, gate * 8 : (gate + 1) * 8])
        np.testing.assert_allclose(block.T @ block, np.eye(8), atol=1e-5)


def test_course_model_shapes_and_parameter_count():
    model = StackedLSTM(ModelConfig())
    x = jnp.ones((4, 60, 5))
    params = model.init(jax.random.key(0), x)["params"]
    assert model.apply({"params": params}, x).shape == (4, 1)
    # Same count as the outline's Keras model: 4(h(h+f)+h) per LSTM, then two Dense layers.
    expected = 4 * 128 * (128 + 5 + 1) + 4 * 64 * (64 + 128 + 1) + (64 * 25 + 25) + (25 + 1)
    assert count_params(params) == expected


def test_dropout_is_active_only_in_training_and_is_seeded():
    model = StackedLSTM(ModelConfig(hidden_sizes=(8, 4), dense_size=3))
    x = jax.random.normal(jax.random.key(0), (3, 10, 2))
    params = model.init(jax.random.key(1), x)["params"]
    evaluate = model.apply({"params": params}, x)
    np.testing.assert_array_equal(evaluate, model.apply({"params": params}, x))

    def train(seed):
        rngs = {"dropout": jax.random.key(seed)}
        return model.apply({"params": params}, x, train=True, rngs=rngs)

    np.testing.assert_array_equal(train(5), train(5))
    assert not np.allclose(train(5), evaluate)


def test_attention_weights_are_a_distribution_over_time():
    model = AttentionLSTM(ModelConfig(hidden_sizes=(8,), output_size=3, dense_size=4))
    x = jax.random.normal(jax.random.key(0), (2, 15, 4))
    variables = model.init(jax.random.key(1), x)
    logits, state = model.apply(variables, x, mutable=["intermediates"])
    (weights,) = state["intermediates"]["attention_weights"]
    assert logits.shape == (2, 3) and weights.shape == (2, 15)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0, atol=1e-6)
    assert np.all(weights >= 0)


@pytest.mark.parametrize("batch", [1, 7])
def test_layer_is_jittable_for_any_batch(batch):
    params = LSTMLayer(hidden=6).init(jax.random.key(0), jnp.ones((1, 5, 2)))["params"]
    cell_params = CellParams(params["w_x"], params["w_h"], params["b"])
    (h, c), hs = jax.jit(lstm_layer)(cell_params, jnp.ones((batch, 5, 2)))
    assert hs.shape == (batch, 5, 6) and h.shape == c.shape == (batch, 6)
    np.testing.assert_array_equal(hs[:, -1], h)
