#!/usr/bin/env bash
# Install langchain-s2a into ./.venv with the given extras (default: '.[local]') and
# dependency groups (PEP 735: test, lint, docs; default: none).
# Usage: bash scripts/install.sh ['.[local,hf]' [GROUP ...]]
#   e.g. bash scripts/install.sh '.[local]' test lint
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$python" -m venv .venv
# llama-cpp-python builds llama.cpp from source (minutes, once; pip caches the wheel).
export CMAKE_ARGS="${CMAKE_ARGS:--DLLAVA_BUILD=OFF}"
if [ "$(uname -m)" = x86_64 ]; then
  # llama.cpp's native build uses AMX wherever the CPU lists it. Some virtual machines
  # list AMX without enabling its registers, and the first matrix multiply then dies
  # (SIGSEGV at ldtilecfg in ggml_backend_amx_mul_mat). An explicit -mno-amx-* wins
  # over -march=native in GCC and costs nothing where AMX is absent.
  no_amx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
  export CFLAGS="${CFLAGS:-} $no_amx" CXXFLAGS="${CXXFLAGS:-} $no_amx"
fi
# Dependency groups need pip >= 25.1 (pip install --group).
.venv/bin/python -m pip install -q --disable-pip-version-check -U "pip>=25.1"
groups=()
for group in "${@:2}"; do
  groups+=(--group "$group")
done
.venv/bin/python -m pip install -q --disable-pip-version-check -e "${1:-.[local]}" \
  ${groups[@]+"${groups[@]}"}
