"""The hand-written backward pass of `lstm_layer_fast` against JAX's autodiff of `lstm_layer`."""

# --8<-- [start:equal]
from dataclasses import replace

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from finlstm.fast_lstm import lstm_layer_fast
from finlstm.lstm import CellParams, lstm_layer
from finlstm.models import AttentionLSTM, LSTMLayer, ModelConfig, StackedLSTM


def random_problem(key, batch=3, time=7, features=2, hidden=5):
    """Random weights, inputs, an initial state and cotangents for every output."""
    k = jax.random.split(key, 8)
    params = CellParams(
        w_x=jax.random.normal(k[0], (features, 4 * hidden)) * 0.5,
        w_h=jax.random.normal(k[1], (hidden, 4 * hidden)) * 0.5,
        b=jax.random.normal(k[2], (4 * hidden,)) * 0.5,
    )
    xs = jax.random.normal(k[3], (batch, time, features))
    carry = (jax.random.normal(k[4], (batch, hidden)), jax.random.normal(k[5], (batch, hidden)))
    weights_hs = jax.random.normal(k[6], (batch, time, hidden))
    weights_final = jax.random.normal(k[7], (3, batch, hidden))
    return params, xs, carry, weights_hs, weights_final


def scalar_of(layer, weights_hs, weights_final):
    """A scalar that depends on every output (hs, final h, final c) with random weights, so
    a wrong cotangent anywhere changes its gradient."""

    def f(params, xs, carry):
        (h, c), hs = layer(params, xs, carry)
        return (
            jnp.sum(weights_hs * hs)
            + jnp.sum(weights_final[0] * h)
            + jnp.sum(weights_final[1] * c)
            + jnp.sum(weights_final[2] * hs[:, -1] ** 2)
        )

    return f


def test_outputs_equal_the_reference_layer():
    params, xs, carry, _, _ = random_problem(jax.random.key(0))
    (h_ref, c_ref), hs_ref = lstm_layer(params, xs, carry)
    (h, c), hs = lstm_layer_fast(params, xs, carry)
    np.testing.assert_allclose(hs, hs_ref, atol=1e-6)
    np.testing.assert_allclose(h, h_ref, atol=1e-6)
    np.testing.assert_allclose(c, c_ref, atol=1e-6)


@pytest.mark.parametrize(
    ("seed", "features"),
    [(0, 2), (1, 2), (2, 2), (3, 1)],  # one feature: the layer pads it to two internally
)
def test_gradients_equal_autodiff_of_the_reference_layer(seed, features):
    params, xs, carry, w_hs, w_final = random_problem(jax.random.key(seed), features=features)
    grad = jax.grad(scalar_of(lstm_layer_fast, w_hs, w_final), argnums=(0, 1, 2))
    grad_ref = jax.grad(scalar_of(lstm_layer, w_hs, w_final), argnums=(0, 1, 2))
    ours, ref = grad(params, xs, carry), grad_ref(params, xs, carry)
    names = ["w_x", "w_h", "b", "xs", "h0", "c0"]
    leaves, leaves_ref = jax.tree_util.tree_leaves(ours), jax.tree_util.tree_leaves(ref)
    for name, a, b in zip(names, leaves, leaves_ref, strict=True):
        assert a.shape == b.shape, name
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5, err_msg=name)
        assert float(jnp.max(jnp.abs(b))) > 1e-3, f"{name}: the check needs a non-zero gradient"


# --8<-- [end:equal]


def test_gradients_match_under_jit_and_vmap():
    """`fit_many` trains several models with vmap over the parameters: the custom backward
    pass has to batch too."""
    problems = [random_problem(jax.random.key(s)) for s in range(4)]
    params = jax.tree_util.tree_map(lambda *a: jnp.stack(a), *[p[0] for p in problems])
    xs, carry, w_hs, w_final = problems[0][1:]

    def per_model(layer):
        f = scalar_of(layer, w_hs, w_final)
        return jax.jit(jax.vmap(jax.grad(lambda p: f(p, xs, carry))))

    np.testing.assert_allclose(
        per_model(lstm_layer_fast)(params).w_h,
        per_model(lstm_layer)(params).w_h,
        rtol=1e-4,
        atol=1e-5,
    )


