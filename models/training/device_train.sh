#!/usr/bin/env bash
# How models/default.mgb is trained on the device machine (one H200, ../shared/DEVICE.md), in
# calls of at most 10 minutes that keep the run folders on the warm machine between them, and
# how a run's checkpoint crosses from one device session to the next (README.md, "Session plan").
#
# Usage on the device: bash models/training/device_train.sh PHASE[+PHASE...] [SECONDS|GROUP]
# e.g. `start 560`, `resume 560`, `resume+decay 560`, `pack 0`, `assemble+resume 560`.
# Every call but DRY=1 ones first sources .device/setup.sh (idempotent).
#
#   setup     only the setup (the first call of a session that carries .device, the checkpoint's
#             parts following in the next calls)
#   cmtargets (before start) write cm's targets of every training file to runs/cm, one process
#             per file, for arms trained with the mixture loss (ARGS_b="--mix-loss runs/cm";
#             models/training/cm_targets.ts)
#   start     run the engine's contract tests on the machine's CPUs (in the background) and start
#             one or more arms (ARMS="name:lr ..."), each warm-started from INIT (a model file;
#             INIT=none: from scratch at CONFIG, a level or JSON; INIT and CONFIG: INIT grown to
#             the deeper level CONFIG), the first alone for ALONE
#             seconds so its log shows the cost of sharing the GPU. EXTRA_ARGS: more train flags
#             (word-split; e.g. "--ngram-lr-scale 10"), ARGS_<name>: more for arm <name> alone
#             (e.g. ARGS_b="--ngram-weight-decay 10"). CRLF=F: that share of the
#             training windows with CRLF line ends (--crlf). SCHEDULE=wsd makes stable runs
#             (--decay-steps 0), to be prolonged session after session and decayed in copies.
#   resume    continue the arms named in runs/keep.txt. A cosine run's --steps is set so that its
#             cosine ends when STEPS_LEFT_S (training seconds left for the whole plan) does; a wsd
#             run's --steps is moved beyond this call (and beyond its decay), so it stays stable.
#   decay     (after start or resume, in the same call) for each kept wsd arm NAME: copy runs/NAME
#             to runs/NAME-decay and decay the copy over DECAY_STEPS steps (default: the steps
#             that fit DECAY_S seconds, default 120), to the floor; the stable run is kept as it is.
#   cooldown  (after assemble or resume) decay each kept wsd arm IN PLACE, over a decay longer than
#             one call: the call that finds the run stable sets --steps to its step + COOL_STEPS
#             and --decay-steps to COOL_STEPS (COOL_STEPS: default COOL_S seconds, 1200, at STEP_S
#             seconds per step, default the run's logged step time); later calls keep both. For a
#             stable run whose checkpoint is also kept elsewhere (.ckpt/ here): this one is spent.
#   end       (after start, resume, decay or cooldown) export each kept arm (its decayed copy if one was
#             made in this call; EXPORT_ARGS: more export flags, e.g. "--table-dtype int4" for tables
#             of 65,536 rows) to $OUT/NAME.mgb or $OUT/NAME-decay.mgb, pack logs and reports in
#             $OUT/reports.tar.xz, and choose the arms to keep (runs/keep.txt; KEEP=all: every
#             arm, even where sharing the GPU costs more than 25% of the throughput). EVAL_DIR=DIR:
#             also evaluate each export on the files in DIR (FILE.xz unpacked first) with
#             bench/float_eval.ts on the GPU, the window alone and --long, into the reports as
#             NAME/float.txt and NAME/float_long.txt (the model card's float columns)
#   eval      (a call of its own, after one that ended) the same evaluation of the kept arms'
#             exports runs/NAME.mgb and runs/NAME-decay.mgb on EVAL_DIR, into reports.tar.xz, and
#             nothing else: for when the training took the call that exported
#   pack G    copy group G (0-based) of run RUN's checkpoint (default: the first kept arm) to
#             $OUT/RUN: state.json and PACK_FILES (default 4) tensor files of <= 15 MiB, the last group
#             with the run's log.jsonl; prints how many groups there are. No export, no reports: one pack
#             call per group, at the end of a session (the default level: 8 files, groups 0 and 1)
#   assemble  gather the checkpoint parts carried in under .ckpt/1/NAME, .ckpt/2/NAME, ... (laid
#             out here by models/training/carry_ckpt.sh; each kept in runs/parts/NAME as it comes,
#             as the next call's copy of the tree drops .ckpt/), check every file's size and SHA-256
#             against state.json and, once all are there, install runs/NAME/ckpt (+ log.jsonl) and
#             add NAME to runs/keep.txt; while parts are missing, say which and stop the call
#
# DRY=1: a rehearsal on this machine, with its own Deno and node_modules (set OUT, DATA_DIR and
# BACKEND=wasm; STOP_AT=STEP pauses start and resume after that step, for exact comparisons).
set -u
phases=$1
arg=${2:-0}
seconds=$arg
D="deno run --no-lock --node-modules-dir=manual"
T="$D --allow-read --allow-write --allow-run=xz --allow-env --unstable-webgpu cli/train.ts"
C="$D --allow-read --allow-write models/training/ckpt.ts"
P="$D --allow-read models/training/plan_steps.ts"
t0=$(date +%s)
mkdir -p runs "$OUT/rep"
has() { [[ "+$phases+" == *"+$1+"* ]]; }
left() { echo $((seconds - ($(date +%s) - t0) - ${1:-60})); }
reserve=0 # seconds kept for the decay phase by start and resume
has decay && reserve=${DECAY_S:-120}
stop=()
[ -n "${STOP_AT:-}" ] && stop=(--stop-at "$STOP_AT")

