"""Compare judge-mode selection rules offline on the tune scores (no model calls).

Reads ``benchmarks/results/rag_judge_scores_tune.json`` (from ``rag_judge_scores.py``)
and prints, per setting (RGB noise 0.4/0.6/0.8 with RGB's document mix; NQ k=10/20),
the gold retention and documents kept of ``S2ADocumentCompressor(mode="judge")``
for a grid of ``judge_threshold`` / ``judge_keep_best`` / ``judge_relative`` (the
compressor's own rule, ``kept_by_score``). ``--scores`` reads another score file (the
judge shown NQ titles: ``rag_judge_scores_title_tune.json``).

    python benchmarks/rag_judge_rules.py
    python benchmarks/rag_judge_rules.py --scores benchmarks/results/rag_judge_scores_title_tune.json
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from langchain_s2a._internal.reading.documents import kept_by_score

SCORES = Path(__file__).resolve().parent / "results" / "rag_judge_scores_tune.json"


def contexts(key: str, docs: list[dict[str, object]]) -> dict[str, list[tuple[bool, float]]]:
    """The documents each setting shows for one question (order does not matter here)."""
    out = {}
    if key.startswith("rgb:"):
        pos = [(True, float(d["score"])) for d in docs if d["gold"]]  # type: ignore[arg-type]
        neg = [(False, float(d["score"])) for d in docs if not d["gold"]]  # type: ignore[arg-type]
        for noise in (0.4, 0.6, 0.8):
            n_neg = math.ceil(5 * noise)
            out[f"rgb noise={noise}"] = pos[: 5 - n_neg] + neg[:n_neg]
    else:
        all_docs = [(bool(d["gold"]), float(d["score"])) for d in docs]  # type: ignore[arg-type]
        gold = [d for d in all_docs if d[0]]
        others = [d for d in all_docs if not d[0]]
        for k in (10, 20):
            out[f"nq k={k}"] = gold + others[: k - 1]
    return out


def keep(
    docs: list[tuple[bool, float]], threshold: float, best: int, relative: float
) -> list[tuple[bool, float]]:
    """What the judge keeps (``kept_by_score``, the compressor's rule)."""
    kept = kept_by_score(
        {i: s for i, (_, s) in enumerate(docs)},
        threshold=threshold,
        relative=relative,
        keep_best=best,
    )
    return [d for i, d in enumerate(docs) if i in kept]


def main() -> None:
    """Print the grid per setting."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--scores", type=Path, default=SCORES)
    parser.add_argument("--relative", type=float, nargs="*", default=[0.5, 1.0])
    args = parser.parse_args()
    data = json.loads(args.scores.read_text())
    by_setting: dict[str, list[list[tuple[bool, float]]]] = {}
    for key, row in data.items():
        for setting, docs in contexts(key, row["docs"]).items():
            by_setting.setdefault(setting, []).append(docs)
    for setting, questions in sorted(by_setting.items()):
        print(f"\n{setting} ({len(questions)} questions): gold kept % / docs kept")
        for relative in args.relative:
            for best in (1, 2, 3, 4):
                cells = []
                for threshold in (0.2, 0.3, 0.4, 0.5, 0.6):
                    kept = [keep(q, threshold, best, relative) for q in questions]
                    gold = sum(any(g for g, _ in k) for k in kept) / len(kept)
                    n = sum(len(k) for k in kept) / len(kept)
                    cells.append(f"t={threshold}: {100 * gold:.0f}%/{n:.1f}")
                print(f"  rel={relative} best={best}  " + "  ".join(cells))


if __name__ == "__main__":
    main()
