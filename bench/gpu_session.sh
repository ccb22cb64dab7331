#!/usr/bin/env bash
# One bounded session on a lent GPU machine (no network, no TensorFlow): the Keras models on
# JAX. Prepare here, from the project root (ignored folder .gpu/, about 30 MB):
#
#   echo /.gpu/ >> .git/info/exclude
#   ../shared/gpu/fetch-wheels.sh .gpu/whl keras==3.15.1 namex==0.1.0 optree==0.20.0 \
#       pydantic==2.14.3 pydantic-core==2.50.4 annotated-types==0.8.0 typing-inspection==0.4.5
#   gzip -c data/prepared/couplet/train.tsv > .gpu/train.tsv.gz
#   cp data/prepared/couplet/test.tsv .gpu/
#   cp -r data/prepared/xwlb data/prepared/lcsts .gpu/      # the headline model (step 3)
#   ../shared/gpu/fetch-wheels.sh .gpu/whl rouge-score==0.1.2 nltk scikit-learn scipy \
#       threadpoolctl joblib absl-py pyyaml regex click  # its scorer and retrieval baseline
#
# then run `bash bench/gpu_session.sh` there with .gpu carried and OUT set. It writes under
# $OUT: gpu.txt, train_throughput.jsonl (bench/train_throughput.py, every model, JAX),
# couplet_train.log and the full-data couplet Transformer (models.tar.part-*, 15 MB pieces), which
# `python bench/couplet_full.py --score-saved DIR` scores here on the CPU.
# Step 3 trains the headline model (bench/title_full.py, full profile) for TITLE_MINUTES and
# scores it there (title_full.jsonl; the model in title.tar.part-*). Not yet run on a GPU.
# Knobs: THROUGHPUT_BUDGET_S (120), THROUGHPUT_SCALE (1), SEQ2SEQ_MINUTES (4), TITLE_MINUTES (5),
# PY (python3), SKIP_INSTALL.
set -u
OUT=${OUT:?set OUT to the folder that comes back}
PY=${PY:-python3}
start=$(date +%s)
if [ -z "${SKIP_INSTALL:-}" ]; then
  $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site \
      .gpu/whl/*.whl || exit 1
  export PYTHONPATH=/tmp/site:src
fi
export KERAS_BACKEND=jax PYTHONUNBUFFERED=1 TF_CPP_MIN_LOG_LEVEL=2
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1
  $PY -c 'import jax, keras; print("jax", jax.__version__, jax.devices(), "keras", keras.__version__)'
} | tee "$OUT/gpu.txt"

# 1. training throughput of every model (synthetic data), JAX on this device
$PY bench/train_throughput.py --backends jax --budget-s "${THROUGHPUT_BUDGET_S:-120}" \
    --scale "${THROUGHPUT_SCALE:-1}" | tee "$OUT/train_throughput.jsonl"
echo "throughput done at $(( $(date +%s) - start )) s"

# 2. the couplet Transformer (COUPLET_MODEL, default transformer; seq2seq as before) on every
#    training pair, width 256, early stopping on the dev slice or the time budget; scored later
#    on the CPU (bench/couplet_full.py --score-saved, bench/couplet_rerank.py)
mkdir -p /tmp/couplet
gunzip -c .gpu/train.tsv.gz > /tmp/couplet/train.tsv && cp .gpu/test.tsv /tmp/couplet/
$PY bench/couplet_full.py --train-only --models "${COUPLET_MODEL:-transformer}" --epochs 40 \
    --patience 2 --set dim=256 --set tokens_per_batch=4096 --set learning_rate=0.001 \
    --max-minutes "${SEQ2SEQ_MINUTES:-4}" --couplet /tmp/couplet --out /tmp/models \
    ${MAX_TRAIN:+--max-train $MAX_TRAIN} 2>&1 | tee "$OUT/couplet_train.log"
tar -C /tmp -cf - models | split -b 15M - "$OUT/models.tar.part-"

# 3. the headline model at full scale, scored on the test year and LCSTS PART III
if [ -d .gpu/xwlb ]; then
  $PY bench/title_full.py --set max_minutes="${TITLE_MINUTES:-5}" --pairs .gpu/xwlb \
      --lcsts .gpu/lcsts --out /tmp/title 2> "$OUT/title_train.log" | tee "$OUT/title_full.jsonl"
  tar -C /tmp -cf - title | split -b 15M - "$OUT/title.tar.part-"
fi
echo "all done at $(( $(date +%s) - start )) s"
