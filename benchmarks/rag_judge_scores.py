"""Score every document of the RAG *tune* questions with the compressor's judgement.

Writes ``benchmarks/results/rag_judge_scores_tune.json``: per question and document
the judge score (P(yes) among yes/no, ``S2ADocumentCompressor(mode="judge")``) and
whether it is gold, so selection rules can be compared offline. A document's score
depends only on the question and the document, so RGB questions are scored on
their first 3 positives and 4 negatives (every noise ratio's documents) and NQ on
the gold passage and its 19 distractors (k = 10 and 20).

    S2A_LLAMA_THREADS=1 python benchmarks/rag_judge_scores.py --rgb 24 --nq 12
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from langchain_core.documents import Document

from langchain_s2a.eval.rag.data import load_nq_docs, load_rgb
from langchain_s2a.models import resolve_chat_model
from langchain_s2a.rag import S2ADocumentCompressor

OUT = Path(__file__).resolve().parent / "results" / "rag_judge_scores_tune.json"


def main() -> None:
    """Score the tune questions' documents (resuming from the output file)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rgb", type=int, default=24)
    parser.add_argument("--nq", type=int, default=12)
    args = parser.parse_args()
    done = json.loads(OUT.read_text()) if OUT.exists() else {}
    compressor = S2ADocumentCompressor(
        resolve_chat_model(None), mode="judge", judge_threshold=0.0, max_concurrency=1
    )
    items = load_rgb(noise=(0.4,), split="tune", limit=args.rgb)
    items += load_nq_docs(k=(20,), split="tune", limit=args.nq)
    for item in items:
        if item.group_id in done:
            continue
        if item.task == "rgb":
            from langchain_s2a.eval.rag.data import DATA_DIR

            rows = {
                f"rgb:{r['id']}": r
                for r in map(json.loads, (DATA_DIR / "rgb" / "zh_refine.jsonl").open())
            }
            row = rows[item.group_id]
            texts = [(t, True) for t in row["positive"][:3]] + [(t, False) for t in row["negative"]]
        else:
            texts = [(d.text, d.gold) for d in item.documents]
        docs = [Document(t, metadata={"i": i}) for i, (t, _) in enumerate(texts)]
        started = time.perf_counter()
        out = compressor.compress_documents(docs, item.question)
        scores = {d.metadata["i"]: d.metadata["s2a"].get("score") for d in out}
        done[item.group_id] = {
            "question": item.question,
            "docs": [{"gold": g, "score": scores.get(i)} for i, (_, g) in enumerate(texts)],
            "seconds": round(time.perf_counter() - started, 2),
        }
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text(json.dumps(done, indent=1, ensure_ascii=False))
        print(item.group_id, done[item.group_id]["seconds"], flush=True)


if __name__ == "__main__":
    main()
