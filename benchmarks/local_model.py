"""Benchmark the embedded llama.cpp chat model.

Measures, per model size (each in a fresh subprocess so peak RSS is per model):
first-run join time (into a temporary cache dir), load time, and for a ~100-token
prompt with 64 generated tokens: latency, time to first token, prompt and generation
tokens/s. Prints a table and writes ``benchmarks/results/local_model.json``.

Usage:
    python benchmarks/local_model.py                 # 1.5b and 0.5b
    python benchmarks/local_model.py --sizes 0.5b --reps 5 --no-join
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "local_model.json"
PROMPT = (
    "You are reviewing a short design note. The note proposes adding a cache in front "
    "of a slow database so that repeated reads of the same customer record are served "
    "from memory. The cache expires entries after ten minutes, and writes go straight "
    "to the database and invalidate the cached entry. Explain, in a detailed numbered "
    "list, the main risks of this design and how to test each of them."
)
GEN_TOKENS = 64


def child(size: str, reps: int, join: bool) -> dict[str, Any]:
    """Measure one model size in this process and return the numbers."""
    sys.path.insert(0, str(ROOT))
    from langchain_core.messages import HumanMessage

    from langchain_s2a.models import ensure_model_file
    from langchain_s2a.models.llama import available_cores, load_local_chat_model

    out: dict[str, Any] = {"size": size, "threads": available_cores()}
    if join:
        tmp = Path(tempfile.mkdtemp(prefix="s2a-bench-"))
        try:
            start = time.perf_counter()
            ensure_model_file(size, cache_dir=tmp)
            out["first_run_join_s"] = round(time.perf_counter() - start, 2)
            start = time.perf_counter()
            ensure_model_file(size, cache_dir=tmp)
            out["cached_check_ms"] = round((time.perf_counter() - start) * 1000, 3)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    start = time.perf_counter()
    llm = load_local_chat_model(size, max_tokens=GEN_TOKENS).load()
    out["load_s"] = round(time.perf_counter() - start, 2)
    out["model_name"] = llm.model_name
    backend = llm._get()
    messages = [HumanMessage(PROMPT)]
    runs = []
    for _ in range(reps):
        backend.llama.reset()  # no KV prefix reuse: measure full prompt processing
        start = time.perf_counter()
        first = None
        last = None
        for chunk in llm.stream(messages):
            if first is None and chunk.content:
                first = time.perf_counter() - start
            last = chunk
        total = time.perf_counter() - start
        assert last is not None and last.usage_metadata is not None and first is not None
        n_in = last.usage_metadata["input_tokens"]
        n_out = last.usage_metadata["output_tokens"]
        runs.append(
            {
                "latency_s": total,
                "ttft_s": first,
                "input_tokens": n_in,
                "output_tokens": n_out,
                "prompt_tok_s": n_in / first,
                "gen_tok_s": (n_out - 1) / (total - first),
            }
        )
    for key in ("latency_s", "ttft_s", "prompt_tok_s", "gen_tok_s"):
        out[key] = round(statistics.median(r[key] for r in runs), 3)
    out["input_tokens"] = runs[0]["input_tokens"]
    out["output_tokens"] = runs[0]["output_tokens"]
    out["reps"] = reps
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return out


def main() -> None:
    """Run each size in a subprocess, print a summary and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", nargs="+", default=["1.5b", "0.5b"])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--no-join", action="store_true", help="skip the first-run join")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.reps, not args.no_join)))
        return
    results = []
    for size in args.sizes:
        cmd = [sys.executable, __file__, "--child", size, "--reps", str(args.reps)]
        if args.no_join:
            cmd.append("--no-join")
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        results.append(result)
        print(
            f"{size:>5}: join {result.get('first_run_join_s', '-')} s, "
            f"load {result['load_s']} s, latency {result['latency_s']} s "
            f"({result['input_tokens']} in / {result['output_tokens']} out), "
            f"ttft {result['ttft_s']} s, prompt {result['prompt_tok_s']:.1f} tok/s, "
            f"gen {result['gen_tok_s']:.1f} tok/s, peak RSS {result['peak_rss_mb']} MB",
            flush=True,
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "machine": {"python": platform.python_version(), "platform": platform.platform()},
        "results": results,
    }
    RESULTS.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
