#!/usr/bin/env bash
# The benchmark and the lessons on a GPU machine that has CUDA-enabled jax, torch, flax and
# optax but no Jupyter and no network (the course's GPU check; docs/performance.md).
#
#   OUT=results-folder bash bench/gpu.sh
#
# Wheels in .whl/ (arch for the bundled data, IPython for the lessons' display calls) are
# installed into /tmp/site first when the folder exists (on a machine with pip access:
#   pip download --no-deps --only-binary=:all: --python-version 3.12 -d .whl \
#       arch==8.0.0 ipython==9.18.1 <its dependencies from requirements/lock.txt>
# ). Writes OUT/gpu.json, OUT/gpu.md
# (the benchmark), OUT/lessons.json and OUT/lessons.log (every lesson run as a script).
set -uo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
OUT=${OUT:?set OUT to a folder for the results}
mkdir -p "$OUT"
if [ -d .whl ]; then
    $PYTHON -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
        --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}"
export PYTHONUNBUFFERED=1 XLA_PYTHON_CLIENT_PREALLOCATE=false
nvidia-smi -L || true
$PYTHON -c "import jax, flax, optax, torch; print('jax', jax.__version__, jax.devices(), \
'flax', flax.__version__, 'optax', optax.__version__, 'torch', torch.__version__, \
'cuda', torch.cuda.is_available())" || exit 1
# The first-epoch part (fresh processes, several minutes) does not fit the check's time.
timeout "${BENCH_TIMEOUT:-300}" $PYTHON -m bench.run --skip-course --skip-first-epoch \
    --steps "${STEPS:-30}" --out "$OUT/gpu" ${BENCH_ARGS:-} 2>&1 | tee "$OUT/bench.log"
bench=$?
timeout "${LESSONS_TIMEOUT:-240}" $PYTHON -m bench.lessons_as_scripts --timeout 150 \
    --out "$OUT/lessons.json" --log "$OUT/lessons.log" ${LESSONS:-}
lessons=$?
echo "bench exit $bench, lessons exit $lessons"
exit $((bench || lessons))
