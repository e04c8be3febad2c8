"""Tests of finlstm.train: learning, early stopping, determinism, the NaN guard, bad input,
and how often it compiles."""

import functools
from dataclasses import replace

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from finlstm.models import ModelConfig, StackedLSTM
from finlstm.train import TrainConfig, TrainingDivergedError, fit, predict

SMALL = ModelConfig(hidden_sizes=(8, 4), dense_size=4, dropout=0.0)


def _sine_task(n=256, window=12, seed=0):
    """Predict the next value of a noisy sine wave: learnable, and tiny."""
    rng = np.random.default_rng(seed)
    t = np.arange(n + window + 1)
    series = np.sin(t / 4.0) + 0.05 * rng.standard_normal(len(t))
    x = np.stack([series[i : i + window] for i in range(n)])[..., None]
    y = series[window : window + n]
    return (x[:192], y[:192]), (x[192:], y[192:])


def test_training_lowers_the_validation_loss_below_predicting_the_mean():
    train, val = _sine_task()
    result = fit(
        StackedLSTM(SMALL),
        train,
        val,
        TrainConfig(epochs=40, batch_size=32, patience=40, learning_rate=1e-2, progress=False),
    )
    mean_loss = float(np.mean((val[1] - train[1].mean()) ** 2))
    assert min(result.history["val_loss"]) < 0.5 * mean_loss
    assert len(result.history["train_loss"]) == len(result.history["val_loss"]) == 40


def test_two_runs_with_the_same_seed_are_identical_and_seeds_differ():
    train, val = _sine_task()
    config = TrainConfig(epochs=3, batch_size=32, progress=False)
    model = StackedLSTM(ModelConfig(hidden_sizes=(8, 4), dense_size=4, dropout=0.2))
    a, b = fit(model, train, val, config), fit(model, train, val, config)
    c = fit(model, train, val, TrainConfig(epochs=3, batch_size=32, progress=False, seed=1))
    assert a.history == b.history
    np.testing.assert_array_equal(
        predict(model, a.params, val[0]), predict(model, b.params, val[0])
    )
    assert a.history != c.history


def test_early_stopping_keeps_the_best_validation_epoch():
    train, val = _sine_task()
    # A validation set the model cannot fit (noise), so the val loss soon stops improving.
    noise = np.random.default_rng(1).standard_normal(val[1].shape) * 3
    config = TrainConfig(epochs=60, batch_size=32, patience=3, learning_rate=1e-2, progress=False)
    result = fit(StackedLSTM(SMALL), train, (val[0], noise), config)
    losses = result.history["val_loss"]
    assert result.stopped_early and len(losses) < 60
    assert result.best_epoch == int(np.argmin(losses)) + 1
    assert len(losses) == result.best_epoch + config.patience


def test_predict_handles_any_number_of_samples_with_one_program():
    train, val = _sine_task()
    model = StackedLSTM(SMALL)
    params = fit(model, train, val, TrainConfig(epochs=1, batch_size=32, progress=False)).params
    whole = predict(model, params, val[0], batch_size=64)
    parts = np.concatenate(
        [
            predict(model, params, val[0][:5], batch_size=64),
            predict(model, params, val[0][5:], batch_size=64),
        ]
    )
    assert whole.shape == (64, 1)
    np.testing.assert_allclose(whole, parts, atol=1e-6)


def test_a_diverging_loss_raises_a_clear_error():
    train, val = _sine_task()
    exploding = (train[0] * 1e30, train[1] * 1e30)
    config = TrainConfig(
        epochs=2, batch_size=32, clip_norm=None, learning_rate=10.0, progress=False
    )
    with pytest.raises(TrainingDivergedError, match=r"training loss became .* in epoch 1"):
        fit(StackedLSTM(SMALL), exploding, val, config)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda x, y: (x[..., 0], y), r"train inputs must be \(samples, time, features\)"),
        (lambda x, y: (x, y[:-1]), "192 input windows but 191 targets"),
        (
            lambda x, y: (np.where(np.arange(len(x))[:, None, None] == 9, np.nan, x), y),
            "train inputs contain NaN or inf, first in sample 9",
        ),
        (lambda x, y: (x[:10], y[:10]), "fewer than one batch of 32"),
    ],
)
def test_bad_training_arrays_are_named(mutate, message):
    train, val = _sine_task()
    with pytest.raises(ValueError, match=message):
        fit(StackedLSTM(SMALL), mutate(*train), val, TrainConfig(batch_size=32, progress=False))


