#!/usr/bin/env bash
# The RAG report runs (issue #22), in priority order, on one shared resumable cache
# (docs/results/rag-cache). Each step re-reads what earlier steps cached, so a step with a
# larger --limit only pays for the new questions, and re-running a finished step makes no
# model call. One llama.cpp thread, one process:
#   S2A_LLAMA_THREADS=1 bash docs/results/rag-commands.sh            # every step
#   S2A_LLAMA_THREADS=1 bash docs/results/rag-commands.sh 3          # from step 3 on
# Steps 1-9 and 14-15 ran for the committed reports; steps 10-13 ran in part, and each
# report was written from the cache with the sizes reached (its command, at the top of its
# results.md, names them: rag-rgb comparisons on 43, rag-nq 74 questions with comparisons on
# 20, rag-nq-20 comparisons on 19). What is left: docs/rag-evaluation.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
FROM=${1:-1}
CACHE=docs/results/rag-cache
S2A=(python -m langchain_s2a.cli eval --split report --cache-dir "$CACHE" --no-progress)
CORE=closed_book,baseline,oracle,s2a_judge
MORE=$CORE,s2a,lc_filter,lc_rerank,lc_extractor
n=0
step() {
  n=$((n + 1))
  if ((n < FROM)); then return; fi
  echo "== step $n $(date -u +%H:%M:%S): s2a eval $*" >&2
  "${S2A[@]}" "$@" > /dev/null
}

# 1-2. The judge compressor, the all-documents baseline, the gold-only oracle, closed book
step --task rgb --settings 0.8 --limit 30 --conditions $CORE --out docs/results/rag-rgb
step --task nq-docs --settings 10 --limit 30 --conditions $CORE --out docs/results/rag-nq
# 3-4. The default compressor (one reply) and LangChain's three on the first questions
step --task nq-docs --settings 10 --limit 30 --conditions $MORE --comparison-limit 8 --out docs/results/rag-nq
step --task rgb --settings 0.8 --limit 30 --conditions $MORE --comparison-limit 6 --out docs/results/rag-rgb
# 5. The judge, baseline, oracle at noise 0.6
step --task rgb --settings 0.6 --limit 20 --conditions $CORE --out docs/results/rag-rgb-0.6
# 6-9. More questions and the other settings
step --task nq-docs --settings 10 --limit 50 --conditions $MORE --comparison-limit 20 --out docs/results/rag-nq
step --task rgb --settings 0.6,0.8 --limit 50 --conditions $MORE --comparison-limit 20 --out docs/results/rag-rgb
step --task rgb --settings 0.4 --limit 50 --conditions $MORE --comparison-limit 20 --out docs/results/rag-rgb-0.4
step --task nq-docs --settings 20 --limit 50 --conditions $MORE --comparison-limit 20 --out docs/results/rag-nq-20
# 10-13. The issue's full sizes (S2A, baseline, oracle on all; the comparisons on 50; on NQ
# also the judge shown each document's title, s2a_judge_title, on the comparison subset)
step --task rgb --settings 0.6,0.8 --limit 100 --conditions $MORE --comparison-limit 50 --out docs/results/rag-rgb
step --task nq-docs --settings 10 --limit 100 --conditions $MORE,s2a_judge_title --comparison-limit 50 --out docs/results/rag-nq
step --task rgb --settings 0.4 --limit 50 --conditions $MORE --comparison-limit 50 --out docs/results/rag-rgb-0.4
step --task nq-docs --settings 20 --limit 50 --conditions $MORE,s2a_judge_title --comparison-limit 50 --out docs/results/rag-nq-20
# 14-15. The S2A chain over the joined documents: it falls back (facts_lost) or keeps
# everything, so it ran on the first 10 questions of two settings only
step --task rgb --settings 0.8 --limit 10 --conditions baseline,oracle,s2a_judge,s2a_chain --comparison-limit 10 --out docs/results/rag-chain-rgb
step --task nq-docs --settings 10 --limit 10 --conditions baseline,oracle,s2a_judge,s2a_chain --comparison-limit 10 --out docs/results/rag-chain-nq
