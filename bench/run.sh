#!/usr/bin/env bash
# Times a full `huizong run` against its floor (the same bytes in and out with no logic) on synthetic
# workspaces of 1,000 and 10,000 returns, with peak memory from /usr/bin/time -v. Prints a Markdown table.
#
#   bench/run.sh            # 1000 and 10000 returns, 3 repetitions each (median)
#   bench/run.sh 1000 5     # one size, 5 repetitions
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${1:-1000}")
[ $# -eq 0 ] && sizes=(1000 10000)
reps=${2:-3}
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package: time)" >&2; exit 2; }
cargo build --release --quiet --bin huizong --example floor
bin=target/release/huizong
floor=target/release/examples/floor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Prints "seconds peak_MiB" for a command.
measure() {
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
  awk '{ printf "%.2f %.0f\n", $1, $2 / 1024 }' "$work/time"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "| returns | floor (s) | floor peak (MiB) | huizong run (s) | run peak (MiB) | run / floor |"
echo "|---:|---:|---:|---:|---:|---:|"
for n in "${sizes[@]}"; do
  "$bin" demo --units "$n" --dir "$work/template-$n" --no-run >/dev/null
  : > "$work/floor-$n"; : > "$work/run-$n"
  for _ in $(seq "$reps"); do
    rm -rf "$work/ws" "$work/out" && cp -a "$work/template-$n" "$work/ws" && sync
    measure "$floor" "$work/ws/inbox" "$work/out" >> "$work/floor-$n"
    rm -rf "$work/ws" "$work/out" && cp -a "$work/template-$n" "$work/ws" && sync
    measure "$bin" --root "$work/ws" run --period 2020-10 >> "$work/run-$n"
  done
  ft=$(cut -d' ' -f1 "$work/floor-$n" | median); fm=$(cut -d' ' -f2 "$work/floor-$n" | median)
  rt=$(cut -d' ' -f1 "$work/run-$n" | median); rm_=$(cut -d' ' -f2 "$work/run-$n" | median)
  echo "| $n | $ft | $fm | $rt | $rm_ | $(awk -v a="$rt" -v b="$ft" 'BEGIN { printf "%.2f", a / b }') |"
  rm -rf "$work/template-$n"
done