def test_unknown_loss_is_rejected():
    train, val = _sine_task()
    with pytest.raises(ValueError, match="loss must be one of"):
        fit(
            StackedLSTM(SMALL), train, val, TrainConfig(loss="hinge", progress=False, batch_size=32)
        )


def test_fit_many_trains_each_model_on_its_own_data_only():
    from finlstm.parallel import fit_many, predict_many

    (xa, ya), _ = _sine_task(seed=0)
    (xb, yb), _ = _sine_task(seed=1)
    model = StackedLSTM(SMALL)
    config = TrainConfig(epochs=25, batch_size=32, learning_rate=1e-2, progress=False)
    params, losses = fit_many(model, np.stack([xa, xb]), np.stack([ya, yb]), config)
    assert losses.shape == (2, 25)
    assert (losses[:, -1] < 0.3 * losses[:, 0]).all()  # both learned
    # Model 0 does not depend on what model 1 was given.
    other, _ = fit_many(model, np.stack([xa, xa[::-1]]), np.stack([ya, ya[::-1]]), config)
    out = predict_many(model, params, np.stack([xa, xb]))
    out_other = predict_many(model, other, np.stack([xa, xb]))
    np.testing.assert_allclose(out[0], out_other[0], rtol=1e-5, atol=1e-6)
    assert not np.allclose(out[1], out_other[1], atol=1e-3)
    assert out.shape == (2, len(xa), 1)


def test_fit_many_names_bad_shapes_and_bad_folds():
    from finlstm.parallel import fit_many

    (x, y), _ = _sine_task()
    config = TrainConfig(epochs=1, batch_size=32, progress=False)
    with pytest.raises(ValueError, match="models, samples, time, features"):
        fit_many(StackedLSTM(SMALL), x[..., 0], y, config)
    x2, y2 = np.stack([x, x]), np.stack([y, y])
    x2[1, 5, 0, 0] = np.nan
    with pytest.raises(
        ValueError, match="model 1 train inputs contain NaN or inf, first in sample 5"
    ):
        fit_many(StackedLSTM(SMALL), x2, y2, config)


def test_qlike_loss_is_minimised_at_the_log_of_the_mean_variance():
    import jax
    import jax.numpy as jnp

    from finlstm.losses import qlike_loss

    targets = jnp.array([0.5, 2.0, 1.5])  # mean 4/3
    grad = jax.grad(lambda s: qlike_loss(jnp.full((3, 1), s), targets))
    assert abs(float(grad(jnp.log(4.0 / 3.0)))) < 1e-6
    assert float(grad(0.0)) < 0 < float(grad(1.0))


def test_fits_that_differ_only_in_seed_length_or_learning_rate_share_one_program(compiles):
    train_set, val = _sine_task()
    model = StackedLSTM(replace(SMALL, hidden_sizes=(8, 5)))  # a model of its own
    base = TrainConfig(epochs=1, batch_size=32, progress=False)
    with compiles() as first:
        fit(model, train_set, val, base)
    with compiles() as other_seed_and_length:
        fit(model, train_set, val, replace(base, epochs=2, seed=3))
    with compiles() as other_learning_rate:
        fit(model, train_set, val, replace(base, learning_rate=5e-3))
    with compiles() as other_clipping:
        fit(model, train_set, val, replace(base, clip_norm=None))
    assert first["jit(train_epoch)"] == first["jit(start)"] == 1
    assert sum(other_seed_and_length.values()) == 0
    assert sum(other_learning_rate.values()) == 0
    assert other_clipping["jit(train_epoch)"] == 1  # clipping or not is another program


