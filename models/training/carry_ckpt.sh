#!/usr/bin/env bash
# Here, between device sessions: lay out a run's checkpoint, brought back by the calls
# `device_train.sh pack 0`, `pack 1`, …, for carrying into the next session's machine.
#
#   bash models/training/carry_ckpt.sh FETCHED...
#
# FETCHED: each pack call's folder $OUT/NAME as fetched here (e.g. /work/.device/12/a
# /work/.device/13/a). Every file is checked against state.json, then the checkpoint is re-cut
# into .ckpt/1/NAME, .ckpt/2/NAME, … (ignored by .gitignore), each small enough to
# travel in one call beside the working tree (64 MiB with it, less 1 MiB of margin). Prints the
# device calls that carry them in (README.md, "Session plan").
set -eu
cd "$(git rev-parse --show-toplevel)"
tree=$( (git ls-files -z; git ls-files -z -o --exclude-standard) | xargs -0 -r stat -c %s 2> /dev/null |
  awk '{ s += $1 } END { print s + 0 }')
budget=$((64 * 1024 * 1024 - tree - 1024 * 1024))
echo "working tree $((tree / 1024)) KiB: $((budget / 1024)) KiB of checkpoint per call" >&2
dirs=$(deno run --allow-read --allow-write models/training/ckpt.ts layout .ckpt "$budget" "$@")
n=$(echo "$dirs" | wc -l)
echo "Calls of the next session (each within 30 s of the last, so that the machine stays warm):"
echo "  1. carry [\".device\"]: bash models/training/device_train.sh setup"
i=2
for d in $dirs; do
  if [ $i -le "$n" ]; then
    echo "  $i. carry [\"$d\"]: bash models/training/device_train.sh assemble 0"
  else
    echo "  $i. carry [\"$d\"]: STEPS_LEFT_S=... bash models/training/device_train.sh assemble+resume 560  (or assemble+resume+decay)"
  fi
  i=$((i + 1))
done