# The float evaluation of export runs/$1.mgb on the files in EVAL_DIR, into the reports.
evaluate() {
  for f in "$EVAL_DIR"/*.xz; do [ -f "$f" ] && [ ! -f "${f%.xz}" ] && xz -dk "$f"; done
  local files F
  files=$(ls "$EVAL_DIR"/* | grep -v '\.xz$')
  F="$D --allow-read --allow-env --unstable-webgpu bench/float_eval.ts --backend ${BACKEND:-webgpu}"
  mkdir -p "$OUT/rep/$1"
  # shellcheck disable=SC2086 # the files: word-split, as listed
  $F --model "runs/$1.mgb" $files > "$OUT/rep/$1/float.txt" 2>> "runs/$1.out"
  # shellcheck disable=SC2086
  $F --long --model "runs/$1.mgb" $files > "$OUT/rep/$1/float_long.txt" 2>> "runs/$1.out"
  cp "runs/$1.out" "$OUT/rep/$1/"
}

if [ -z "${DRY:-}" ]; then
  if [ ! -f .device/setup.sh ]; then
    echo "no .device/ here: a fresh machine (the warm one was given back); start from the first call"
    exit 1
  fi
  source .device/setup.sh > "$OUT/rep/setup.txt" 2>&1
fi

if has assemble; then
  # The device's copy of the tree drops, at each call, the paths that call did not carry unless
  # the device's .gitignore names them (the local .git/info/exclude does not travel): the parts
  # wait for the rest under runs/ (ignored), copied there as they arrive.
  for d in .ckpt/*/*/; do
    [ -d "$d" ] || continue
    mkdir -p "runs/parts/$(basename "$d")" && cp -f "$d"* "runs/parts/$(basename "$d")/"
  done
  names=$(ls -d runs/parts/*/ 2> /dev/null | xargs -r -n1 basename | sort -u)
  [ -z "$names" ] && { echo "assemble: nothing carried in under .ckpt/N/NAME"; exit 1; }
  for name in $names; do
    if [ -f "runs/$name/ckpt/state.json" ]; then
      echo "assemble: runs/$name is here already (step $($P --info "runs/$name" | cut -d' ' -f1)): kept"
    else
      $C assemble "runs/$name" "runs/parts/$name"
      rc=$?
      if [ $rc = 3 ]; then
        echo "assemble: not complete; carry the next .ckpt/N and call again"
        cat "$OUT/rep/setup.txt" 2> /dev/null
        rm -rf "$OUT/rep"
        exit 0
      fi
      [ $rc = 0 ] || exit 1
      rm -rf "runs/parts/$name"
    fi
    grep -qx "$name" runs/keep.txt 2> /dev/null || echo "$name" >> runs/keep.txt
  done
fi

if has cmtargets; then
  dd=${DATA_DIR:-.device/data}
  mkdir -p runs/cm
  for f in $(ls "$dd"/*.txt "$dd"/*.bin 2> /dev/null | grep -v /valid-); do
    $D --allow-read --allow-write --allow-run=xz models/training/cm_targets.ts --out runs/cm "$f" \
      >> runs/cm.out 2>&1 &
  done
  wait
  cp runs/cm.out "$OUT/rep/cm.txt"
fi

if has start; then
  if [ -z "${DRY:-}" ]; then
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
  TR=$(ls "$dd"/*.txt "$dd"/*.bin 2> /dev/null | grep -v /valid- | paste -sd,)
  VA=$(ls "$dd"/valid-*.txt "$dd"/valid-*.bin 2> /dev/null | paste -sd,)
  echo "$TR" > runs/data.txt
  if [ "${INIT:-models/default.mgb}" = none ]; then
    from=(--config "${CONFIG:-default}")
  else
    from=(--init "${INIT:-models/default.mgb}")
    [ -n "${CONFIG:-}" ] && from+=(--config "$CONFIG") # a deeper level grows INIT (train --init)
  fi
  sched=(--schedule "${SCHEDULE:-cosine}")
  [ "${SCHEDULE:-cosine}" = wsd ] && sched+=(--decay-steps 0) # stable: the decay phase decays copies
  first=1
  for arm in ${ARMS:-a:1e-3}; do
    name=${arm%%:*}
    lr=${arm#*:}
    own="ARGS_$name"
    $T "${from[@]}" "${sched[@]}" --data "$TR" --valid "$VA" --steps "${STEPS:-3000}" \
      --warmup "${WARMUP:-100}" --batch "${BATCH:-16}" --crlf "${CRLF:-0}" --lr "$lr" \
      --backend "${BACKEND:-webgpu}" ${EXTRA_ARGS:-} ${!own:-} \
      --out "runs/$name" --eval-every "${EVAL_EVERY:-200}" --valid-windows "${VALID_WINDOWS:-8}" \
      --max-seconds "$(left $((60 + reserve)))" "${stop[@]}" > "runs/$name.out" 2>&1 &
    echo "$name" >> runs/keep.txt
    if [ $first = 1 ]; then sleep "${ALONE:-0}"; first=0; fi
  done
  wait
fi

if has resume; then
  for name in $(cat runs/keep.txt); do
    budget=$(left $((60 + reserve)))
    steps=$($P "runs/$name" "${STEPS_LEFT_S:-0}" "$budget")
    $T --resume "runs/$name" --backend "${BACKEND:-webgpu}" --steps "$steps" --max-seconds "$budget" \
      "${stop[@]}" >> "runs/$name.out" 2>&1 &
  done
  wait
fi

decayed=()
if has decay; then
  for name in $(cat runs/keep.txt); do
    read -r step schedule _ < <($P --info "runs/$name")
    if [ "$schedule" != wsd ]; then
      echo "decay: $name is a $schedule run; exported as it is"
      continue
    fi
    rm -rf "runs/$name-decay" && cp -r "runs/$name" "runs/$name-decay"
    budget=$(left 60)
    n=${DECAY_STEPS:-$($P --decay "runs/$name" $((budget * 9 / 10)))}
    $T --resume "runs/$name-decay" --backend "${BACKEND:-webgpu}" --steps $((step + n)) \
      --decay-steps "$n" --max-seconds "$budget" >> "runs/$name-decay.out" 2>&1 &
    decayed+=("$name")
  done
  wait
fi

if has cooldown; then
  for name in $(cat runs/keep.txt); do
    read -r step schedule total n < <($P --info "runs/$name")
    if [ "$schedule" != wsd ]; then
      echo "cooldown: $name is a $schedule run, not wsd"
      exit 1
    fi
    if [ "$n" = 0 ]; then # stable: this call starts the decay
      n=${COOL_STEPS:-$($P --decay "runs/$name" "${COOL_S:-1200}" ${STEP_S:-})}
      total=$((step + n))
    fi
    echo "cooldown: $name from step $step, decay over the $n steps to $total"
    $T --resume "runs/$name" --backend "${BACKEND:-webgpu}" --steps "$total" --decay-steps "$n" \
      --max-seconds "$(left 60)" "${stop[@]}" >> "runs/$name.out" 2>&1 &
  done
  wait
fi

if has pack; then
  run=${RUN:-$(head -1 runs/keep.txt)}
  rm -rf "$OUT/rep"
  $C pack "runs/$run" "$arg" "$OUT/$run" "${PACK_FILES:-4}" || exit 1
  exit 0
fi

if has eval; then
  if [ -z "${EVAL_DIR:-}" ]; then
    echo "eval needs EVAL_DIR, the folder of files to evaluate on" >&2
    exit 1
  fi
  for name in $(cat runs/keep.txt); do
    for src in "$name" "$name-decay"; do [ -f "runs/$src.mgb" ] && evaluate "$src"; done
  done
  tar cJf "$OUT/reports.tar.xz" -C "$OUT" rep && rm -rf "$OUT/rep"
  echo "call took $(($(date +%s) - t0)) s"
  exit 0
fi

if ! has start && ! has resume && ! has decay && ! has cooldown; then # setup, assemble: nothing to export
  cat "$OUT/rep/setup.txt" 2> /dev/null
  rm -rf "$OUT/rep"
  exit 0
fi

# end: export, reports, choice of arms
for name in $(cat runs/keep.txt); do
  src=$name
  [[ " ${decayed[*]} " == *" $name "* ]] && src=$name-decay
  # shellcheck disable=SC2086 # EXPORT_ARGS: word-split flags, as EXTRA_ARGS
  $T --resume "runs/$src" --backend "${BACKEND:-webgpu}" --stop-at 0 --export "runs/$src.mgb" -f --name default \
    ${EXPORT_ARGS:-} >> "runs/$src.out" 2>&1 &
done
wait
$D --allow-read models/training/plan_steps.ts --choose runs $(cat runs/keep.txt) > runs/keep.next
if [ "${KEEP:-}" = all ]; then # an A/B to run to its end, shared or not
  cp runs/keep.txt runs/keep.next
  echo "KEEP=all: every arm is kept" >&2
fi
for name in $(cat runs/keep.txt); do
  src=$name
  [[ " ${decayed[*]} " == *" $name "* ]] && src=$name-decay
  # Files come back at most 16 MiB each: a larger model (local4hash: 23 MB) comes in parts,
  # rejoined with `cat NAME.mgb.part-* > NAME.mgb` (the file's own checksum then checks the join).
  if [ "$(stat -c %s "runs/$src.mgb")" -le $((15 * 1024 * 1024)) ]; then
    cp "runs/$src.mgb" "$OUT/$src.mgb"
  else
    split -b 15M "runs/$src.mgb" "$OUT/$src.mgb.part-"
  fi
  for r in $name $src; do
    mkdir -p "$OUT/rep/$r"
    cp "runs/$r.out" "runs/$r/log.jsonl" "runs/$r/loss.svg" "runs/${r}_fixture.json" \
      "$OUT/rep/$r/" 2> /dev/null
  done
  [ -n "${EVAL_DIR:-}" ] && evaluate "$src"
done
cp runs/keep.next "$OUT/rep/keep.txt" && mv runs/keep.next runs/keep.txt
nvidia-smi > "$OUT/rep/nvidia-smi.txt" 2>&1
tar cJf "$OUT/reports.tar.xz" -C "$OUT" rep && rm -rf "$OUT/rep"
echo "call took $(($(date +%s) - t0)) s; keep: $(cat runs/keep.txt | paste -sd' ')"
