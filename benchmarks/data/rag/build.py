"""Build the trimmed RAG evaluation data from the upstream repositories (run once).

Reads the two upstream files from local git mirrors and writes, beside this script:

* ``rgb/zh_refine.jsonl``: RGB (chen700564/RGB, CC BY-NC-SA 4.0) ``data/zh_refine.json``,
  only ids < 200 (the tune / report range; ids 200-299 are kept aside), each with the
  first 5 positive and first 4 negative documents (all that noise ratios 0.2-0.8 with
  5 passages use).
* ``nq/nq_docs.jsonl``: Lost in the Middle (nelson-liu/lost-in-the-middle, MIT)
  ``qa_data/nq-open-oracle.jsonl.gz``, only the first 2,000 questions (the rest is kept
  aside), each with its gold passage and the 19 BM25-nearest gold passages of *other*
  questions among those 2,000 that contain none of its answers (SQuAD-normalised
  substring test, as Lost in the Middle scores answers), most similar first.

Usage::

    python benchmarks/data/rag/build.py --rgb /path/to/RGB --lim /path/to/lost-in-the-middle

where each path is a git directory (bare mirrors are fine) read at ``HEAD``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import re
import string
import subprocess
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
RGB_IDS = 200
NQ_QUESTIONS = 2000
N_DISTRACTORS = 19
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "by",
        "with",
        "from",
        "and",
        "or",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "who",
        "what",
        "when",
        "where",
        "which",
        "how",
        "why",
        "did",
        "does",
        "do",
        "whom",
        "whose",
        "that",
        "this",
        "these",
        "those",
        "it",
        "its",
        "as",
        "into",
        "than",
        "s",
        "t",
        "'s",
    ]
)


def _show(repo: Path, path: str) -> bytes:
    return subprocess.run(
        ["git", "-C", str(repo), "show", f"HEAD:{path}"], check=True, capture_output=True
    ).stdout


def normalize_answer(text: str) -> str:
    """SQuAD normalisation (Lost in the Middle's ``metrics.normalize_answer``)."""
    text = "".join(ch for ch in text.lower() if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def _tokens(text: str) -> list[str]:
    return [t for t in re.findall(r"\w+", text.lower()) if t not in _STOP]


class BM25:
    """Okapi BM25 (k1=0.9, b=0.4, Pyserini's defaults) over a small in-memory corpus."""

    def __init__(self, docs: list[list[str]], k1: float = 0.9, b: float = 0.4) -> None:
        self.docs = [Counter(d) for d in docs]
        self.lengths = [len(d) for d in docs]
        self.avg = sum(self.lengths) / len(docs)
        df: Counter[str] = Counter()
        for d in self.docs:
            df.update(d.keys())
        n = len(docs)
        self.idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.k1, self.b = k1, b

    def scores(self, query: list[str]) -> list[float]:
        """The BM25 score of every document for ``query``."""
        out = []
        for tf, length in zip(self.docs, self.lengths, strict=True):
            norm = self.k1 * (1 - self.b + self.b * length / self.avg)
            s = 0.0
            for t in query:
                if t in tf:
                    s += self.idf[t] * tf[t] * (self.k1 + 1) / (tf[t] + norm)
            out.append(s)
        return out


def build_rgb(repo: Path) -> int:
    """Write the trimmed RGB file and its license; returns the number of questions."""
    rows = [json.loads(line) for line in _show(repo, "data/zh_refine.json").decode().splitlines()]
    out = HERE / "rgb" / "zh_refine.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    kept = 0
    with out.open("w", encoding="utf-8") as fh:
        for row in rows:
            if row["id"] >= RGB_IDS:
                continue
            trimmed = {
                "id": row["id"],
                "query": row["query"],
                "answer": row["answer"],
                "positive": row["positive"][:5],
                "negative": row["negative"][:4],
            }
            fh.write(json.dumps(trimmed, ensure_ascii=False) + "\n")
            kept += 1
    (HERE / "rgb" / "LICENSE.txt").write_bytes(_show(repo, "LICENSE.txt"))
    return kept


def build_nq(repo: Path) -> int:
    """Write the NQ questions with their distractors and the license; returns the count."""
    raw = gzip.decompress(_show(repo, "qa_data/nq-open-oracle.jsonl.gz")).decode()
    rows = [json.loads(line) for line in raw.splitlines()[:NQ_QUESTIONS]]
    passages = [r["ctxs"][0] for r in rows]
    index = BM25([_tokens(p["title"] + " " + p["text"]) for p in passages])
    normalized = [normalize_answer(p["title"] + " " + p["text"]) for p in passages]
    out = HERE / "nq" / "nq_docs.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for i, row in enumerate(rows):
            gold = passages[i]
            answers = [normalize_answer(a) for a in row["answers"] if normalize_answer(a)]
            scores = index.scores(_tokens(row["question"]))
            order = sorted(range(len(rows)), key=lambda j: (-scores[j], j))
            chosen: list[int] = []
            seen = {gold["text"]}
            for j in order:
                if j == i or passages[j]["text"] in seen:
                    continue
                if any(a in normalized[j] for a in answers):
                    continue
                seen.add(passages[j]["text"])
                chosen.append(j)
                if len(chosen) == N_DISTRACTORS:
                    break
            fh.write(
                json.dumps(
                    {
                        "index": i,
                        "question": row["question"],
                        "answers": row["answers"],
                        "gold": {"title": gold["title"], "text": gold["text"]},
                        "distractors": chosen,
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
    (HERE / "nq" / "LICENSE").write_bytes(_show(repo, "LICENSE"))
    return len(rows)


def main() -> None:
    """Build both files from the mirrors named on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rgb", type=Path, required=True)
    parser.add_argument("--lim", type=Path, required=True)
    args = parser.parse_args()
    print("rgb", build_rgb(args.rgb), "nq", build_nq(args.lim))


if __name__ == "__main__":
    main()
