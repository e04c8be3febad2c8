"""finlstm.parallel.fit_many on a mesh of 8 simulated CPU devices: the sharded step equals
one device's.

JAX fixes its device count when it starts, so these checks run in a fresh Python process
with XLA_FLAGS=--xla_force_host_platform_device_count=8.
"""

from __future__ import annotations

import textwrap

import pytest

from finlstm.devices import make_mesh

CHECKS = textwrap.dedent(
    """
    import json
    import jax
    import numpy as np
    from finlstm.devices import make_mesh
    from finlstm.models import ModelConfig, StackedLSTM
    from finlstm.parallel import fit_many
    from finlstm.train import TrainConfig, predict

    def outputs(params, inputs):
        return predict(model, jax.device_get(params), inputs)

    def largest_difference(a, b):
        # Compare what the models compute: Adam moves a weight whose gradient is ~0 by a
        # full learning-rate step when rounding flips that gradient's sign.
        if jax.tree.leaves(a)[0].ndim == jax.tree.leaves(one)[0].ndim:
            return float(np.max(np.abs(outputs(a, x) - outputs(b, x))))
        return max(
            float(np.max(np.abs(
                outputs(jax.tree.map(lambda v: v[k], a), xs[k])
                - outputs(jax.tree.map(lambda v: v[k], b), xs[k])
            )))
            for k in range(2)
        )

    rng = np.random.default_rng(0)
    x = rng.standard_normal((256, 12, 3)).astype(np.float32)
    y = 0.5 * x[:, -1, 0]
    model = StackedLSTM(ModelConfig(hidden_sizes=(8,), dense_size=4, dropout=0.1))
    config = TrainConfig(epochs=2, batch_size=32, progress=False)
    one, losses_one = fit_many(model, x, y, config, make_mesh(data=1))
    xs = np.stack([x, x[::-1]])
    eight, losses_eight = fit_many(model, x, y, config, make_mesh(data=8))
    ys = np.stack([y, y[::-1]])
    stacked_one, _ = fit_many(model, xs, ys, config, make_mesh(data=1))
    stacked_grid, _ = fit_many(model, xs, ys, config, make_mesh(data=4, models=2))
    try:
        fit_many(model, x, y, TrainConfig(epochs=1, batch_size=36), make_mesh(data=8))
        error = None
    except ValueError as caught:
        error = str(caught)
    leaf = jax.tree.leaves(stacked_grid)[0]
    print(json.dumps({
        "devices": jax.device_count(),
        "one_vs_eight": largest_difference(one, eight),
        "weights_one_vs_eight": max(
            float(np.max(np.abs(u - v)))
            for u, v in zip(
                jax.tree.leaves(jax.device_get(one)),
                jax.tree.leaves(jax.device_get(eight)),
                strict=True,
            )
        ),
        "losses": [list(map(float, losses_one)), list(map(float, losses_eight))],
        "grid_vs_one": largest_difference(stacked_one, stacked_grid),
        "grid_devices": len(leaf.sharding.device_set),
        "learned": float(losses_one[-1]) < float(losses_one[0]),
        "error": error,
    }))
    """
)


@pytest.fixture(scope="module")
def eight_devices(run_on_devices) -> dict:
    return run_on_devices(CHECKS, devices=8)


def test_eight_simulated_devices_are_visible(eight_devices):
    assert eight_devices["devices"] == 8


def test_a_batch_split_over_eight_devices_trains_like_one_device(eight_devices):
    assert eight_devices["learned"]
    assert eight_devices["one_vs_eight"] < 1e-5  # the predictions
    # The parameters themselves, for this small model. (With Adam, a weight whose gradient
    # is ~0 can move a full learning-rate step when rounding flips the gradient's sign;
    # the lesson shows that on a bigger model, where the outputs still agree.)
    assert eight_devices["weights_one_vs_eight"] < 1e-5
    one, eight = eight_devices["losses"]
    assert one == pytest.approx(eight, rel=1e-5)


def test_models_and_data_axes_compose(eight_devices):
    assert eight_devices["grid_devices"] == 8  # the stacked parameters live on all devices
    assert eight_devices["grid_vs_one"] < 1e-4


def test_a_batch_that_does_not_split_evenly_is_refused_clearly(eight_devices):
    message = eight_devices["error"]
    assert message and "batch_size 36 cannot be split evenly over the 8 devices" in message
    assert "e.g. 32 or 40" in message


def test_a_mesh_larger_than_the_machine_is_refused():
    with pytest.raises(ValueError, match=r"a mesh of 1 x 1000 devices needs 1000; \d+ are visible"):
        make_mesh(data=1000)
