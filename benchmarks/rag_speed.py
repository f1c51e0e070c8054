"""Compressing time of the judge compressor against the physical limit (embedded model).

The limit of a relevance pass over ``n`` documents: read the instructions and the
question once, every document once, and write one short reply per document. It is
measured directly, per question: one call reading the judge's system prompt, the
question and all documents with a one-token reply (the instructions cached, as the
judge has them), plus ``n - 1`` more one-token replies at the measured decode time.
The judge (``S2ADocumentCompressor(mode="judge")``) is timed on the same documents,
and so, with ``--extractor``, is LangChain's ``LLMChainExtractor``.

    S2A_LLAMA_THREADS=1 python benchmarks/rag_speed.py --nq 4 --rgb 4

Writes ``benchmarks/results/rag_speed.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from langchain_core.documents import Document
from langchain_core.messages import HumanMessage, SystemMessage

from langchain_s2a.eval.rag.data import load_nq_docs, load_rgb
from langchain_s2a.models import resolve_chat_model
from langchain_s2a.prompts._rag import document_judge_prompt
from langchain_s2a.rag import S2ADocumentCompressor

OUT = Path(__file__).resolve().parent / "results" / "rag_speed.json"


def main() -> None:
    """Time the judge (and the extractor) against the limit on tune questions."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--nq", type=int, default=4)
    parser.add_argument("--rgb", type=int, default=4)
    parser.add_argument("--extractor", action="store_true")
    args = parser.parse_args()
    llm = resolve_chat_model(None)
    judge = S2ADocumentCompressor(llm, mode="judge", max_concurrency=1)
    items = load_nq_docs(k=(10,), split="tune", limit=args.nq)
    items += load_rgb(noise=(0.8,), split="tune", limit=args.rgb)
    rows = []
    for item in items:
        docs = [Document(d.text) for d in item.documents]
        lang = item.language
        system, _ = document_judge_prompt(item.question, "", language=lang)
        yes, no = ("yes", "no") if lang == "en" else ("是", "否")
        grammar = f'root ::= "{yes}" | "{no}"'
        # warm the instructions (the judge reads them once per process, not per question)
        llm.invoke([SystemMessage(system), HumanMessage("-")], max_tokens=1, grammar=grammar)
        started = time.perf_counter()
        judge.compress_documents(docs, item.question)
        judge_s = time.perf_counter() - started
        _, human = document_judge_prompt(
            item.question, "\n".join(d.page_content for d in docs), language=lang
        )
        started = time.perf_counter()
        reply = llm.invoke(
            [SystemMessage(system), HumanMessage(human)], max_tokens=1, grammar=grammar
        )
        read_s = time.perf_counter() - started
        gen = llm.invoke([SystemMessage(system), HumanMessage(human)], max_tokens=8)
        per_token = float(gen.response_metadata["timings"]["generate_s"]) / max(
            1, int((gen.usage_metadata or {}).get("output_tokens", 1)) - 1
        )
        limit_s = read_s + (len(docs) - 1) * per_token
        row = {
            "item": item.item_id,
            "docs": len(docs),
            "prompt_tokens": (reply.usage_metadata or {}).get("input_tokens"),
            "judge_s": round(judge_s, 2),
            "limit_s": round(limit_s, 2),
            "ratio": round(judge_s / limit_s, 3),
        }
        if args.extractor:
            from langchain_classic.retrievers.document_compressors import LLMChainExtractor

            started = time.perf_counter()
            LLMChainExtractor.from_llm(llm).compress_documents(docs, item.question)
            row["extractor_s"] = round(time.perf_counter() - started, 2)
            row["extractor_over_judge"] = round(row["extractor_s"] / judge_s, 2)
        rows.append(row)
        print(row, flush=True)
    summary = {
        "rows": rows,
        "median_ratio": statistics.median(r["ratio"] for r in rows),
        "max_ratio": max(r["ratio"] for r in rows),
        "total_ratio": round(sum(r["judge_s"] for r in rows) / sum(r["limit_s"] for r in rows), 3),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(summary, indent=1))
    print({k: v for k, v in summary.items() if k != "rows"})


if __name__ == "__main__":
    main()