def test_the_shared_program_trains_at_each_fits_own_learning_rate():
    """A program compiled for one learning rate must not keep it: after a fit at 1e-3, a
    fit at 1e-30 (Adam's steps are then about 1e-30) leaves the parameters where they began."""
    train_set, val = _sine_task()
    model = StackedLSTM(replace(SMALL, hidden_sizes=(8, 9)))  # a model of its own
    config = TrainConfig(epochs=2, patience=2, batch_size=32, progress=False)
    start = fit(model, train_set, val, replace(config, epochs=1)).params
    moved = fit(model, train_set, val, config, params=start)
    held = fit(model, train_set, val, replace(config, learning_rate=1e-30), params=start)
    distance = jax.tree.map(lambda a, b: float(jnp.max(jnp.abs(a - b))), moved.params, start)
    assert max(jax.tree.leaves(distance)) > 1e-4
    for got, began in zip(jax.tree.leaves(held.params), jax.tree.leaves(start), strict=True):
        np.testing.assert_allclose(got, began, rtol=0, atol=1e-20)


@pytest.mark.parametrize("clip_norm", [1.0, None])
def test_the_optimiser_is_optax_adam_after_clipping_bit_for_bit(clip_norm):
    import optax

    from finlstm.train import make_optimizer

    params = {"w": jnp.linspace(-1.0, 1.0, 12).reshape(3, 4), "b": jnp.zeros(4)}
    grads = jax.tree.map(lambda p: 3.0 * jnp.cos(7.0 * p + 1.0), params)  # global norm > 1
    plain = optax.adam(3e-3)
    if clip_norm is not None:
        plain = optax.chain(optax.clip_by_global_norm(clip_norm), plain)

    @functools.partial(jax.jit, static_argnums=0)  # a new program for each optimiser
    def two_steps(optimizer):
        state, p = optimizer.init(params), params
        for _ in range(2):
            updates, state = optimizer.update(grads, state, p)
            p = optax.apply_updates(p, updates)
        return p

    got = two_steps(make_optimizer(TrainConfig(learning_rate=3e-3, clip_norm=clip_norm)))
    jax.tree.map(np.testing.assert_array_equal, got, two_steps(plain))


def test_a_first_fit_compiles_at_most_four_programs_and_a_second_fit_none(compiles):
    """Eager JAX compiles each operation it has not run before as a program of its own (a
    key split, each optimiser moment, each step of the loss): the start of a fit is one
    program, the validation loss another."""
    train_set, val = _sine_task()
    model = StackedLSTM(replace(SMALL, hidden_sizes=(8, 6)))  # a model of its own
    config = TrainConfig(epochs=2, batch_size=32, progress=False)
    with compiles() as first:
        fit(model, train_set, val, config)
    with compiles() as second:
        fit(model, train_set, val, replace(config, seed=4))
    # The validation pass and the loss may have been compiled by an earlier test (the loss
    # serves every model), the start and the epoch are this model's own.
    programs = {"jit(start)", "jit(train_epoch)", "jit(forward)", "jit(mse_loss)"}
    assert set(first) <= programs, f"more programs than fit's own: {dict(first)}"
    assert first["jit(start)"] == first["jit(train_epoch)"] == 1
    assert max(first.values()) == 1
    assert sum(second.values()) == 0


def test_fit_initialises_from_the_first_key_of_its_seed_as_init_params_does():
    from finlstm.train import init_params

    train_set, val = _sine_task()
    model = StackedLSTM(ModelConfig(hidden_sizes=(8, 4), dense_size=4, dropout=0.2))
    config = TrainConfig(epochs=2, batch_size=32, progress=False, seed=2**31 + 5)
    init_key, _ = jax.random.split(jax.random.key(config.seed))
    given = init_params(model, init_key, train_set[0])
    from_seed = fit(model, train_set, val, config)
    from_params = fit(model, train_set, val, config, params=given)
    assert from_seed.history == from_params.history
    jax.tree.map(np.testing.assert_array_equal, from_seed.params, from_params.params)


