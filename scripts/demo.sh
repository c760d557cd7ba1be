#!/usr/bin/env bash
# The scripted demo: `aura run` against the provider emulator playing a model that builds a small
# Rust library from requirements.md, in a fresh temp workspace. Prints the final task table and the
# workspace path; exits 0 only when every task is done and the crate's own tests pass.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --locked
aura="$PWD/target/debug/aura"
workspace="$(mktemp -d -t aura-demo-XXXXXX)"
data="$(mktemp -d -t aura-demo-data-XXXXXX)"
log="$(mktemp -t aura-demo-emulator-XXXXXX.log)"

"$aura" emulator --demo --port 0 >"$log" 2>&1 &
emulator=$!
trap 'kill $emulator 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    grep -q -- '--provider openai' "$log" 2>/dev/null && break
    sleep 0.1
done
base_url="$(grep -- '--provider openai' "$log" | awk '{print $NF}')"
[ -n "$base_url" ] || { echo "the emulator did not start:"; cat "$log"; exit 1; }

cp assets/demo/requirements.md "$workspace/requirements.md"
echo "== aura run in $workspace"
AURA_DATA_DIR="$data" "$aura" run --workspace "$workspace" --provider openai --base-url "$base_url" --model emu-coder
echo
echo "== tasks"
AURA_DATA_DIR="$data" "$aura" tasks --workspace "$workspace"
echo
echo "== cargo test in the workspace"
(cd "$workspace" && cargo test --quiet 2>&1 | grep "test result" | head -1)
if AURA_DATA_DIR="$data" "$aura" tasks --workspace "$workspace" --json | grep -q '"status": "\(pending\|ready\|in_progress\|failed\|blocked\)"'; then
    echo "not every task is done"
    exit 1
fi
echo
echo "workspace: $workspace"
