"""finlstm.train splits every batch over the machine's devices (one per CPU core): the
split must change no result beyond float rounding, and keep each device on its own rows.

JAX fixes its device count when it starts, so the checks run in a fresh Python process
with 4 CPU devices, whatever the machine has.
"""

from __future__ import annotations

import textwrap

import pytest

CHECKS = textwrap.dedent(
    """
    import json
    import jax
    import numpy as np
    import finlstm.parallel as many_models
    from finlstm.losses import mse_loss
    import finlstm.train as T
    from finlstm.models import ModelConfig, StackedLSTM

    rng = np.random.default_rng(0)
    series = np.sin(np.arange(720) / 4.0) + 0.05 * rng.standard_normal(720)
    x = np.stack([series[i : i + 12] for i in range(700)])[..., None].astype(np.float32)
    y = series[12:712].astype(np.float32)
    model = StackedLSTM(ModelConfig(hidden_sizes=(16, 8), dense_size=4, dropout=0.2))
    config = T.TrainConfig(epochs=3, batch_size=128, patience=3, progress=False)

    def devices_holding(params):
        return len(jax.tree.leaves(params)[0].sharding.device_set)

    def train_all():
        result = T.fit(model, (x[:520], y[:520]), (x[520:], y[520:]), config)
        folds = np.stack([x[k * 40 : k * 40 + 260] for k in range(4)])
        targets = np.stack([y[k * 40 : k * 40 + 260] for k in range(4)])
        many, many_losses = many_models.fit_many(model, folds, targets, config)
        return (
            result,
            T.predict(model, result.params, x[:137]),  # 137: padded to 140 rows
            devices_holding(many),
            many_losses,
        )

    split, split_outputs, split_many_devices, split_many_losses = train_all()
    split_devices = devices_holding(split.params)
    batch_mesh, models_mesh = T.batch_mesh, many_models.models_mesh
    T.batch_mesh = lambda batch_size: None  # everything on one device
    many_models.models_mesh = lambda n_models: None
    T.jit_forward.cache_clear()
    T._train_epoch_for.cache_clear()
    T._start_for.cache_clear()
    one, one_outputs, one_many_devices, one_many_losses = train_all()
    one_devices = devices_holding(one.params)
    T.batch_mesh, many_models.models_mesh = batch_mesh, models_mesh

    optimizer = T.make_optimizer(config)
    step = T.jit_train_step(model, optimizer, mse_loss, 128)
    params = T.init_params(model, jax.random.key(0), x)
    carry = (params, optimizer.init(params), jax.random.key(1))
    compiled = step.lower(carry, (x[:128], y[:128])).compile().as_text()

    def mesh_size(batch_size):
        mesh = T.batch_mesh(batch_size)
        return 1 if mesh is None else mesh.size

    print(json.dumps({
        "devices": jax.local_device_count(),
        "mesh_sizes": {n: mesh_size(n) for n in (256, 128, 96, 64, 63, 32, 6, 1)},
        "split_devices": split_devices,
        "one_devices": one_devices,
        "losses": [split.history["train_loss"], one.history["train_loss"]],
        "val_losses": [split.history["val_loss"], one.history["val_loss"]],
        "outputs_differ_by": float(np.max(np.abs(split_outputs - one_outputs))),
        "many_devices": [split_many_devices, one_many_devices],
        "many_losses_differ_by": float(np.max(np.abs(split_many_losses - one_many_losses))),
        "outputs_shape": list(split_outputs.shape),
        "all_gathers": compiled.count("all-gather("),
        "all_reduces": compiled.count("all-reduce("),
    }))
    """
)


@pytest.fixture(scope="module")
def four_devices(run_on_devices) -> dict:
    return run_on_devices(CHECKS, devices=4)


def test_a_batch_goes_to_the_most_devices_that_divide_it_with_32_rows_each(four_devices):
    assert four_devices["devices"] == 4
    assert four_devices["mesh_sizes"] == {
        "256": 4,
        "128": 4,
        "96": 3,  # 3 x 32; 4 x 24 would be too few rows each
        "64": 2,
        "63": 1,  # 3 x 21, too few
        "32": 1,
        "6": 1,
        "1": 1,
    }


def test_fit_splits_batches_and_trains_as_one_device_does(four_devices):
    assert four_devices["split_devices"] == 4  # the parameters live on every device
    assert four_devices["one_devices"] == 1
    split, one = four_devices["losses"]
    assert split == pytest.approx(one, rel=1e-4)
    split, one = four_devices["val_losses"]
    assert split == pytest.approx(one, rel=1e-4)
    assert four_devices["outputs_shape"] == [137, 1]
    assert four_devices["outputs_differ_by"] < 1e-4


def test_fit_many_puts_a_quarter_of_the_models_on_each_device(four_devices):
    assert four_devices["many_devices"] == [4, 1]
    assert four_devices["many_losses_differ_by"] < 1e-4


def test_each_device_keeps_its_own_rows_through_the_train_step(four_devices):
    # The weight gradients are sums over every row: one all-reduce adds the devices'
    # shares. An all-gather would mean that some stack of rows (T, batch, ...) was
    # copied whole onto every device, as a reshape that merges the split batch axis does.
    assert four_devices["all_gathers"] == 0
    assert four_devices["all_reduces"] >= 1
