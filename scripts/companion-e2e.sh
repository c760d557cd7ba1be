#!/usr/bin/env bash
# The Companion end to end: `aura companion` serves a copy of the demo crate against the provider
# emulator's chat demo, and headless Chromium, sized as a phone, pairs with the printed code, asks
# for a change, watches the reply stream and accepts the ChangeSet; then the server restarts under the
# open page, which must reconnect and show the conversation again (scripts/companion-phone.py).
# Last, the server restarts on a workspace that already has a spec with one task, against an
# emulator playing that task's turns: the phone starts the dev loop, pauses it, approves the
# Planner's work order, resumes, accepts the Worker's patch and sees the task done.
# Screenshots land in target/companion/: phone.png (the answered chat), phone-dark.png, the
# pairing, review, loop, waiting-decision and Drones views. and phone-workorder.png (the finished loop).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages chromium chromium-driver
cargo build --locked --quiet # never test a stale binary
bin="${CARGO_TARGET_DIR:-target}/debug/aura"
work=$(mktemp -d)
emulator="" loop_emulator="" companion="" driver=""
cleanup() {
  for pid in $driver $companion $emulator $loop_emulator; do kill "$pid" 2>/dev/null || true; done
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
serve() { # serve [WORKSPACE BASE_URL]: the Companion over the same store and port each time
  AURA_LOG=info "$bin" companion --data-dir "$work/data" --workspace "${1:-$crate}" --port "$port" \
    --provider openai --base-url "${2:-$base}" --model emu-coder >"$work/companion.log" 2>&1 &
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
if [ "$status" = 0 ]; then
  # A workspace with one spec and one task (the demo's first), so no specs are generated; the
  # emulator plays that task: the Planner's order, the Worker's patch, its closing words.
  specced="$work/specced"
  python3 - "$specced" "$work/loop-script.json" <<'PY'
import json, os, sys
from pathlib import Path
workspace, script = sys.argv[1:]
os.makedirs(f"{workspace}/specs")
Path(f"{workspace}/specs/01-crate.md").write_text(
    "# 01 — Crate\n\n## Purpose\nThe crate and its first function.\n\n## Requirements covered\nR1\n\n"
    "## Interfaces\n`pub fn add(a: i64, b: i64) -> i64`\n\n## Use cases\nAdd two numbers.\n\n## Invariants\n"
    "No panics.\n\n## Tasks\n\n- [ ] 01.1 Create the crate with add and its test\n\n## Definition of Done\n- `cargo test`\n"
)
cargo = '[package]\nname = "mathlib"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\n'
lib = "pub fn add(a: i64, b: i64) -> i64 {\n    a + b\n}\n\n#[test]\nfn adds() {\n    assert_eq!(add(2, 3), 5);\n}\n"
added = lambda text: "".join(f"+{line}\n" for line in text.splitlines())
patch = f"*** Begin Patch\n*** Add File: Cargo.toml\n{added(cargo)}*** Add File: src/lib.rs\n{added(lib)}*** End Patch"
call = lambda name, arguments: {"step": "tool_call", "name": name, "arguments": json.dumps(arguments)}
goal = "Create the mathlib crate with add"
order = {"goal": goal, "capsule": f"{goal}. Add a unit test.", "acceptance": ["cargo test passes"], "validation": ["cargo test"]}
turns = [
    {"steps": [call("submit_work_order", order)]},
    # The Worker first runs a command the allowed list does not cover: it asks on the phone.
    {"steps": [call("run_command", {"command": "touch NOTES.md"}), call("apply_patch", {"patch": patch})]},
    {"steps": [{"step": "text", "text": "Created Cargo.toml and src/lib.rs with add and its test."}]},
]
Path(script).write_text(json.dumps({"turns": turns, "chunk_delay_ms": 20}))
PY
  "$bin" emulator --script "$work/loop-script.json" >"$work/loop-emulator.log" 2>&1 &
  loop_emulator=$!
  wait_for "$work/loop-emulator.log" 'listening on'
  kill -INT "$companion"
  wait "$companion" || true
  serve "$specced" "$(sed -n 's/.*--provider openai *--base-url //p' "$work/loop-emulator.log")"
  phone workorder "$specced" || status=$?
fi
if [ "$status" != 0 ]; then
  echo "--- companion log"
  cat "$work/companion.log"
fi
exit "$status"
