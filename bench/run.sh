#!/usr/bin/env bash
# Times a full `huizong run` against its floor (the same bytes in and out with no logic) on synthetic
# workspaces of 1,000 and 10,000 returns, with peak memory from /usr/bin/time, and an incremental run: one new
# return after all the others have been run (the cache of the period's outbox in use). Prints a Markdown table.
# CPU seconds (user + system) are shown beside the elapsed time: on a shared machine they move less.
# The Python peer (bench/peer.py: the same checks and outputs with python-calamine and XlsxWriter) is timed on
# the same fresh workspaces when python3 can import both; otherwise its columns show "–" and stderr says why.
#
#   bench/run.sh            # 1000 and 10000 returns, 3 repetitions each (median)
#   bench/run.sh 1000 5     # one size, 5 repetitions
#   PEER_INSTALL=1 bench/run.sh   # first `pip install --user -r bench/peer-requirements.txt`
#   PEER=0 bench/run.sh           # leave the peer out
#   HUIZONG=/tmp/old/huizong bench/run.sh   # time another build of huizong against the same floor
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${1:-1000}")
[ $# -eq 0 ] && sizes=(1000 10000)
reps=${2:-3}
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package: time)" >&2; exit 2; }
cargo build --release --quiet --bin huizong --example floor
# HUIZONG=path/to/huizong times another build (an older commit's, for a before/after in one sitting).
bin=${HUIZONG:-target/release/huizong}
floor=target/release/examples/floor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Prints "seconds peak_MiB cpu_seconds" for a command.
measure() {
  /usr/bin/time -f "%e %M %U %S" -o "$work/time" "$@" >/dev/null 2>"$work/stderr" || { cat "$work/stderr" >&2; exit 1; }
  awk '{ printf "%.2f %.0f %.2f\n", $1, $2 / 1024, $3 + $4 }' "$work/time"
}
# Every repetition gets its own copy of the template, all made before the first is timed, and nothing is deleted
# until the end. Deleting the last repetition's thousands of files billed the next one: on a filesystem without a
# journal (ext4 here), each inode freed in the last minute (six while its block is unwritten) is passed over, one
# by one, when a file is created, which cost up to a second of system time at 1,000 returns.
copies() {
  for kind in floor run peer inc; do
    for r in $(seq "$reps"); do cp -a "$work/template-$1" "$work/$1-$kind-$r"; done
  done
}
# The pause lets the kernel finish writing what the last step left, which otherwise bills the next.
settle() { sync && sleep 2; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

peer=bench/peer.py
python=${PYTHON:-python3}
if [ "${PEER:-1}" = 0 ]; then
  peer=""
elif ! command -v "$python" >/dev/null; then
  echo "peer skipped: $python not found" >&2; peer=""
else
  if [ "${PEER_INSTALL:-0}" = 1 ]; then
    "$python" -m pip install --quiet --user -r bench/peer-requirements.txt >&2 || echo "pip install failed" >&2
  fi
  if ! "$python" -c "import python_calamine, xlsxwriter" 2>/dev/null; then
    echo "peer skipped: $python cannot import python_calamine and xlsxwriter (PEER_INSTALL=1 bench/run.sh installs bench/peer-requirements.txt)" >&2
    peer=""
  fi
fi

echo "| returns | floor (s) | floor peak (MiB) | run (s) | run CPU (s) | run peak (MiB) | run / floor | peer (s) | peer CPU (s) | peer / run | one new after the rest (s) | its CPU (s) | one new / run |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in "${sizes[@]}"; do
  "$bin" demo --units "$n" --dir "$work/template-$n" --no-run >/dev/null
  : > "$work/floor-$n"; : > "$work/run-$n"; : > "$work/inc-$n"; : > "$work/peer-$n"
  copies "$n"
  for r in $(seq "$reps"); do
    settle
    measure "$floor" "$work/$n-floor-$r/inbox" "$work/$n-floor-out-$r" >> "$work/floor-$n"
    settle
    measure "$bin" --root "$work/$n-run-$r" run --period 2020-10 >> "$work/run-$n"
    if [ -n "$peer" ]; then
      settle
      measure "$python" "$peer" "$work/$n-peer-$r" "$work/$n-peer-out-$r" --period 2020-10 >> "$work/peer-$n"
    fi
    # All but the last return run first (untimed); then the last one arrives.
    ws="$work/$n-inc-$r" held="$work/$n-held-$r"
    mkdir "$held" && last=$(ls "$ws/inbox" | tail -n 1) && mv "$ws/inbox/$last" "$held/"
    "$bin" --quiet --root "$ws" run --period 2020-10 >/dev/null
    mv "$held/$last" "$ws/inbox/" && settle
    measure "$bin" --root "$ws" run --period 2020-10 >> "$work/inc-$n"
  done
  col() { cut -d' ' -f"$1" "$2" | median; }
  ft=$(col 1 "$work/floor-$n"); fm=$(col 2 "$work/floor-$n")
  rt=$(col 1 "$work/run-$n"); rm_=$(col 2 "$work/run-$n"); rc=$(col 3 "$work/run-$n")
  it=$(col 1 "$work/inc-$n"); ic=$(col 3 "$work/inc-$n")
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
  pt="–"; pc="–"; pr="–"
  if [ -n "$peer" ]; then pt=$(col 1 "$work/peer-$n"); pc=$(col 3 "$work/peer-$n"); pr=$(ratio "$pt" "$rt"); fi
  echo "| $n | $ft | $fm | $rt | $rc | $rm_ | $(ratio "$rt" "$ft") | $pt | $pc | $pr | $it | $ic | $(ratio "$it" "$rt") |"
done
