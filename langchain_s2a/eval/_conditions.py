"""The experimental conditions of the evaluation: how each configures the S2A chain.

Example:
    >>> CONDITIONS["s2a_keeporig"].keep_original
    True
    >>> PRESETS["gsm-ic"], ANSWER_FORMATS["trivia"] is None
    ('relevance', True)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from langchain_core.language_models import GenericFakeChatModel

from langchain_s2a._internal.reading.judgements import AUTO_MAX_JUDGEMENTS
from langchain_s2a.chain import S2AChain, create_s2a_chain
from langchain_s2a.eval.datasets import OPINION_TEMPLATE_TASKS, EvalItem
from langchain_s2a.eval.diagnostics import without_distractor
from langchain_s2a.options import Instructed, JudgeSentences, Mode, Preset, PromptStyle, Variant
from langchain_s2a.prompts._judge import JUDGE_PROMPT_VERSION

__all__ = [
    "ANSWER_FORMATS",
    "CONDITIONS",
    "DEFAULT_CONDITIONS",
    "GSM_ANSWER_FORMAT",
    "PRESETS",
    "SELFREPORT_ANSWER_FORMAT",
    "Condition",
    "resolve_conditions",
]

GSM_ANSWER_FORMAT = (
    "Solve the problem step by step. End your reply with a line of the form "
    "'Final answer: <number>'."
)
"""Answer-format instruction for GSM-IC, appended to the answer prompt in every mode."""

SELFREPORT_ANSWER_FORMAT = "Answer in at most three sentences."
"""Answer-format instruction of the everyday self-report set (its checkable answers are
short; the cap keeps each answer within a few seconds on a laptop CPU)."""

PRESETS: dict[str, Preset] = {
    "trivia": "opinion",
    "gsm-ic": "relevance",
    "selfreport": "opinion",
    "gsm-opinion": "opinion",
}
"""The S2A preset each task runs with (the everyday sets run the default chain's)."""
ANSWER_FORMATS: dict[str, str | None] = {
    "trivia": None,
    "gsm-ic": GSM_ANSWER_FORMAT,
    "selfreport": SELFREPORT_ANSWER_FORMAT,
    "gsm-opinion": GSM_ANSWER_FORMAT,
}
"""The answer-format instruction each task adds (``None``: none)."""


@dataclass(frozen=True)
class Condition:
    """An experimental condition: how the chain is configured.

    Attributes:
        name: Name used in reports.
        mode: ``"s2a"``, ``"instructed"`` or ``"baseline"`` (see ``create_s2a_chain``).
        variant: Rewrite variant (``"split"``, ``"single"`` or ``"extractive"``).
        keep_original: S2A-KeepOrig.
        instructed: Debiasing instruction in the answer step (``False``: S2A-NI).
        oracle: Send the item's oracle prompt (no opinion / no distractor)
            instead of its prompt; on trivia only the plain template is run.
        prompt_style: ``"ours"`` or ``"paper"``.
        judge_sentences: Extractive selection by one yes/no judgement per sentence
            (``"auto"``: for the relevance preset on short inputs, as the chain's default).
        removed: GSM-IC: send the item's own prompt with its distractor sentence cut out
            (what a perfect extractive rewrite gives); other tasks do not run it.
    """

    name: str
    mode: Mode = "s2a"
    variant: Variant = "split"
    keep_original: bool = False
    instructed: Instructed = True
    oracle: bool = False
    prompt_style: PromptStyle = "ours"
    judge_sentences: JudgeSentences = False
    removed: bool = False

    def signature(self, preset: Preset | None = None) -> str:
        """Canonical description of what the chain does (part of the cache key).

        ``preset`` resolves ``judge_sentences="auto"``: it judges for ``relevance``
        only, so under ``opinion`` the key is that of ``judge_sentences=False``.
        """
        if self.mode != "s2a":
            return self.mode
        instr = self.instructed if self.instructed == "auto" else int(self.instructed)
        style = "" if self.prompt_style == "ours" else f":style={self.prompt_style}"
        judged = f":judged={JUDGE_PROMPT_VERSION}" if self.judge_sentences is True else ""
        if self.judge_sentences == "auto" and preset in (None, "relevance"):
            judged = f":judged=auto{AUTO_MAX_JUDGEMENTS}:{JUDGE_PROMPT_VERSION}"
        return f"s2a:{self.variant}:keep={int(self.keep_original)}:instr={instr}{style}{judged}"

    def applies_to(self, item: EvalItem) -> bool:
        """Whether this condition runs on ``item``.

        ``oracle`` runs the plain prompt only of the opinion-template tasks; an item
        without an answer to check (``meta["rewrite_only"]``) runs S2A's rewrite only,
        so conditions without a rewrite skip it; ``removed`` runs on GSM-IC items
        whose distractor sentence can be cut out.
        """
        if self.oracle and item.task in OPINION_TEMPLATE_TASKS and item.category != "plain":
            return False
        if item.meta.get("rewrite_only") and self.mode != "s2a":
            return False
        if self.removed:
            return item.task == "gsm-ic" and without_distractor(item) is not None
        return True

    def input_text(self, item: EvalItem) -> str:
        """The text sent to the chain for ``item``."""
        if self.removed:
            return without_distractor(item) or item.prompt
        return item.oracle_prompt if self.oracle else item.prompt


def _default_chain() -> S2AChain:
    """``create_s2a_chain(model)`` with nothing else given, to read its defaults off."""
    return create_s2a_chain(GenericFakeChatModel(messages=iter([])))


_DEFAULT = _default_chain()


CONDITIONS: dict[str, Condition] = {
    c.name: c
    for c in (
        Condition("baseline", mode="baseline"),
        Condition("oracle", mode="baseline", oracle=True),
        Condition("oracle_removed", mode="baseline", removed=True),
        # Exactly what ``create_s2a_chain(model)`` does by default.
        Condition(
            "s2a",
            variant=_DEFAULT.rewriter.variant,
            instructed=_DEFAULT.instructed,
            judge_sentences=_DEFAULT.rewriter.judge_sentences,
        ),
        Condition("s2a_split"),
        Condition("s2a_single", variant="single"),
        Condition("s2a_extractive", variant="extractive", instructed="auto"),
        Condition("s2a_extractive_instr", variant="extractive"),
        Condition("s2a_judged", variant="extractive", instructed="auto", judge_sentences=True),
        Condition("s2a_paper", prompt_style="paper"),
        Condition("s2a_keeporig", keep_original=True),
        Condition("s2a_ni", instructed=False),
        Condition("instructed", mode="instructed"),
    )
}
"""The conditions by name: ``s2a`` is the package default (today the extractive
variant, answered without the instruction, selected by per-sentence judgements for
the relevance preset); ``oracle_removed`` is the baseline on the GSM-IC item without its
distractor sentence (the rest word for word); ``s2a_extractive`` is the one-reply extractive selection; ``s2a_split`` is the paper's S2A in our
wording, ``s2a_paper`` in the paper's; ``s2a_judged`` selects the extractive
rewrite by one yes/no judgement per sentence; ``s2a_keeporig``, ``s2a_ni`` and
``s2a_single`` are the paper's variants of ``s2a_split``."""

DEFAULT_CONDITIONS = (
    "baseline",
    "oracle",
    "s2a",
    "s2a_split",
    "s2a_paper",
    "s2a_keeporig",
    "instructed",
)
"""The conditions of the deliverable run."""


def resolve_conditions(conditions: Iterable[str | Condition]) -> list[Condition]:
    """Turn names (or :class:`Condition` objects) into conditions, in order.

    Raises:
        ValueError: On an unknown or duplicate name.

    Example:
        >>> [c.name for c in resolve_conditions(["baseline", "s2a"])]
        ['baseline', 's2a']
    """
    out: list[Condition] = []
    for c in conditions:
        if isinstance(c, str):
            if c not in CONDITIONS:
                raise ValueError(f"unknown condition {c!r}; choose from {', '.join(CONDITIONS)}")
            c = CONDITIONS[c]
        if any(o.name == c.name for o in out):
            raise ValueError(f"condition {c.name!r} given twice")
        out.append(c)
    return out
