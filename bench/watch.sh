#!/usr/bin/env bash
# The total work of `huizong watch` while returns land in the inbox one by one: for each size, a synthetic
# workspace with an empty inbox is watched while its returns are moved in at a fixed gap; when the ledger holds
# them all, watch is stopped. Linear total work shows as a steady CPU time per return across sizes.
#
#   bench/watch.sh                 # 250, 500, 1000 and 2000 returns, one every 10 ms
#   bench/watch.sh "1000 4000" 5   # chosen sizes and gap (ms)
set -euo pipefail
cd "$(dirname "$0")/.."
read -r -a sizes <<< "${1:-250 500 1000 2000}"
gap_ms=${2:-10}
command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (Debian package: time)" >&2; exit 2; }
cargo build --release --quiet --bin huizong
# HUIZONG=path/to/huizong measures another build.
bin=${HUIZONG:-$PWD/target/release/huizong}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

echo "| returns | gap (ms) | runs | watch CPU (s) | CPU per return (ms) | elapsed until all filed (s) |"
echo "|---:|---:|---:|---:|---:|---:|"
for n in "${sizes[@]}"; do
  rm -rf "$work/ws" "$work/pending"
  "$bin" demo --units "$n" --dir "$work/ws" --no-run >/dev/null
  mv "$work/ws/inbox" "$work/pending" && mkdir "$work/ws/inbox" && sync
  /usr/bin/time -f "%U %S" -o "$work/time" "$bin" -v --root "$work/ws" watch --period 2020-10 \
    --stable-seconds 0 >/dev/null 2>"$work/log" &
  timer=$!
  sleep 1
  start=$(date +%s.%N)
  for f in "$work/pending"/*; do
    mv "$f" "$work/ws/inbox/"
    sleep "$(awk -v g="$gap_ms" 'BEGIN { print g / 1000 }')"
  done
  # Done when every return is filed (the ledger has a line for each) and the inbox is empty.
  until [ -z "$(ls -A "$work/ws/inbox")" ] && [ "$(cat "$work/ws/outbox/ledger.jsonl" 2>/dev/null | wc -l)" -ge "$n" ]; do
    sleep 0.2
  done
  end=$(date +%s.%N)
  sleep 1
  kill -INT "$(pgrep -P "$timer")"
  wait "$timer" || true
  runs=$(grep -c "reading [0-9]* files for" "$work/log" || true)
  awk -v n="$n" -v g="$gap_ms" -v r="$runs" -v s="$start" -v e="$end" \
    '{ cpu = $1 + $2; printf "| %d | %d | %d | %.2f | %.2f | %.1f |\n", n, g, r, cpu, 1000 * cpu / n, e - s }' "$work/time"
done
