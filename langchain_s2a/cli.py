"""The ``s2a`` command line: run S2A on a text, or evaluate it on the paper's tasks.

Examples::

    s2a run "Who wrote Hamlet? I think it was Marlowe but I'm not sure." --compare
    echo "text" | s2a run --json
    s2a run --file question.txt --preset relevance --model openai:gpt-4o-mini
    s2a eval --task trivia --limit 20
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
import time
import traceback
from collections.abc import Sequence
from typing import Any

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable

from langchain_s2a.chain import create_s2a_chain
from langchain_s2a.errors import CLIError, S2AError
from langchain_s2a.models import DEFAULT_MODEL_ENV, model_label, model_spec, resolve_chat_model
from langchain_s2a.options import JudgeSentences
from langchain_s2a.result import S2AResult

__all__ = ["build_parser", "describe_error", "main"]


_JUDGE: dict[str, JudgeSentences] = {"auto": "auto", "yes": True, "no": False}


def _add_run_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("text", nargs="?", help="the text to run S2A on (default: stdin)")
    parser.add_argument("--file", "-f", help="read the text from this file")
    parser.add_argument("--preset", choices=["opinion", "relevance"], default="opinion")
    parser.add_argument(
        "--variant", choices=["split", "single", "extractive"], default="extractive"
    )
    parser.add_argument("--language", choices=["auto", "en", "zh"], default="auto")
    parser.add_argument(
        "--judge-sentences",
        choices=list(_JUDGE),
        default="auto",
        help="extractive: choose the sentences by one yes/no judgement each; 'auto' "
        "(default) does for --preset relevance",
    )
    parser.add_argument(
        "--model",
        help="answer model: 'local' (default), 'local:0.5b', 'local:135m', or an "
        "init_chat_model name such as 'openai:gpt-4o-mini' (default: $S2A_MODEL or local)",
    )
    parser.add_argument("--rewriter-model", help="rewrite model (default: the answer model)")
    parser.add_argument("--base-url", help="OpenAI-compatible server URL for named models")
    parser.add_argument(
        "--keep-original", action="store_true", help="S2A-KeepOrig: answer sees the original too"
    )
    parser.add_argument(
        "--no-instruct", action="store_true", help="S2A-NI: no debiasing answer instruction"
    )
    parser.add_argument(
        "--on-failure",
        choices=["original", "raise"],
        default="original",
        help="what to do with an unusable rewrite (default: answer from the original)",
    )
    parser.add_argument(
        "--compare", action="store_true", help="also answer the original input (baseline)"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    _add_debug_argument(parser)


def _add_debug_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--debug", action="store_true", help="on an error, print the full traceback too"
    )


def build_parser() -> argparse.ArgumentParser:
    """Build the ``s2a`` argument parser.

    Returns:
        The parser with ``run`` and ``eval`` subcommands.

    Example:
        >>> build_parser().parse_args(["run", "hello", "--compare"]).compare
        True
    """
    parser = argparse.ArgumentParser(
        prog="s2a",
        description="System 2 Attention: rewrite away opinions and irrelevant context, then answer.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run S2A on one text")
    _add_run_arguments(run)
    evaluate = sub.add_parser("eval", help="evaluate S2A on the paper's tasks")
    try:
        from langchain_s2a.eval.cli import add_eval_arguments
    except ImportError:  # pragma: no cover - eval extras missing
        pass
    else:
        add_eval_arguments(evaluate)
    _add_debug_argument(evaluate)
    return parser


def _read_text(args: argparse.Namespace) -> str:
    if args.text is not None and args.file:
        raise CLIError("give the text or --file, not both")
    if args.file:
        try:
            with open(args.file, encoding="utf-8") as handle:
                return handle.read()
        except OSError as exc:
            raise CLIError(f"cannot read {args.file}: {exc.strerror}") from None
    if args.text is not None:
        return str(args.text)
    if sys.stdin is None or sys.stdin.isatty():
        raise CLIError('no input: pass the text, --file PATH, or pipe it on stdin (s2a run "...")')
    return sys.stdin.read()


def _model_name(flag: str, name: str | None, base_url: str | None) -> str:
    """The model ``flag`` names (``$S2A_MODEL`` or ``local`` by default), checked.

    Raises:
        CLIError: For an empty name, an unknown embedded size, or ``--base-url``
            with an embedded answer model (checked before anything loads). A
            ``--rewriter-model`` that is embedded ignores ``--base-url``.
    """
    if name is not None and not name.strip():
        raise CLIError(f"{flag} needs a model name; got an empty one")
    given = name or os.environ.get(DEFAULT_MODEL_ENV) or None
    name = (given or "local").strip()
    if name != "local" and not name.startswith("local:"):
        return name
    if base_url and flag == "--model":  # the server is the answer model's
        if given is None:
            raise CLIError(
                "--base-url needs --model NAME, the model the server serves "
                "(e.g. --model qwen2.5-1.5b-instruct)"
            )
        raise CLIError(f"the embedded model takes no --base-url (the model is {name!r})")
    try:
        model_spec(name.partition(":")[2] or "1.5b")
    except ValueError as exc:
        raise CLIError(f"{flag} {name}: {exc}") from None
    return name


def _model(name: str, base_url: str | None) -> Runnable[LanguageModelInput, BaseMessage]:
    if name == "local" or name.startswith("local:"):
        print("Preparing the embedded local model…", file=sys.stderr, flush=True)
        return resolve_chat_model(name)
    return resolve_chat_model(name, **({"base_url": base_url} if base_url else {}))


def _section(title: str, body: str) -> str:
    return f"── {title} " + "─" * max(3, 60 - len(title)) + "\n" + body.strip() + "\n"


def _human(result: S2AResult, baseline: S2AResult | None, seconds: float) -> str:
    rewrite = result.rewrite
    head = f"Rewrite ({rewrite.variant}, {rewrite.preset}, {rewrite.language})"
    body = rewrite.text
    if rewrite.fallback:
        body = (
            f"[rewrite rejected: {rewrite.fallback_reason}; answering from the original input]\n"
            + textwrap.shorten(rewrite.raw or "(empty)", 300)
        )
    out = [_section(head, body), _section("S2A answer", result.answer)]
    if baseline is not None:
        out.append(_section("Baseline answer (original input)", baseline.answer))
    out.append(f"({seconds:.1f} s)")
    return "\n".join(out)


def _run(args: argparse.Namespace) -> int:
    text = _read_text(args)
    if not text.strip():
        raise CLIError("the input text is empty")
    name = _model_name("--model", args.model, args.base_url)
    rewriter_name = (
        None
        if args.rewriter_model is None
        else _model_name("--rewriter-model", args.rewriter_model, args.base_url)
    )
    model = _model(name, args.base_url)
    rewriter = model if rewriter_name is None else _model(rewriter_name, args.base_url)
    started = time.perf_counter()
    common: dict[str, Any] = {"preset": args.preset, "language": args.language}
    chain = create_s2a_chain(
        model,
        rewriter_model=rewriter,
        variant=args.variant,
        judge_sentences=_JUDGE[args.judge_sentences],
        keep_original=args.keep_original,
        instructed=False if args.no_instruct else "auto",
        on_failure=args.on_failure,
        **common,
    )
    result = chain.invoke(text)
    baseline = (
        create_s2a_chain(model, mode="baseline", **common).invoke(text) if args.compare else None
    )
    seconds = time.perf_counter() - started
    if args.json:
        payload: dict[str, Any] = {
            "model": model_label(model),
            "rewriter_model": model_label(rewriter),
            "rewrite": result.rewrite.model_dump(),
            "rewritten_text": result.rewrite.text,
            "answer": result.answer,
            "usage": result.usage,
            "seconds": round(seconds, 3),
        }
        if baseline is not None:
            payload["baseline_answer"] = baseline.answer
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print(_human(result, baseline, seconds))
    return 0


def _text(exc: BaseException) -> str:
    return " ".join(str(exc).split())


def _is_connection_error(exc: BaseException) -> bool:
    # builtin ConnectionError, httpx.ConnectError, openai.APIConnectionError, ...
    return isinstance(exc, ConnectionError) or "Connect" in type(exc).__name__


def describe_error(exc: BaseException, *, base_url: str | None = None) -> str:
    """One line naming what went wrong, for the command line.

    Our own errors (:class:`~langchain_s2a.S2AError`) are shown by their message;
    others by type and message, plus the root cause when it says more (a
    provider's ``APIConnectionError`` wraps the refused connection).

    Args:
        exc: The error.
        base_url: The ``--base-url`` in use, named when the connection failed.

    Returns:
        The line, without the ``s2a: error:`` prefix.

    Example:
        >>> try:
        ...     raise RuntimeError("Connection error.") from ConnectionRefusedError(111, "refused")
        ... except RuntimeError as exc:
        ...     print(describe_error(exc))
        RuntimeError: Connection error. (caused by ConnectionRefusedError: [Errno 111] refused)
    """
    chain: list[BaseException] = [exc]
    while (nxt := chain[-1].__cause__ or chain[-1].__context__) is not None and nxt not in chain:
        chain.append(nxt)
    if isinstance(exc, S2AError):  # written for the user already
        head = _text(exc) or type(exc).__name__
    else:
        head = f"{type(exc).__name__}: {_text(exc)}" if _text(exc) else type(exc).__name__
        root = chain[-1]
        if root is not exc and _text(root) and _text(root) not in head:
            head += f" (caused by {type(root).__name__}: {_text(root)})"
    if base_url and any(_is_connection_error(e) for e in chain):
        head += f"; is the server at {base_url} running?"
    elif base_url and "OPENAI_API_KEY" in head:
        head += " (a local server needs no real key: set OPENAI_API_KEY=none)"
    return textwrap.shorten(head, 400, placeholder=" …")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``s2a`` console script.

    Any error ends the command with one line on stderr naming its cause
    (``--debug`` prints the traceback first).

    Args:
        argv: Arguments (default: ``sys.argv[1:]``).

    Returns:
        The exit code: 0 on success, 1 on a runtime error, 2 on bad usage.
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "eval":
            from langchain_s2a.eval.cli import run_eval_command

            return run_eval_command(args)
        return _run(args)
    except CLIError as exc:
        print(f"s2a: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("s2a: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # provider and model errors: one line, not a traceback
        if args.debug:
            traceback.print_exc()
        message = describe_error(exc, base_url=getattr(args, "base_url", None))
        print(f"s2a: error: {message}", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
