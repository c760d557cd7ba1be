#!/usr/bin/env bash
# The Companion end to end: `aura companion` serves a copy of the demo crate against the provider
# emulator's chat demo, and headless Chromium, sized as a phone, pairs with the printed code, asks
# for a change, watches the reply stream and accepts the ChangeSet; then the server restarts under the
# open page, which must reconnect and show the conversation again (scripts/companion-phone.py).
# Screenshots land in target/companion/: phone.png (the answered chat), phone-dark.png, and the
# pairing, review, loop and Drones views.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages chromium chromium-driver
cargo build --locked --quiet # never test a stale binary
bin="${CARGO_TARGET_DIR:-target}/debug/aura"
work=$(mktemp -d)
emulator="" companion="" driver=""
cleanup() {
  for pid in $driver $companion $emulator; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { # wait_for FILE PATTERN: up to 30 s for a line matching PATTERN
  for _ in $(seq 300); do grep -q "$2" "$1" && return 0; sleep 0.1; done
  echo "gave up waiting for '$2' in $1:" >&2
  cat "$1" >&2
  return 1
}

# Chunks 20 ms apart, so the reply is seen streaming rather than landing in one frame.
"$bin" emulator --chat-demo --chunk-delay 20 >"$work/emulator.log" 2>&1 &
emulator=$!
wait_for "$work/emulator.log" 'listening on'
base=$(sed -n 's/.*--provider openai *--base-url //p' "$work/emulator.log")

crate="$work/mathlib"
bash scripts/demo-crate "$crate"
port=$(free_port)
serve() { # the Companion over the same store and port each time
  AURA_LOG=info "$bin" companion --data-dir "$work/data" --workspace "$crate" --port "$port" \
    --provider openai --base-url "$base" --model emu-coder >"$work/companion.log" 2>&1 &
  companion=$!
  wait_for "$work/companion.log" '^pairing code: '
}
serve
url=$(sed -n 's/^companion: //p' "$work/companion.log")
code=$(sed -n 's/^pairing code: \([0-9A-Z]*\).*/\1/p' "$work/companion.log")

driver_port=$(free_port)
chromedriver --port="$driver_port" >"$work/chromedriver.log" 2>&1 &
driver=$!
wait_for "$work/chromedriver.log" 'started successfully'

mkdir -p target/companion
phone() { python3 scripts/companion-phone.py "http://127.0.0.1:$driver_port" target/companion "$work/session" "$@"; }
status=0
phone chat "$url" "$code" "$crate" || status=$?
if [ "$status" = 0 ]; then
  # The engine restarts under the open page: it must reconnect and start afresh by itself.
  kill -INT "$companion"
  wait "$companion" || true
  serve
  phone resume || status=$?
fi
if [ "$status" != 0 ]; then
  echo "--- companion log"
  cat "$work/companion.log"
fi
exit "$status"
