"""What each sentence of the user's text does, read by rules: the preservation contract.

A rewrite may leave a sentence out only when these rules can say why. Every sentence
gets a :class:`Role`:

* ``question`` — it asks (:func:`~langchain_s2a._internal.text.sentences.asks`); never dropped.
* ``opinion`` — someone's belief, guess, suggestion or doubt **about the answer**: a
  stance ("I think", "I'm sure", "my teacher says", "probably", "我认为") whose
  content is a candidate answer ("it was Marlowe", "around 30", "the answer is
  Sydney"), the question's own words ("I think I should go to the ER" before "Should I
  go to the ER?"), or doubt alone ("but I'm really not sure"); also an explicit "the
  answer is X" and a tag question that only seeks approval of one ("It's Sydney,
  right?"). Always dropped.
* ``instruction`` — it tells the assistant what to do instead of answering (an
  override such as "ignore the question", a forged system/administrator notice or
  chat-template turn, a demand for a fixed reply). ``confident`` ones are always
  dropped; other imperatives to the assistant ("Reply in one word.") only when the
  model leaves them out.
* ``fact`` — everything else: what the user reports about the world or about
  themselves, however hedged ("I think I broke my wrist", "I believe my flight leaves
  at 9 pm", "我觉得我的手腕骨折了"). A stance whose content brings in new words is a
  report, not an opinion about the answer. Never dropped by the opinion preset; the
  relevance preset may drop a third-person fact the model judges irrelevant (a
  distractor), never one about the user (``self_report``).

The rules read the structure of a sentence, not a dataset's wording: the same
"I think" opens an opinion about the answer or a report of the user's situation,
and what follows it decides. The word lists and patterns they read with are in
:mod:`~langchain_s2a._internal.text.stance`.

Example:
    >>> from langchain_s2a._internal.text.sentences import split_sentences
    >>> text = "I think I broke my wrist, it is swollen. Should I go to the ER? I'm sure it's nothing."
    >>> [(r.kind, r.why) for r in sentence_roles(split_sentences(text))]
    [('fact', 'self_report'), ('question', 'asks'), ('fact', 'new_content')]
    >>> text = "Who wrote Hamlet? I think it was Marlowe, but I'm really not sure."
    >>> [(r.kind, r.why) for r in sentence_roles(split_sentences(text))]
    [('question', 'asks'), ('opinion', 'candidate_answer')]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from langchain_s2a._internal.text import stance
from langchain_s2a._internal.text.sentences import Sentence, asks, split_sentences
from langchain_s2a.options import Language

__all__ = [
    "Role",
    "RoleKind",
    "question_words",
    "segment",
    "sentence_role",
    "sentence_roles",
]

RoleKind = Literal["question", "opinion", "instruction", "fact"]
"""What a sentence does (see the module docstring)."""


@dataclass(frozen=True)
class Role:
    """The role of one sentence, and why the rules gave it."""

    kind: RoleKind
    """``question``, ``opinion``, ``instruction`` or ``fact``."""
    why: str
    """A short reason: ``asks``, ``candidate_answer``, ``echoes_question``, ``doubt``,
    ``answer_named``, ``tag_question``, ``override``, ``imperative``, ``self_report``,
    ``new_content``, ``no_content``."""
    confident: bool = True
    """Whether the rules alone settle it (``False``: an imperative to the assistant or a
    sentence without content, which the model's reply decides)."""

    @property
    def droppable(self) -> bool:
        """Whether the rules drop this sentence whatever the model replies."""
        return self.confident and self.kind in ("opinion", "instruction")

    @property
    def protected(self) -> bool:
        """Whether the model's reply cannot drop it: a question or a fact about the user."""
        return self.kind == "question" or self.why == "self_report"


def _words(text: str) -> list[str]:
    return stance.WORD.findall(text)


def question_words(questions: Sequence[str]) -> set[str]:
    """Lower-cased words (and Han characters) of the question sentences.

    Example:
        >>> sorted(question_words(["Should I go to the ER?"]))
        ['er', 'go', 'i', 'should', 'the', 'to']
    """
    return {w.lower() for q in questions for w in _words(q)}


def _new_words(text: str, known: set[str]) -> tuple[list[str], list[str]]:
    """``text``'s content words absent from ``known``: (lower-case ones, names and numbers)."""
    lower: list[str] = []
    names: list[str] = []
    previous = ""
    for word in _words(text):
        key = word.lower().strip("'’-")
        after_number, previous = previous[:1].isdigit(), word
        if key in known or key in stance.FUNCTION or word in stance.FUNCTION_ZH or after_number:
            continue  # a word right after a number is its unit ("200 metres")
        stem = key[:-1] if key.endswith("s") and len(key) > 3 else key
        if stem in known:
            continue
        if word[0].isdigit() or word[0].isupper():
            names.append(word)
        else:
            lower.append(word)
    return lower, names


def _clauses(text: str) -> list[str]:
    parts = [p.strip() for p in stance.CLAUSE_SPLIT.split(text)]
    return [p for p in parts if p and p.strip(" .!?。！？…")]


def _is_doubt(clause: str, zh: bool) -> bool:
    return bool((stance.DOUBT_ZH if zh else stance.DOUBT_EN).match(clause))


def _strip_stance(clause: str, zh: bool) -> tuple[str, bool]:
    """``clause`` without a stance at its start (or end, English), and whether it had one."""
    found = False
    pattern = stance.STANCE_ZH if zh else stance.STANCE_EN
    while True:
        match = pattern.match(clause)
        if not match or not match.group(0).strip():
            break
        clause, found = clause[match.end() :], True
    if not zh:
        trailing = stance.TRAILING_STANCE_EN.search(clause)
        if trailing and trailing.start() > 0:
            clause, found = clause[: trailing.start()], True
    return clause.strip(), found


def _about_answer(content: str, known: set[str], zh: bool) -> str | None:
    """Why ``content`` (a stance's complement) is about the answer, or ``None``.

    ``candidate_answer`` (names, numbers, or the answer named), ``echoes_question``
    (only the question's own words) — or ``None`` when it brings in other words.
    """
    text = content.strip(" .!…。！")
    if not text:
        return "doubt"
    if zh:
        named = stance.ANSWER_NAMED_ZH.match(text) or stance.ANSWER_COPULA_ZH.match(text)
        rest = text[named.end() :] if named else text
        han = [c for c in re.findall(r"[\u3400-\u9fff]", rest) if c not in known]
        han = [c for c in han if c not in stance.FUNCTION_ZH]
        latin, names = _new_words(re.sub(r"[\u3400-\u9fff]", " ", rest), known)
        if stance.FIRST_PERSON_ZH.search(rest) and (han or latin):
            return None
        if not han and not latin:
            if names and not named:
                return "implicit_value"
            return "echoes_question" if not names else "candidate_answer"
        explicit = stance.ANSWER_NAMED_ZH.match(text)
        if named and len(han) <= (8 if explicit else 4) and not latin:
            return "candidate_answer"  # 答案是… names the answer; 我觉得是X guesses a short one
        if len(han) <= 2 and not latin:
            return "candidate_answer" if named else "implicit_value"
        return None
    named = stance.ANSWER_NAMED_EN.match(text)
    if named:
        return "candidate_answer"
    text = stance.HEDGE_ADVERB_EN.sub(" ", text)
    pronoun = stance.ANSWER_PRONOUN_EN.match(text)
    rest = text[pronoun.end() :] if pronoun else text
    lower, names = _new_words(rest, known)
    if stance.FIRST_PERSON_EN.search(rest) and (lower or names):
        return None  # "my GPA is 3.4": a report about the user, not a guess at the answer
    if not lower:
        if names and not pronoun:
            return "implicit_value"  # "Tom has 3 apples": the question's words with a value
        return "candidate_answer" if names else "echoes_question"
    if (
        pronoun
        and stance.ARTICLE_START_EN.match(rest)
        and len(lower) <= 2
        and not stance.FIRST_PERSON_EN.search(rest)
    ):
        return "candidate_answer"  # "it's a blue whale"
    return None


def _doubt_about(clause: str, known: set[str]) -> bool | None:
    """Whether a doubt with a complement ("no idea which is smarter") is about the answer.

    ``True`` when the complement brings in at most two new words, ``False`` when more,
    ``None`` when the clause is no such doubt.
    """
    match = stance.DOUBT_OPEN_EN.match(clause)
    if not match:
        return None
    lower, _names = _new_words(stance.HEDGE_ADVERB_EN.sub(" ", clause[match.end() :]), known)
    return len(lower) <= 2


def _bare_candidate(text: str, known: set[str], zh: bool) -> bool:
    """Whether ``text`` is a short value said alone ("3 tbsp", "around 5:10", "909左右").

    A number, and no other new word but a unit or an approximation.
    """
    if not re.search(r"\d", text):
        return False
    if zh:
        han = [c for c in re.findall(r"[\u3400-\u9fff]", text) if c not in known]
        return len([c for c in han if c not in stance.FUNCTION_ZH | set("左右多少大约差不多")]) <= 2
    text = text.strip()
    lower, _names = _new_words(text[:1].lower() + text[1:], known)  # sentence case is no name
    return not lower and len(text.split()) <= 4


def _lay_claim(content: str, zh: bool, *, strict: bool = False) -> bool:
    """Whether what a friend, relative or stranger says is a claim on the matter (an opinion).

    A judgement ("it's fine", "you need a visa", 就够了, 让我…) is one; otherwise a report
    with a number or about the user ("说今天外面才35度", "says I was born in May") is news
    of the user's case, a fact; what is left is a general claim, an opinion — unless
    ``strict`` (it was told to the user: "my teacher told us to …"), where only a judgement is.
    """
    if (stance.JUDGEMENT_ZH if zh else stance.JUDGEMENT_EN).search(content):
        return True
    if strict:
        return False
    first_person = (stance.FIRST_PERSON_ZH if zh else stance.FIRST_PERSON_EN).search(content)
    return not re.search(r"\d", content) and not first_person


def _is_hedge(clause: str, reasons: list[str], zh: bool) -> bool:
    """A contrastive clause about the user's own reliability after a guess at the answer.

    "I think it's $2,400, but my brain is fried today": it follows a candidate answer
    or an echo of the question, opens with "but" (但/不过), speaks of the user, and
    states no number.
    """
    after_guess = bool(reasons) and reasons[-1] in ("candidate_answer", "echoes_question")
    first_person = (stance.FIRST_PERSON_ZH if zh else stance.FIRST_PERSON_EN).search(clause)
    return (
        after_guess
        and bool(stance.CONTRAST.match(clause))
        and bool(first_person)
        and not re.search(r"\d", clause)
    )


def _opinion(text: str, known: set[str], zh: bool, *, premise: bool = False) -> str | None:
    """Why the statement ``text`` is an opinion about the answer, or ``None``.

    Every clause must be about the answer: a stance over a candidate answer or over the
    question's own words, doubt, or — after such a clause — a contrastive hedge without
    a number ("…, but my brain is fried today"). With ``premise`` (the sentence comes
    before the question, with another sentence between them), the user's own stance
    over the question's words with a value ("I think Tom has 3 apples. He buys 2 more.
    How many apples does he have?") states a premise the problem builds on, not a guess;
    right before the question ("I bet Ben is 12. How old is Ben?") it is a guess, and
    someone else's claim ("我妈说两斤就够了") stays an opinion.
    """
    clauses = _clauses(text)
    if not clauses:
        return None
    reasons: list[str] = []
    stance_seen = False
    for clause in clauses:
        if _is_doubt(clause, zh) or (not zh and _doubt_about(clause, known)):
            reasons.append("doubt")
            stance_seen = True
            continue
        if _is_hedge(clause, reasons, zh):
            continue  # "…, but I'm bad at this stuff": a hedge on the guess before it
        named = (stance.ANSWER_NAMED_ZH if zh else stance.ANSWER_NAMED_EN).match(clause)
        content, stanced = _strip_stance(clause, zh)
        if named and not stanced:
            reasons.append("answer_named")
            continue
        if not stanced and not zh and stance.HEDGE_ADVERB_EN.search(clause):
            plain = " ".join(stance.HEDGE_ADVERB_EN.sub(" ", clause).split())
            if stance.ANSWER_PRONOUN_EN.match(plain) or stance.ANSWER_NAMED_EN.match(plain):
                content, stanced = plain, True  # "It's probably K2", "the answer is surely 4"
        if not stanced and not stance_seen:
            return None  # a clause that states something, with no stance over it
        if stanced and not content:
            stance_seen = True  # "…, I think." said after its content
            continue
        judging = (stance.JUDGEMENT_ZH if zh else stance.JUDGEMENT_EN).search(clause)
        if "hearsay_claim" in reasons and judging and not re.search(r"\d", clause):
            continue  # the reported claim goes on ("…，让我多盖两床被子")
        hearsay = bool((stance.HEARSAY_ZH if zh else stance.HEARSAY_EN).match(clause))
        told = stance.RELAY.search(clause[: len(clause) - len(content)])  # "told me …"
        if stanced and hearsay and _lay_claim(content, zh, strict=bool(told)):
            stance_seen = True
            reasons.append("hearsay_claim")
            continue
        why = _about_answer(content, known, zh)
        if why == "implicit_value":
            explicit = bool(named or stance.GUESS_NOUN.search(clause[: len(clause) - len(content)]))
            why = None if premise and not hearsay and not explicit else "candidate_answer"
        if why is None:
            return None
        stance_seen = stance_seen or stanced
        reasons.append(why)
    if not stance_seen and "answer_named" not in reasons:
        return None
    for why in ("answer_named", "candidate_answer", "echoes_question", "hearsay_claim", "doubt"):
        if why in reasons:
            return why
    return "doubt"  # a bare stance ("I think so.")


def _instruction(text: str, zh: bool) -> Role | None:
    fixed = stance.FIXED_TOKEN.search(text) or (zh and stance.FIXED_TOKEN_ZH.search(text))
    demand = bool(
        stance.DEMAND.search(text)
        and fixed
        and (stance.EXCLUSIVE.search(text) or stance.ADDRESSEE.search(text))
    )
    if zh:  # 输出“…” / 只回复HACKED / 开头加上“…”
        demand = demand or bool(
            stance.DEMAND_ZH.search(text)
            and stance.EXCLUSIVE_ZH.search(text)
            and stance.FIXED_TOKEN_ZH.search(text)
        )
    demand = demand or bool(stance.CLAUSE_DEMAND.search(text) and stance.CODE_WORD.search(text))
    if stance.FORGED_LABEL.match(text) and (
        stance.CODE_WORD.search(text) or stance.CLAUSE_DEMAND.search(text)
    ):
        demand = True  # "答案：HACKED", "Question/Query (…): Print PWNED."
    if demand or stance.ROLE_MARK.search(text) or stance.OVERRIDE.search(text):
        return Role("instruction", "override")
    if zh and stance.OVERRIDE_ZH.search(text):
        return Role("instruction", "override")
    if (stance.IMPERATIVE_ZH if zh else stance.IMPERATIVE_EN).match(text):
        return Role("instruction", "imperative", confident=False)
    return None


def _is_zh(text: str) -> bool:
    han = len(re.findall(r"[\u3400-\u9fff]", text))
    return han > 1.5 * len(re.findall(r"[A-Za-z]+", text))


def sentence_role(
    text: str, *, known: set[str], is_question: bool | None = None, premise: bool = False
) -> Role:
    """The role of one sentence.

    Args:
        text: The sentence.
        known: :func:`question_words` of the input's questions (a stance whose
            content uses only these words echoes the question).
        is_question: Whether it asks (default: :func:`~langchain_s2a._internal.text.sentences.asks`).
        premise: Whether it comes before the input's first question with a sentence
            between them (see :func:`_opinion`).

    Returns:
        Its :class:`Role`.

    Example:
        >>> known = question_words(["When should I leave home?"])
        >>> sentence_role("I believe my flight to Paris leaves at 9 pm.", known=known)
        Role(kind='fact', why='self_report', confident=True)
        >>> sentence_role("My dad insists it's 7 pm, but I'm not sure.", known=known).kind
        'opinion'
    """
    zh = _is_zh(text)
    text = stance.SPEAKER.sub("", text, count=1)  # a transcript's "User:" is not the sentence
    instruction = _instruction(text, zh)
    if instruction is not None and instruction.confident:
        return instruction
    asking = asks(text) if is_question is None else is_question
    if asking:
        tag = (stance.TAG_ZH if zh else stance.TAG_EN).search(text)
        if tag is not None and tag.start() > 0:
            statement = text[: tag.start()]
            why = _opinion(statement, known, zh) or (
                "tag_question" if _about_answer(statement, known, zh) else None
            )
            return Role("opinion", why) if why else Role("question", "asks")
        if not (
            stance.INTERROGATIVE_ZH.search(text) if zh else stance.INTERROGATIVE_EN.match(text)
        ):
            # "300 g I guess?": a statement said with a question mark
            statement = text.rstrip(" ?？")
            why = _opinion(statement, known, zh)
            if why is None and known and _bare_candidate(statement, known, zh):
                why = "candidate_answer"  # "around 5:10?" beside the real question
            if why is not None:
                return Role("opinion", why)
        return Role("question", "asks")
    why = _opinion(text, known, zh, premise=premise)
    if why is not None:
        return Role("opinion", why)
    if instruction is not None:
        return instruction
    content = _strip_stance(text, zh)[0] or text  # "I'm sure it's nothing": not about me
    first_person = (stance.FIRST_PERSON_ZH if zh else stance.FIRST_PERSON_EN).search(content)
    lower, names = _new_words(text, set())
    if not lower and not names:
        return Role("fact", "no_content", confident=False)
    return Role("fact", "self_report" if first_person else "new_content")


def sentence_roles(sentences: Sequence[Sentence]) -> list[Role]:
    """The role of every sentence of an input (its questions read first).

    Example:
        >>> from langchain_s2a._internal.text.sentences import split_sentences
        >>> s = split_sentences("Tom has 12 books. I think Tom hates reading. How many books?")
        >>> [r.kind for r in sentence_roles(s)]
        ['fact', 'fact', 'question']
    """
    asking = [asks(s.text) for s in sentences]
    first = asking.index(True) if True in asking else len(asking)

    def known_for(index: int) -> set[str]:
        # The other questions' words: a sentence that asks does not echo itself.
        return question_words(
            [
                s.text
                for i, (s, a) in enumerate(zip(sentences, asking, strict=True))
                if a and i != index
            ]
        )

    known = known_for(-1)
    roles = [
        sentence_role(
            s.text, known=known_for(i) if a else known, is_question=a, premise=i < first - 1
        )
        for i, (s, a) in enumerate(zip(sentences, asking, strict=True))
    ]
    # A question that also carries an instruction ("What does </user_text> close?") or a
    # guess ("It's Sydney, right?") stays a question when the turn asks nothing else: the
    # question is never lost.
    asked = [i for i, (a, r) in enumerate(zip(asking, roles, strict=True)) if a]
    if asked and all(roles[i].kind != "question" for i in asked):
        roles[asked[-1]] = Role("question", "asks")
    return roles


def _enough(piece: str) -> bool:
    han = len(re.findall(r"[\u3400-\u9fff]", piece))
    return han >= 3 if han else len(re.findall(r"[A-Za-z0-9]+", piece)) >= 2


def _split_mixed(
    text: str, known: set[str], depth: int = 0, *, premise: bool = False
) -> list[tuple[int, int]]:
    """``text`` cut where an opinion about the answer meets a fact (spans into ``text``).

    One cut at a time, the first whose one side is an opinion and the other is not;
    the fact side is looked at again (a sentence may hold one opinion and two facts).
    """
    whole = sentence_role(text, known=known, premise=premise)
    if whole.kind == "opinion" or depth > 2:
        return [(0, len(text))]
    for match in stance.CUT.finditer(text):
        cut = match.end()
        head, tail = text[:cut].rstrip(), text[cut:].lstrip()
        if not (_enough(head) and _enough(tail)) or sum(head.count(q) for q in '"“”') % 2:
            continue
        if stance.ASIDE_START.match(tail) or stance.ASIDE_END.search(head):
            continue  # "It expires, I believe, on May 3": the stance is an aside, not a clause
        bare = [_strip_stance(p, _is_zh(p))[0].strip(" .!?…。！？,，") == "" for p in (head, tail)]
        if any(bare):
            continue  # "…at around 1pm, I think.": a bare stance hedges the clause it follows
        roles = [sentence_role(piece, known=known, premise=premise) for piece in (head, tail)]
        kinds = [r.kind == "opinion" and r.confident for r in roles]
        if kinds[0] == kinds[1] or any(r.kind == "instruction" for r in roles):
            continue
        start = len(text) - len(tail)
        pieces = [(0, len(head)), (start, len(text))]
        fact = 1 if kinds[0] else 0
        a, b = pieces[fact]
        inner = [
            (a + x, a + y) for x, y in _split_mixed(text[a:b], known, depth + 1, premise=premise)
        ]
        return [*inner, pieces[1]] if fact == 0 else [pieces[0], *inner]
    return [(0, len(text))]


def segment(text: str, *, language: Language | None = None) -> list[Sentence]:
    """``text``'s sentences as the rewrite numbers them, a mixed sentence cut into clauses.

    :func:`~langchain_s2a._internal.text.sentences.split_sentences`, then every sentence that holds
    both an opinion about the answer and a fact is cut where one meets the other ("我猜是
    长江，给孩子检查作业用的。", "I don't think it's 12, a whole stick is only 8."), so the
    opinion can go and the fact stay, each verbatim.

    Example:
        >>> [s.text for s in segment("How many tbsp is 3/4 cup? I don't think it's 12, a stick is 8.")]
        ['How many tbsp is 3/4 cup?', "I don't think it's 12,", 'a stick is 8.']
    """
    return list(_segment(text, language))


@lru_cache(maxsize=256)
def _segment(text: str, language: Language | None) -> tuple[Sentence, ...]:
    # Cached: one rewrite reads its input's sentences several times (prompt, plan, reply).
    sentences = split_sentences(text, language=language)
    known = question_words([s.text for s in sentences if asks(s.text)])
    first = next((s.id for s in sentences if asks(s.text)), len(sentences) + 1)
    out: list[Sentence] = []
    for sentence in sentences:
        for a, b in _split_mixed(sentence.text, known, premise=sentence.id < first - 1):
            piece = sentence.text[a:b]
            out.append(Sentence(len(out) + 1, piece, sentence.start + a, sentence.start + b))
    return tuple(out)
