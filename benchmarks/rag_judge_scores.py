"""Score every document of the RAG *tune* questions with the compressor's judgement.

Writes ``benchmarks/results/rag_judge_scores_tune.json``: per question and document
the judge score (P(yes) among yes/no, ``S2ADocumentCompressor(mode="judge")``) and
whether it is gold, so selection rules can be compared offline. A document's score
depends only on the question and the document, so RGB questions are scored on
their first 3 positives and 4 negatives (every noise ratio's documents) and NQ on
the gold passage and its 19 distractors (k = 10 and 20).

    S2A_LLAMA_THREADS=1 python benchmarks/rag_judge_scores.py --rgb 24 --nq 30

With ``--title`` the judge reads each NQ document through the ``s2a_judge_title``
condition's ``document_prompt`` (``Title: <page>`` above the text), written to
``rag_judge_scores_title_tune.json``:

    S2A_LLAMA_THREADS=1 python benchmarks/rag_judge_scores.py --rgb 0 --nq 30 --title
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from langchain_core.documents import Document
from langchain_core.prompts import PromptTemplate

from langchain_s2a.eval.rag.conditions import TITLE_PROMPT
from langchain_s2a.eval.rag.data import load_nq_docs, load_rgb
from langchain_s2a.models import resolve_chat_model
from langchain_s2a.rag import S2ADocumentCompressor

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> None:
    """Score the tune questions' documents (resuming from the output file)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rgb", type=int, default=24)
    parser.add_argument("--nq", type=int, default=12)
    parser.add_argument("--title", action="store_true", help="show NQ titles to the judge")
    args = parser.parse_args()
    name = "rag_judge_scores_title_tune.json" if args.title else "rag_judge_scores_tune.json"
    out = RESULTS / name
    done = json.loads(out.read_text()) if out.exists() else {}
    model = resolve_chat_model(None)

    def judge(prompt: PromptTemplate | None) -> S2ADocumentCompressor:
        return S2ADocumentCompressor(
            model, mode="judge", judge_threshold=0.0, max_concurrency=1, document_prompt=prompt
        )

    plain = judge(None)
    titled = judge(PromptTemplate.from_template(TITLE_PROMPT)) if args.title else plain
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
            texts = [(t, True, "") for t in row["positive"][:3]]
            texts += [(t, False, "") for t in row["negative"]]
        else:
            texts = [(d.text, d.gold, d.title) for d in item.documents]
        docs = [Document(t, metadata={"i": i, "title": h}) for i, (t, _, h) in enumerate(texts)]
        started = time.perf_counter()
        compressor = titled if item.task == "nq-docs" else plain  # RGB has no titles
        kept = compressor.compress_documents(docs, item.question)
        scores = {d.metadata["i"]: d.metadata["s2a"].get("score") for d in kept}
        done[item.group_id] = {
            "question": item.question,
            "docs": [{"gold": g, "score": scores.get(i)} for i, (_, g, _) in enumerate(texts)],
            "seconds": round(time.perf_counter() - started, 2),
        }
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(done, indent=1, ensure_ascii=False))
        print(item.group_id, done[item.group_id]["seconds"], flush=True)


if __name__ == "__main__":
    main()