@pytest.mark.parametrize("batch_size", [32, 64])  # one device; the batch split over devices
def test_every_epoch_of_every_fit_runs_the_program_compiled_for_the_first(batch_size, compiles):
    """Epoch 2 gets parameters placed where epoch 1 left them; unless epoch 1 got them
    placed the same way, XLA compiles the epoch a second time (as long as the first)."""
    train_set, val = _sine_task()
    model = StackedLSTM(replace(SMALL, hidden_sizes=(8, batch_size)))  # a model of its own
    with compiles() as counted:
        for seed in (0, 1):
            config = TrainConfig(epochs=3, patience=3, batch_size=batch_size, seed=seed)
            fit(model, train_set, val, replace(config, progress=False))
    assert counted["jit(train_epoch)"] == 1


def test_the_initialisation_is_one_program_that_equals_flax_init(compiles):
    from finlstm.train import init_params

    model = StackedLSTM(ModelConfig(hidden_sizes=(8, 3), dense_size=4))
    sample = np.zeros((5, 12, 3), np.float32)
    expected = [model.init(jax.random.key(s), sample[:1], train=False)["params"] for s in (0, 1)]
    with compiles() as counted:
        got = [init_params(model, jax.random.key(s), sample) for s in (0, 1)]
    jax.tree.map(np.testing.assert_array_equal, got, expected)
    assert counted["jit(initialise)"] == 1


def test_validation_and_test_sets_of_similar_size_share_one_forward_program():
    from finlstm import train

    train_set, val = _sine_task()
    model = StackedLSTM(SMALL)
    params = fit(model, train_set, val, TrainConfig(epochs=1, batch_size=32, progress=False)).params
    train.jit_forward.cache_clear()
    for n in (40, 50, 64):  # all padded to 64 rows
        assert predict(model, params, val[0][:n]).shape == (n, 1)
    assert train.jit_forward.cache_info().misses == 1


def test_fit_many_trains_the_same_models_with_and_without_a_mesh():
    """Each model shuffles and draws dropout from its own key on either path, so the mesh
    decides where the arithmetic runs, not what is learned."""
    from finlstm.devices import make_mesh
    from finlstm.parallel import fit_many, predict_many

    rng = np.random.default_rng(0)
    xs = rng.standard_normal((2, 128, 12, 3)).astype(np.float32)
    ys = 0.5 * xs[:, :, -1, 0]
    model = StackedLSTM(ModelConfig(hidden_sizes=(8,), dense_size=4, dropout=0.2))
    config = TrainConfig(epochs=2, batch_size=32, progress=False)
    alone, alone_losses = fit_many(model, xs, ys, config)
    meshed, meshed_losses = fit_many(model, xs, ys, config, make_mesh(data=1))
    np.testing.assert_allclose(alone_losses, meshed_losses, rtol=1e-4)
    np.testing.assert_allclose(
        predict_many(model, alone, xs), predict_many(model, jax.device_get(meshed), xs), atol=1e-4
    )


def test_many_models_in_one_program_equal_vmap_and_are_split_over_devices():
    """`fit_many`, `train_many` and `predict_many` run one function per model through
    `over_models`; on a CPU it runs each device's models in turn instead of `jax.vmap`,
    which must not change what each model computes."""
    from finlstm.parallel import over_models

    def one_model(weights, inputs):  # a pytree in, a pytree out
        hidden = jnp.tanh(inputs @ weights["w"] + weights["b"])
        return {"mean": hidden.mean(), "rows": hidden @ weights["w"].T}

    rng = np.random.default_rng(0)
    n = 4
    weights = {
        "w": jnp.asarray(rng.standard_normal((n, 3, 5)), jnp.float32),
        "b": jnp.asarray(rng.standard_normal((n, 5)), jnp.float32),
    }
    inputs = jnp.asarray(rng.standard_normal((n, 7, 3)), jnp.float32)
    got = over_models(one_model, n)(weights, inputs)
    want = jax.vmap(one_model)(weights, inputs)
    for name in ("mean", "rows"):
        np.testing.assert_allclose(got[name], want[name], rtol=1e-5, atol=1e-6)
    # the most devices that divide the models evenly: 2 of the 2 on a two-core machine
    devices = max(k for k in range(1, jax.device_count() + 1) if n % k == 0)
    assert len(got["rows"].sharding.device_set) == devices
