"""Training across devices with `jax.sharding`: the batch split over devices, many models
at once, one program.

The optimiser step is the one every other trainer uses (`finlstm.train.make_train_step`),
under `jax.vmap` over a leading models axis (seeds, folds, assets). It is jitted with
shardings on a two-axis device mesh:

* "models": the models axis of parameters, optimiser state and data is split over it;
* "data": the batch axis is split over it, and parameters are replicated along it.

XLA's SPMD partitioner then runs each device's share of the batch on that device and adds
the all-reduce that averages the gradient, so the result equals one device's to float
rounding. The same code runs on one CPU, on 8 simulated CPU devices
(`XLA_FLAGS=--xla_force_host_platform_device_count=8`, set before JAX starts), on a GPU
machine, or a TPU slice.

Several hosts: call `jax.distributed.initialize()` at the start of the program on every
host (with the coordinator address, process count and id, or from the cluster's
environment); `jax.devices()` then lists every host's devices and `make_mesh` spans them.
Each host should then load only its own share of the batch and assemble the global array
with `jax.make_array_from_process_local_data`. This course runs on one host only.
"""

from __future__ import annotations

import flax.linen as nn
import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from finlstm.train import (
    LOSSES,
    TrainConfig,
    TrainingDivergedError,
    init_params,
    make_optimizer,
    make_train_step,
)

MODELS, DATA = "models", "data"


def make_mesh(data: int | None = None, models: int = 1, devices=None) -> Mesh:
    """A (models, data) mesh over the first models * data devices.

    data: devices that split each batch (default: all visible devices / models).
    models: devices that split the models axis.
    """
    devices = list(jax.devices() if devices is None else devices)
    if models < 1:
        raise ValueError(f"models must be >= 1, got {models}")
    data = len(devices) // models if data is None else data
    if data < 1 or models * data > len(devices):
        raise ValueError(
            f"a mesh of {models} x {data} devices needs {models * data}; "
            f"{len(devices)} are visible ({jax.default_backend()})"
        )
    grid = np.array(devices[: models * data], dtype=object).reshape(models, data)
    return Mesh(grid, (MODELS, DATA))


def check_shapes(n_models: int, batch_size: int, mesh: Mesh) -> None:
    """Raise a clear error when the models or the batch cannot be split evenly.

    The library does not pad: a padded sample would change the gradient, so the batch
    size must be a multiple of the mesh's data axis.
    """
    data, models = mesh.shape[DATA], mesh.shape[MODELS]
    if batch_size % data:
        lower, upper = batch_size - batch_size % data, batch_size + data - batch_size % data
        raise ValueError(
            f"batch_size {batch_size} cannot be split evenly over the {data} devices of the "
            f"mesh's data axis; use a multiple of {data}, e.g. {lower or upper} or {upper}"
        )
    if n_models % models:
        raise ValueError(
            f"{n_models} models cannot be split evenly over the {models} devices of the "
            f"mesh's models axis"
        )


def sharded_train_step(model: nn.Module, config: TrainConfig, mesh: Mesh):
    """The course's train step for a stack of models, jitted for `mesh`.

    (params, opt_state, keys, x, y) -> (params, opt_state, keys, losses), every argument
    with a leading models axis; x: (models, batch, time, features), y: (models, batch).
    """
    step = make_train_step(model, make_optimizer(config), LOSSES[config.loss])

    def one_model(params, opt_state, key, x, y):
        (params, opt_state, key), loss = step((params, opt_state, key), (x, y))
        return params, opt_state, key, loss

    per_model = NamedSharding(mesh, P(MODELS))  # replicated along "data"
    batch = NamedSharding(mesh, P(MODELS, DATA))
    return jax.jit(
        jax.vmap(one_model),
        in_shardings=(per_model, per_model, per_model, batch, batch),
        out_shardings=(per_model, per_model, per_model, per_model),
    )


def fit_data_parallel(
    model: nn.Module,
    x: np.ndarray,
    y: np.ndarray,
    config: TrainConfig | None = None,
    mesh: Mesh | None = None,
) -> tuple[dict, np.ndarray]:
    """Train for `config.epochs` epochs with every batch split over the mesh's devices.

    Args:
      x: (samples, time, features) for one model, or (models, samples, time, features)
        for several trained at once (each on its own data).
      y: (samples,) or (models, samples) targets.
      config: TrainConfig (default TrainConfig()); no validation or early stopping here,
        a fixed epoch count.
      mesh: from `make_mesh` (default: one model axis device, every device on "data").

    Returns:
      (params, losses): params with a leading models axis when x had one; losses
      (epochs,) or (models, epochs), the mean training loss of each epoch.

    Model k is initialised from fold_in(key(config.seed), k), and every epoch uses one
    shuffled order for all models, so the result does not depend on the mesh.
    """
    config = TrainConfig() if config is None else config
    single = np.ndim(x) == 3
    x = np.asarray(x, dtype=np.float32)[None] if single else np.asarray(x, np.float32)
    y = np.asarray(y, dtype=np.float32)[None] if single else np.asarray(y, np.float32)
    if x.ndim != 4 or y.shape != x.shape[:2]:
        raise ValueError(
            f"x must be (samples, time, features) or (models, samples, time, features) and "
            f"y match its leading axes; got {x.shape} and {y.shape}"
        )
    if x.shape[1] < config.batch_size:
        raise ValueError(f"{x.shape[1]} samples are fewer than one batch of {config.batch_size}")
    mesh = make_mesh(models=1) if mesh is None else mesh
    check_shapes(len(x), config.batch_size, mesh)
    step = sharded_train_step(model, config, mesh)
    optimizer = make_optimizer(config)

    base = jax.random.key(config.seed)
    keys = jax.vmap(lambda k: jax.random.fold_in(base, k))(np.arange(len(x)))
    init_keys, train_keys = jax.vmap(jax.random.split, out_axes=1)(keys)
    params = jax.vmap(lambda k: init_params(model, k, x[0, :1]))(init_keys)
    opt_state = jax.vmap(optimizer.init)(params)
    per_model = NamedSharding(mesh, P(MODELS))
    batch_sharding = NamedSharding(mesh, P(MODELS, DATA))
    params, opt_state, train_keys = jax.device_put((params, opt_state, train_keys), per_model)

    shuffle_key = jax.random.fold_in(base, 1_000_003)
    n_batches = x.shape[1] // config.batch_size
    history = []
    for _ in range(config.epochs):
        shuffle_key, epoch_key = jax.random.split(shuffle_key)
        order = np.asarray(jax.random.permutation(epoch_key, x.shape[1]))
        losses = []
        for b in range(n_batches):
            rows = order[b * config.batch_size : (b + 1) * config.batch_size]
            xb = jax.device_put(x[:, rows], batch_sharding)
            yb = jax.device_put(y[:, rows], batch_sharding)
            params, opt_state, train_keys, loss = step(params, opt_state, train_keys, xb, yb)
            losses.append(loss)
        history.append(np.mean(np.stack([np.asarray(v) for v in losses]), axis=0))
    history = np.stack(history, axis=1)  # (models, epochs)
    if not np.isfinite(history).all():
        raise TrainingDivergedError("the training loss stopped being finite")
    if single:
        return jax.tree.map(lambda leaf: leaf[0], params), history[0]
    return params, history