def test_the_stacked_model_has_the_same_gradients_as_the_reference():
    x = jax.random.normal(jax.random.key(3), (4, 12, 3))
    y = jax.random.normal(jax.random.key(4), (4,))
    config = ModelConfig(hidden_sizes=(8, 6), dense_size=4, dropout=0.0)
    model = StackedLSTM(config)
    params = model.init(jax.random.key(5), x)["params"]

    def loss(p):
        return jnp.mean((model.apply({"params": p}, x)[:, 0] - y) ** 2)

    grads = jax.grad(loss)(params)
    grads_ref = jax.grad(reference_loss)(params, x, y, config)
    assert jax.tree_util.tree_structure(grads) == jax.tree_util.tree_structure(grads_ref)
    leaves, leaves_ref = jax.tree_util.tree_leaves(grads), jax.tree_util.tree_leaves(grads_ref)
    for a, b in zip(leaves, leaves_ref, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def reference_loss(params, x, y, config):
    """The stacked model's loss computed layer by layer with the reference `lstm_layer`."""
    h = x
    for k, _ in enumerate(config.hidden_sizes):
        _, h = lstm_layer(CellParams(**params[f"lstm_{k}"]), h)
    h = h[:, -1]
    h = h @ params["dense"]["kernel"] + params["dense"]["bias"]
    out = h @ params["head"]["kernel"] + params["head"]["bias"]
    return jnp.mean((out[:, 0] - y) ** 2)


def test_layer_switch_selects_the_reference_path():
    x = jax.random.normal(jax.random.key(6), (2, 5, 3))
    fast, slow = LSTMLayer(4), LSTMLayer(4, fast=False)
    params = fast.init(jax.random.key(7), x)
    np.testing.assert_allclose(fast.apply(params, x), slow.apply(params, x), atol=1e-6)
    jaxpr_fast = str(jax.make_jaxpr(fast.apply)(params, x))
    jaxpr_slow = str(jax.make_jaxpr(slow.apply)(params, x))
    assert "custom_vjp" in jaxpr_fast and "custom_vjp" not in jaxpr_slow


@pytest.mark.parametrize("fast", [True, False])
def test_time_major_layer_is_the_batch_major_layer_transposed(fast):
    x = jax.random.normal(jax.random.key(8), (3, 9, 2))  # (batch, time, features)
    batch_major = LSTMLayer(5, fast=fast)
    time_major = LSTMLayer(5, fast=fast, time_major=True)
    params = batch_major.init(jax.random.key(9), x)
    hs = batch_major.apply(params, x)
    hs_tm = time_major.apply(params, jnp.swapaxes(x, 0, 1))
    assert hs_tm.shape == (9, 3, 5)
    np.testing.assert_allclose(jnp.swapaxes(hs_tm, 0, 1), hs, atol=1e-6)


@pytest.mark.parametrize("time", [1, 2, 5])
def test_short_and_odd_sequences(time):
    """The loops run two steps per iteration: lengths 1 and odd lengths must still work."""
    params, xs, carry, w_hs, w_final = random_problem(jax.random.key(10), time=time)
    grad = jax.grad(scalar_of(lstm_layer_fast, w_hs, w_final))(params, xs, carry)
    grad_ref = jax.grad(scalar_of(lstm_layer, w_hs, w_final))(params, xs, carry)
    np.testing.assert_allclose(grad.w_h, grad_ref.w_h, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("hidden_sizes", [(8,), (8, 6)])
def test_the_attention_model_computes_the_same_with_either_layer(hidden_sizes):
    """AttentionLSTM runs the fast layers time-major between one transpose in and one out;
    its outputs and gradients equal those of the reference layers, batch-major."""
    x = jax.random.normal(jax.random.key(8), (4, 9, 3))
    config = ModelConfig(hidden_sizes=hidden_sizes, dense_size=4, output_size=3, dropout=0.0)
    fast = AttentionLSTM(config, attention_units=5)
    slow = AttentionLSTM(replace(config, fast=False), attention_units=5)
    params = fast.init(jax.random.key(9), x)["params"]

    def loss(model):
        return lambda p: jnp.sum(model.apply({"params": p}, x) ** 2)

    np.testing.assert_allclose(
        fast.apply({"params": params}, x), slow.apply({"params": params}, x), atol=1e-5
    )
    grads, grads_ref = jax.grad(loss(fast))(params), jax.grad(loss(slow))(params)
    for a, b in zip(jax.tree.leaves(grads), jax.tree.leaves(grads_ref), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("model_class", [StackedLSTM, AttentionLSTM])
def test_with_dropout_either_layer_trains_the_same_model(model_class):
    """The models run their layers time-major whichever layer computes them, so dropout
    draws the same masks and a training step sees the same numbers from either layer."""
    x = jax.random.normal(jax.random.key(11), (4, 9, 3))
    config = ModelConfig(hidden_sizes=(8, 6), dense_size=4, output_size=2, dropout=0.5)
    fast, slow = model_class(config), model_class(replace(config, fast=False))
    params = fast.init(jax.random.key(12), x)["params"]

    def loss(model):
        rngs = {"dropout": jax.random.key(13)}
        return lambda p: jnp.sum(model.apply({"params": p}, x, train=True, rngs=rngs) ** 2)

    np.testing.assert_allclose(loss(fast)(params), loss(slow)(params), rtol=1e-5)
    grads, grads_ref = jax.grad(loss(fast))(params), jax.grad(loss(slow))(params)
    for a, b in zip(jax.tree.leaves(grads), jax.tree.leaves(grads_ref), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
