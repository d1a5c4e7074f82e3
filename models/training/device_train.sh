#!/usr/bin/env bash
# How models/default.mgb was trained on the device machine (one H200, ../shared/DEVICE.md), in
# calls of at most 10 minutes that keep the run folders on the warm machine between them.
#
#   start   set up, run the engine's contract tests on the machine's CPUs (in the background),
#           start one or more arms (ARMS="name:lr ..."), each warm-started from INIT (a model
#           file), the first alone for ALONE seconds so its log shows the cost of sharing the GPU
#   resume  continue the arms named in runs/keep.txt; STEPS_LEFT_S (training seconds left for
#           the whole plan) sets each run's --steps so its cosine ends when the time does
#   end     every call: export each kept arm to $OUT/NAME.mgb, pack logs and reports in
#           $OUT/reports.tar.xz, and choose the arms to keep (runs/keep.txt)
#
# Usage on the device: bash models/training/device_train.sh start|resume SECONDS
set -u
phase=$1
seconds=$2
D="deno run --no-lock --node-modules-dir=manual"
T="$D --allow-read --allow-write --allow-run=xz --allow-env --unstable-webgpu cli/train.ts"
t0=$(date +%s)
mkdir -p runs "$OUT/rep"

if [ "$phase" = start ]; then
  if [ -z "${DRY:-}" ]; then # DRY=1: a rehearsal on this machine, with its own Deno and node_modules
    source .device/setup.sh > "$OUT/rep/setup.txt" 2>&1
    rm -rf node_modules && tar xJf .device/node_modules.tar.xz
  fi
  (lscpu; deno --version) > "$OUT/rep/contract.txt" 2>&1
  # --no-check: the trimmed node_modules has no @types/node (type-checking is CI's job).
  [ -z "${DRY:-}" ] && nice -n 10 deno test --no-check --no-lock --node-modules-dir=manual \
    --allow-read --allow-env \
    tests/engine/contract_test.ts tests/engine/golden_test.ts tests/engine/kernels_test.ts \
    tests/engine/tfjs_fixture_test.ts tests/engine/tfjs_agreement_test.ts lib/engine \
    >> "$OUT/rep/contract.txt" 2>&1 &
  dd=${DATA_DIR:-.device/data}
  TR=$(ls "$dd"/*.txt "$dd"/*.bin | grep -v /valid- | paste -sd,)
  VA=$(ls "$dd"/valid-*.txt "$dd"/valid-*.bin | paste -sd,)
  echo "$TR" > runs/data.txt
  first=1
  for arm in ${ARMS:-a:1e-3}; do
    name=${arm%%:*}
    lr=${arm#*:}
    left=$((seconds - ($(date +%s) - t0) - 60))
    $T --init "${INIT:-models/default.mgb}" --data "$TR" --valid "$VA" --steps "${STEPS:-3000}" \
      --warmup 100 --batch "${BATCH:-32}" --lr "$lr" --backend "${BACKEND:-webgpu}" --out "runs/$name" \
      --eval-every "${EVAL_EVERY:-100}" --valid-windows 8 --max-seconds "$left" \
      > "runs/$name.out" 2>&1 &
    echo "$name" >> runs/keep.txt
    if [ $first = 1 ]; then sleep "${ALONE:-0}"; first=0; fi
  done
  wait
elif [ "$phase" = resume ]; then
  for name in $(cat runs/keep.txt); do
    left=$((seconds - ($(date +%s) - t0) - 60))
    steps=$($D --allow-read models/training/plan_steps.ts "runs/$name" "${STEPS_LEFT_S:-0}")
    $T --resume "runs/$name" --backend "${BACKEND:-webgpu}" --steps "$steps" --max-seconds "$left" \
      >> "runs/$name.out" 2>&1 &
  done
  wait
fi

# end: export, reports, choice of arms
for name in $(cat runs/keep.txt); do
  $T --resume "runs/$name" --backend "${BACKEND:-webgpu}" --stop-at 0 --export "runs/$name.mgb" --name default \
    >> "runs/$name.out" 2>&1 &
done
wait
$D --allow-read models/training/plan_steps.ts --choose runs $(cat runs/keep.txt) > runs/keep.next
for name in $(cat runs/keep.txt); do
  cp "runs/$name.mgb" "$OUT/$name.mgb"
  mkdir -p "$OUT/rep/$name"
  cp "runs/$name.out" "runs/$name/log.jsonl" "runs/$name/loss.svg" "runs/${name}_fixture.json" \
    "$OUT/rep/$name/" 2> /dev/null
done
cp runs/keep.next "$OUT/rep/keep.txt" && mv runs/keep.next runs/keep.txt
nvidia-smi > "$OUT/rep/nvidia-smi.txt" 2>&1
tar cJf "$OUT/reports.tar.xz" -C "$OUT" rep && rm -rf "$OUT/rep"
echo "call took $(($(date +%s) - t0)) s; keep: $(cat runs/keep.txt | paste -sd' ')"
