"""Which items each task name loads: :func:`load_items`, over every loader of the harness.

The paper's sets are loaded by :mod:`langchain_s2a.eval.datasets`, the everyday sets by
:mod:`langchain_s2a.eval.preservation` (which builds on the former); this module sits
above both.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from langchain_s2a.eval.datasets import EvalItem, Split, load_gsm_ic, load_trivia
from langchain_s2a.eval.preservation import load_gsm_opinion, load_selfreport

__all__ = ["TaskName", "load_items"]

TaskName = Literal["trivia", "gsm-ic", "trivia-zh", "selfreport", "gsm-opinion"]
"""What :func:`load_items` accepts. ``"trivia-zh"`` is the Chinese opinion set; its
items are trivia items (``task == "trivia"``), run, scored and reported as such."""


def load_items(
    task: TaskName,
    path: str | Path | None = None,
    *,
    limit: int | None = None,
    seed: int = 0,
    split: Split = "all",
) -> list[EvalItem]:
    """Load the items of ``task`` (dispatch to :func:`load_trivia` / :func:`load_gsm_ic`).

    ``"trivia-zh"`` loads the Chinese opinion set (``load_trivia(dataset="trivia_zh")``);
    ``"selfreport"`` and ``"gsm-opinion"`` the everyday sets of
    :mod:`langchain_s2a.eval.preservation` (``limit`` counts inputs / base problems).

    Example:
        >>> len(load_items("gsm-ic", limit=5))
        5
        >>> len(load_items("trivia-zh", limit=2)), load_items("trivia-zh", limit=1)[0].task
        (8, 'trivia')
    """
    if task == "trivia":
        return load_trivia(path, limit=limit, seed=seed, split=split)
    if task == "trivia-zh":
        return load_trivia(path, limit=limit, seed=seed, split=split, dataset="trivia_zh")
    if task == "gsm-ic":
        return load_gsm_ic(path, limit=limit, seed=seed, split=split)
    if task in ("selfreport", "gsm-opinion"):
        load = load_selfreport if task == "selfreport" else load_gsm_opinion
        return load(path, limit=limit, seed=seed, split=split)
    raise ValueError(
        f"unknown task {task!r}; expected 'trivia', 'trivia-zh', 'gsm-ic', 'selfreport' or "
        "'gsm-opinion'"
    )
