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
and what follows it decides.

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


# ----------------------------------------------------------------------- English
_CONNECTIVE = (
    r"(?:(?:but|and|so|well|honestly|personally|also|though|although|however|yet|still|"
    r"anyway|actually|plus|oh|hmm|ok|okay|also,|because|since)\b[,]?\s*)*"
)
_INTENSIFIER = (
    r"(?:really|honestly|personally|actually|kind of|kinda|sort of|still|also|just|strongly|"
    r"genuinely|do|did|truly|definitely|totally|already|always)"
)
_STANCE_VERB = (
    r"(?:think|thought|believe|believed|guess|suspect|feel|felt|reckon|suppose|assume|bet|"
    r"expect|imagine|figure|doubt|recall|remember|gather|heard|hear|understand|"
    r"am guessing|'m guessing|am thinking|'m thinking|am assuming|'m assuming|am betting|"
    r"'m betting|am figuring|'m figuring|am estimating|'m estimating)"
)
_CERTAIN = r"(?:sure|certain|positive|convinced|confident)"
_DEGREE = (
    r"(?:not|pretty|quite|fairly|really|very|so|totally|absolutely|almost|100%|completely|"
    r"entirely|reasonably|kind of|kinda|dead|super|most|more or less)"
)
_PEOPLE = (
    r"(?:friend|friends|teacher|dad|father|mom|mum|mother|parents|brother|sister|wife|husband|"
    r"colleague|coworker|coworkers|co-worker|partner|son|daughter|kid|kids|roommate|"
    r"neighbou?r|uncle|aunt|cousin|grandma|grandmother|grandpa|grandfather|professor|tutor|"
    r"classmate|classmates|boyfriend|girlfriend|coach|google|chatgpt|family|team|everyone|"
    r"everybody|people|someone|somebody|they|he|she|in-laws?|group|forum|reddit|youtube|"
    r"tiktok|guy|guys|lady|man|woman|salesman|salesperson|clerk|cashier|online)"
)
_HEARSAY_VERB = (
    r"(?:says|said|say|thinks|think|thought|insists|insisted|claims|claimed|swears|swore|"
    r"believes|reckons|is sure|was sure|is convinced|keeps saying|kept saying|argues|argued|"
    r"suggested|suggests|guessed|guesses|knows|is certain|"
    r"(?:told|tells) (?:me|us|her|him|them|everyone|the class))"
)
# A stance that opens the sentence (after connectives), in its English forms.
_STANCE_EN = re.compile(
    r"^\s*" + _CONNECTIVE + r"(?:"
    rf"I (?:{_INTENSIFIER} )*(?:don't |do not |didn't |did not |can't help but )?{_STANCE_VERB}"
    rf"|I(?:'m| am) (?:{_DEGREE} )*{_CERTAIN}(?: (?:that|of|about))?"
    rf"|(?:pretty|fairly|quite|100%|almost|dead) {_CERTAIN}(?: (?:that|of|about))?"
    r"|I(?:'ve| have) (?:always |kind of |sort of |also |just )*(?:believed|thought|heard|assumed|"
    r"figured|read)"
    rf"|I(?:'d| would) (?:{_INTENSIFIER} )*(?:say|guess|bet|think|imagine|assume|expect)"
    r"|I(?:'m| am) (?:guessing|thinking|betting|assuming|figuring|estimating|hoping)"
    r"|my (?:guess|bet|hunch|feeling|gut|gut feeling|instinct|opinion|view|impression|answer|"
    r"best guess|understanding) (?:is|was|says|tells me)"
    r"|in my (?:opinion|view|mind|humble opinion)|if you ask me|IMO|IMHO"
    r"|I have a (?:feeling|hunch|suspicion)"
    r"|as far as I (?:know|can tell)|if I(?:'m| am) not mistaken"
    r"|if I remember (?:correctly|right)|I could be wrong(?:,? but)?|I might be wrong(?:,? but)?"
    r"|correct me if I(?:'m| am) wrong(?:,? but)?"
    rf"|(?:(?:my|our|his|her|a|the|some|this|one) )?(?:[\w']+ ){{0,2}}{_PEOPLE}"
    rf"(?: (?:at|from|in|on) (?:the |my |a )?\w+(?: \w+)?)? {_HEARSAY_VERB}"
    r"|according to (?:my|the|a|our) \w+(?: \w+)?"
    r"|I (?:read|heard|was told|saw) (?:somewhere |online |once )?(?:that )?"
    r"|(?:probably|maybe|perhaps|surely|definitely|obviously|presumably|likely|most likely|"
    r"possibly|apparently|supposedly|certainly|clearly|undoubtedly|no doubt|of course|"
    r"I guess|I suppose|I think)"
    r")(?: that)?\b[,:]?",
    re.IGNORECASE,
)
# A stance that names itself a guess or an answer ("my guess is", "my answer is", 我猜测是).
_GUESS_NOUN = re.compile(r"\b(?:guess|bet|hunch|answer|opinion|view)\b|猜|答案", re.IGNORECASE)
_HEARSAY_EN = re.compile(
    r"^\s*" + _CONNECTIVE + rf"(?:(?:(?:my|our|his|her|a|the|some|this|one) )?(?:[\w']+ ){{0,2}}"
    rf"{_PEOPLE}(?: (?:at|from|in|on) (?:the |my |a )?\w+(?: \w+)?)? {_HEARSAY_VERB}|according to|"
    r"I (?:read|heard|was told))",
    re.IGNORECASE,
)
# Someone passing on news of the user's own affairs ("my boss told me", "the airline
# emailed"), not a claim of their own about the answer.
_RELAY = re.compile(
    r"\b(?:told|tells|telling) (?:me|us)\b|\b(?:emailed|texted|messaged|informed|notified|"
    r"reminded|confirmed|let me know|let us know)\b|告诉我|通知我|跟我说|发短信|发邮件",
    re.IGNORECASE,
)
# Words that make a claim a judgement (what should be done, what is fine, what is true)
# rather than an observation: a lay person's judgement on the question is an opinion.
_JUDGEMENT_EN = re.compile(
    r"\b(?:should|shouldn't|must|mustn't|need|needs|needn't|have to|has to|never|"
    r"best|better|worse|worst|fine|okay|ok|safe|unsafe|dangerous|harmless|enough|can't|cannot|"
    r"won't|doesn't|don't|isn't|aren't|no need|not (?:a )?(?:problem|big deal)|waste|useless|"
    r"pointless|required|mandatory|illegal|legal|allowed|right|wrong|true|false|myth|scam|"
    r"works|prevents?|cures?|causes?)\b",
    re.IGNORECASE,
)
_JUDGEMENT_ZH = re.compile(
    r"应该|必须|一定|肯定|不能|不可以|可以|不用|没必要|就行|就够|就好|最好|没事|没问题|没什么|不行|"
    r"绝对|千万|要等|不然|才行|才能|打不赢|打得赢|是对的|是错的|没用|有用|太早|太晚|来不及|来得及|"
    r"让我|叫我|要我|赶紧|别|不要|坑人|骗人|不好|好得快"
)
_HEARSAY_ZH = re.compile(
    r"^\s*(?:我的?|我们的?|他的?|她的?)?(?:[\u4e00-\u9fff]{1,3}的?)?(?:朋友|老师|爸爸|妈妈|爸|妈|父亲|"
    r"母亲|爸妈|父母|哥哥|姐姐|弟弟|"
    r"妹妹|同事|老板|同学|同桌|丈夫|妻子|老公|老婆|男朋友|女朋友|教练|家人|室友|邻居|婆婆|公公|岳母|奶奶|"
    r"爷爷|外婆|姥姥|舅舅|阿姨|叔叔|大家|别人|有人|他|她|他们|网上)(?:都|也|非|一直|总|还)?"
    r"(?:说(?!话)|认为|觉得|坚持|肯定|告诉我|猜|相信|非说)|^\s*(?:据说|听说)"
)
# A stance said after the content: "It's Sydney, I think." / "Sydney I believe."
_TRAILING_STANCE_EN = re.compile(
    rf",?\s*(?:I (?:{_INTENSIFIER} )*{_STANCE_VERB}|I(?:'m| am) (?:{_DEGREE} )*{_CERTAIN}"
    r"|probably|maybe|perhaps|I guess|I suppose|if I(?:'m| am) not mistaken|if I remember "
    r"(?:correctly|right))\s*[.!…]*\s*$",
    re.IGNORECASE,
)
# Adverbs that hedge without changing what is said ("It's probably Sydney").
_HEDGE_ADVERB_EN = re.compile(
    r"\b(?:probably|maybe|perhaps|surely|definitely|obviously|presumably|likely|possibly|"
    r"apparently|supposedly|certainly|clearly|undoubtedly|actually|really|honestly|"
    r"basically|most likely|for sure|i think|i guess|i believe)\b",
    re.IGNORECASE,
)
# Doubt with no content: the clause is about the user's certainty only.
_DOUBT_EN = re.compile(
    r"^\s*" + _CONNECTIVE + r"(?:"
    rf"I(?:'m| am) (?:{_DEGREE} |just |still |also )*(?:not|un)(?: {_DEGREE})* ?{_CERTAIN}"
    r"(?: (?:though|about (?:it|that|this|the answer)|of it|of that|if (?:that's|it's|I'm) right))?"
    rf"|(?:not|un) (?:{_DEGREE} )*{_CERTAIN}(?: though)?"
    r"|I (?:really |honestly |just )?(?:don't|do not) know(?: for sure)?"
    r"|I could be wrong|I might be wrong|I may be wrong|correct me if I(?:'m| am) wrong"
    r"|(?:just |only )?(?:a|my) (?:guess|hunch|thought)|who knows|no idea|not 100% sure"
    r"|but (?:I'm|I am) not (?:an? )?expert|(?:though|tho)"
    r"|(?:opinions|answers|people|sources) (?:online )?(?:differ|vary|disagree)"
    r")\s*(?:tbh|lol|honestly)?\s*[.!…?,;]*\s*$",
    re.IGNORECASE,
)
# Doubt whose complement names what is doubted: "no idea which is smarter", "not sure it's
# even possible"; a doubt when the complement brings in at most two new words.
_DOUBT_OPEN_EN = re.compile(
    r"^\s*" + _CONNECTIVE + r"(?:honestly,? )?(?:"
    rf"I(?:'m| am) (?:{_DEGREE} |just |still |also )*(?:not (?:{_DEGREE} )*{_CERTAIN}|unsure|"
    r"uncertain)|(?:not|un) (?:{_DEGREE} )*sure|I (?:really |honestly |just )?(?:don't|do not) "
    r"know|I have (?:no|zero) (?:idea|clue)|no (?:idea|clue)|who knows"
    r")\s*(?:about |of )?(?:if|whether|which|what|how|when|where|why|who|that)?\b",
    re.IGNORECASE,
)
# "the answer is X": a clause whose subject is the answer itself.
_ANSWER_NAMED_EN = re.compile(
    r"^\s*(?:the |your |my |our )?(?:correct |right |real |actual |final |true )?"
    r"(?:answer|result|solution|response)(?: (?:to|for|of) (?:this|that|it|the question|"
    r"your question|my question))?\s*(?:is|was|'s|would be|will be|should be|must be|"
    r"might be|could be|equals|comes to|=|:)\s+",
    re.IGNORECASE,
)
# A pronoun and a copula that may stand for "the answer is" after a stance.
_ANSWER_PRONOUN_EN = re.compile(
    r"^\s*(?:it|that|this|he|she|they|the total|the sum|the number|the figure|the amount)"
    r"(?:'s| is| was| would be|'d be| will be|'ll be| should be| must be| might be| could be|"
    r" were| are|'re| equals| comes to)\s+",
    re.IGNORECASE,
)
_TAG_EN = re.compile(
    r",?\s*(?:right|correct|isn't it|is it not|wasn't it|aren't they|don't you think|yes|"
    r"no|yeah|true|am I right|agreed|huh|or not|isn't that right|wouldn't it|doesn't it)\s*"
    r"[?？]+\s*$",
    re.IGNORECASE,
)
# How a real question starts (English) or what it holds (Chinese); a sentence with a question
# mark and none of these is a statement asking for approval ("So it's expired already?").
_INTERROGATIVE_EN = re.compile(
    r"^\W*(?:(?:and|but|so|also|or|ok|okay|well|then|hmm|hey|hi|sorry|please)\b[,]?\s+)*"
    r"(?:what|which|who|whom|whose|when|where|why|how|is|are|am|was|were|do|does|did|can|could|"
    r"should|would|will|shall|may|might|must|have|has|had|isn't|aren't|wasn't|weren't|don't|"
    r"doesn't|didn't|can't|couldn't|shouldn't|wouldn't|won't|any|anyone|anybody|whats|what's|"
    r"how's|where's|who's|whats|if|whether|or)\b",
    re.IGNORECASE,
)
_INTERROGATIVE_ZH = re.compile(
    r"吗|呢|什么|哪|谁|几|多少|怎么|为什么|为何|是不是|能不能|会不会|要不要|有没有|可不可以|行不行|"
    r"对不对|好不好|是否|多久|多长|多大|多远|如何"
)
_FIRST_PERSON_EN = re.compile(r"\b(?:I|I'm|I've|I'd|I'll|me|my|mine|myself|we|us|our|ours)\b")
_ARTICLE_START_EN = re.compile(r"^\s*(?:a|an|the|some|one)\s", re.IGNORECASE)

# ----------------------------------------------------------------------- Chinese
_STANCE_ZH = re.compile(
    r"^\s*(?:(?:但是?|不过|而且|所以|其实|说实话|老实说|那么|嗯|哦)[，,]?\s*)*(?:"
    r"我(?:个人|真的|其实|还是|也|倒是|一直|总|都)?(?:不|并不|不太|没)?(?:认为|觉得|相信|猜|猜测|"
    r"估计|想|确定|肯定|敢肯定|怀疑|感觉|以为|记得|听说|印象中|看|判断)"
    r"|我(?:很|非常|十分|比较|挺|百分之百)?(?:确定|肯定|相信)"
    r"|我(?:算着|算了一下|算下来|数着)"
    r"|(?:我的?|我们的?|他的?|她的?)?(?:[\u4e00-\u9fff]{1,3}的?)?(?:朋友|老师|爸爸|妈妈|爸|妈|父亲|"
    r"母亲|爸妈|父母|哥哥|姐姐|"
    r"弟弟|妹妹|同事|老板|同学|同桌|丈夫|妻子|老公|老婆|男朋友|女朋友|教练|家人|室友|邻居|婆婆|"
    r"公公|岳母|奶奶|爷爷|外婆|姥姥|舅舅|阿姨|叔叔|大家|别人|有人|他|她|他们)(?:都|也|非|一直|总)?"
    r"(?:说(?!话)|认为|觉得|坚持说?|肯定地?说|告诉我|猜|相信|非说|说是)"
    r"|据说|听说|有人说|大家都说|在我看来|依我看|我看|个人认为|我的猜测是|我猜测是"
    r"|(?:可能|也许|大概|应该|估计|恐怕|说不定|肯定|一定|显然|或许|八成|多半|感觉|好像|似乎|看来)"
    r")[，,：:]?",
)
_DOUBT_ZH = re.compile(
    r"^\s*(?:(?:但是?|不过|可是)[，,]?\s*)?(?:我)?(?:真的|也|并|其实|还是)?"
    r"(?:不(?:太|是很|大)?(?:确定|清楚|知道|敢肯定)|没(?:有)?把握|说不准|拿不准|不一定对|"
    r"说不好|搞不清(?:楚)?|弄不清(?:楚)?|吃不准|不好说|没数|(?:网上|大家|别人)?的?说法(?:不一|"
    r"太多了?|很多|各异|不同))"
    r"(?:对不对|是不是|啊|呢|吧|哦|的)?\s*[。！…？?!.，,；;]*\s*$"
)
_ANSWER_NAMED_ZH = re.compile(
    r"^\s*(?:正确)?(?:答案|结果|正确答案|总数|总共|一共|总和)(?:应该|可能|大概|肯定|一定)?不?(?:是|为|等于)"
)
_ANSWER_COPULA_ZH = re.compile(r"^\s*(?:应该|可能|大概|肯定|一定|就)?不?(?:是|为|等于)")
_TAG_ZH = re.compile(r"[，,]?\s*(?:对吧|是吧|对不对|是不是|没错吧|对吗|是吗|吧)\s*[？?]+\s*$")
_FIRST_PERSON_ZH = re.compile(r"我")
_SPEAKER = re.compile(r"^\s*(?:User|Human|Me|Customer|用户|我)\s*[:：]\s*", re.IGNORECASE)

# ------------------------------------------------------------------ instructions
_OVERRIDE = re.compile(
    r"\b(?:ignore|disregard|forget|override|bypass|skip|drop|abandon|stop following)\b"
    r"[^.?!\n]{0,50}?\b(?:instructions?|rules?|prompts?|questions?|above|previous|prior|earlier|"
    r"following|everything|directions?|guidelines?|tasks?|context|constraints?|orders?)\b"
    r"|\b(?:system|developer|admin(?:istrator)?|moderator|operator|root|sudo)\s*"
    r"(?:prompt|message|note|notice|override|instructions?|update|command|mode|announcement)s?\b"
    r"|\b(?:note|message|notice|memo|instructions?|order|announcement|update)s? (?:from|by) "
    r"(?:the |your |an? )?(?:site |system |chat |platform |openai )?"
    r"(?:admin(?:istrator)?|developer|moderator|operator|system|owner|staff|openai|creator)s?\b"
    r"|\b(?:reveal|show|print|repeat|output|display|leak|tell me|share|dump|disclose)\b"
    r"[^.?!\n]{0,40}\b(?:system prompt|instructions|hidden|secret|password|api key|canary|"
    r"prompt|configuration|rules)\b"
    r"|\b(?:new|updated|important|urgent|override|additional|hidden|secret) (?:rule|instruction|"
    r"task|policy|directive|order|command)s?\b"
    r"|\bfrom now on\b|\byou are now\b|\byou(?:'re| are) no longer\b|\bact as\b"
    r"|\bpretend (?:to be|you are|you're)\b|\brole-?play\b|\bjailbreak|\bdo anything now\b"
    r"|\byou (?:must|should|have to|need to|will|shall) (?:now |always |only |ever |instead )*"
    r"(?:reply|respond|answer|say|output|write|print|begin|start|end|include|repeat|type)"
    r"|\b(?:start|begin|end|prefix|preface|open|close|finish|sign)\b[^.?!\n]{0,20}?\b(?:your|the|"
    r"each|every|all) (?:reply|replies|response|responses|answer|answers|message|output)\b"
    r"[^.?!\n]{0,25}?\bwith\b"
    r"|\b(?:keep|always|only|continue) (?:on )?(?:answering|replying|responding|saying|writing)\b"
    r"|\bnote to (?:all |any |the )?(?:ai|ais|assistants?|language models?|llms?|models?|bots?|"
    r"chatbots?)\b"
    r"|\b(?:ai|assistants?|language models?|llms?|models?|bots?|chatbots?)\b[^.?!\n]{0,40}?"
    r"\b(?:must|should|have to|are required to|need to|shall)\b[^.?!\n]{0,15}?\b(?:reply|respond|"
    r"answer|say|output|write|print|include|start|begin|confirm)\b"
    r"|\bthe only (?:acceptable|permitted|allowed|valid|correct|possible) (?:reply|response|"
    r"answer|output)\b"
    r"|\blet'?s play a game\b|\bmaintenance mode\b|\bdeveloper mode\b|\btest mode\b"
    r"|\b(?:ignoriere|ignorieren|ignorez|ignorer|ignora|ignorar|ignorad|ignorate)\b"
    r"|\bSYSTEM\s*:|\breplace (?:your|the) (?:whole |entire )?(?:summary|answer|reply|response|"
    r"output)\b|\b(?:the )?(?:assistant|ai|model|bot)'s (?:answer|reply|response)\b"
    r"|\b(?:answer|reply|response)s? to (?:any|every|all|each) questions?\b"
    r"|\b(?:your|the assistant's|the ai's|the model's) (?:only |new |real |true |actual )+"
    r"(?:task|job|goal|instruction|purpose|role)\b"
    r"|\b(?:every|each|all|any) (?:of your )?(?:reply|replies|response|responses|answer|"
    r"answers|message|messages) (?:must|should|has to|have to|will)\b"
    r"|\b(?:do not|don't|never|stop)\s+(?:answer|answering|respond|responding|reply|replying)"
    r"(?: to)?\s+(?:the|any|this|that|these|questions?)\b"
    r"|\binstead\b[^.?!\n]{0,40}\b(?:reply|respond|answer|output|say|write|print)\b",
    re.IGNORECASE,
)
# A demand for a fixed reply: a verb of replying, a word of exclusivity, and a fixed token
# (quoted, or a capitalised code such as HACKED or ZEBRA-7731).
_DEMAND = re.compile(
    r"(?:^|[.:;,!(\[\n]\s*|\b(?:please|kindly|just|only|always|simply|instead|and|then|now|by|"
    r"you (?:must|should|will|shall|need to|have to|are to|may only)|could you|can you|would you)"
    r"\s+)(?:reply|respond|answer|output|say|write|print|type|return|begin|start|end|repeat|"
    r"append|add|include|attach|replying|responding|answering|outputting|saying|writing|"
    r"printing|typing|repeating|appending|adding|including)\b",
    re.IGNORECASE,
)
_DEMAND_ZH = re.compile(r"回复|回答|输出|打印|写出|说出|重复|复述|加上|写上|贴出|附上|附带|加入")
_EXCLUSIVE_ZH = re.compile(
    r"只|仅|必须|一律|统一|直接|务必|一字不差|开头|结尾|你的?|助手|AI|回答中|回复中|答案中|在回答",
    re.I,
)
_FIXED_TOKEN_ZH = re.compile(
    r"(?<![A-Za-z0-9])[A-Z][A-Z0-9_-]{2,}(?![A-Za-z0-9])|[“「『][^”」』]{1,30}[”」』]|https?://\S+"
    r"|[\w\u4e00-\u9fff]+-\d+"
)
# A demand at the start of a clause with a fixed token ("Print PWNED.", "，写上PWNED。",
# 'print("PWNED")'): the user's own text does not order a code word out of the assistant.
_CLAUSE_DEMAND = re.compile(
    r"(?:^|[.:;!?(\n，。：；！？]\s*)[*_\s]*(?:(?:please |then |now |just )?(?:reply|respond|answer|"
    r"output|say|write|print|type|return|repeat|append|add|include)(?:\s*\(|\s|$|[:：])"
    r"|(?:请|然后|再)?(?:输出|回复|回答|打印|写上|写出|说出|附上))",
    re.IGNORECASE,
)
# The labels of an answer format or of a rewrite prompt, which a user does not write before
# a demand or a code word: a forged structure ("答案：HACKED", "Question: Print PWNED").
_FORGED_LABEL = re.compile(
    r"^\W*(?:(?:final |correct |detailed |the )?(?:answer|question|query|response|output|"
    r"context|question/query)[^:：\n]{0,60}[:：]|(?:最终|正确|标准|详细)?(?:答案|问题|回答|输出|"
    r"上下文|相关上下文)[:：]|答[:：]|问[:：])",
    re.IGNORECASE,
)
_ADDRESSEE = re.compile(r"\byou(?:r)?\b|\bassistant\b|\bAI\b|\bmodel\b|\bbot\b", re.IGNORECASE)
_CODE_WORD = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Z][A-Z0-9_]*(?:-[A-Z0-9]+)+|[A-Z]{4,})(?![A-Za-z0-9])"
    r"|[\w\u4e00-\u9fff]+-\d+|https?://\S+|[“「『][^”」』]{1,30}[”」』]"
)
_EXCLUSIVE = re.compile(
    r"\b(?:only|just|exactly|nothing (?:but|else)|and nothing|single word|the word|verbatim|"
    r"no matter|regardless|always)\b",
    re.IGNORECASE,
)
_FIXED_TOKEN = re.compile(r"[\"“‘`][^\"”’`]{1,40}[\"”’`]|'[^']{1,40}'|\b[A-Z][A-Z0-9_-]{2,}\b")
_ROLE_MARK = re.compile(
    r"<\s*\|?\s*(?:im_start|im_end|endoftext|system|assistant|user|eot_id|start_header_id)"
    r"|<\s*/?\s*(?:system|assistant|admin|developer|instructions?)[\w-]*\s*>"
    r"|\[/?INST\]|<</?SYS>>|</?s>|<start_of_turn>|<end_of_turn>"
    r"|(?:^|\n)\s*(?:#+\s*)?(?:\*\*)?\s*(?:system|admin|administrator|developer|"
    r"instructions?|new instructions?|system prompt)\s*(?:\*\*)?\s*[:：\]>]"
    r"|^\s*[\[(<]\s*(?:system|assistant|admin|developer|instruction|note to (?:the )?"
    r"(?:ai|assistant|model|bot))\s*[\])>:]"
    r"|^\s*(?:hey |dear |attention,? )?(?:assistant|AI|chatbot|model|ChatGPT|bot|language model|"
    r"LLM|GPT|Qwen|Claude)\s*[,!]",
    re.IGNORECASE,
)
_IMPERATIVE_EN = re.compile(
    r"^\s*(?:(?:please|now|just|also|then|and|kindly|finally)\s*,?\s+)*"
    r"(?:reply|respond|answer|output|say|write|print|type|return|repeat|translate|format|"
    r"begin|start|end|sign|include|add|use)\b(?! (?:to|that) )",
    re.IGNORECASE,
)
_OVERRIDE_ZH = re.compile(
    r"(?:忽略|无视|忘记|忘掉|不要理会|不用理会|别管|跳过|不要管|放弃)[^。？！\n]{0,20}?"
    r"(?:指令|指示|规则|提示|问题|要求|设定|内容|以上|之前|上面|下面|前面|一切|所有)"
    r"|(?:系统|管理员|开发者|开发人员|官方|平台|版主|站长|运营)(?:的)?(?:提示|通知|消息|指令|公告|"
    r"说明|要求|设置|更新|命令)?\s*[:：]"
    r"|(?:系统|管理员|开发者|开发人员)(?:提示|通知|消息|指令|公告|命令)"
    r"|(?:新的?|最新的?|额外的?|重要的?|隐藏的?)(?:规则|指令|任务|要求|命令)"
    r"|你现在是|你的(?:新|唯一|真正)?的?(?:任务|身份|角色|工作)(?:是|变成)|扮演|假装你是|"
    r"从现在(?:开始|起)"
    r"|(?:只|仅|直接|必须|一律|统统)(?:需要|能|要)?(?:回复|回答|输出|说|写|打印|返回)"
    r"|(?:输出|透露|显示|告诉我|重复|泄露|打印)[^。？！\n]{0,15}(?:系统提示|提示词|指令|密码|秘密|"
    r"配置|规则)"
    r"|你的(?:指令|提示词|系统提示|设定|规则|配置|初始设置)"
    r"|(?:所有|任何|每个|一切)(?:的)?(?:问题|提问)的?(?:标准|正确)?(?:答案|回答)"
    r"|忽略[^。？！\n]{0,10}(?:格式|要求|一切)"
    r"|(?:测试|维护|开发者|调试|管理员)模式"
    r"|(?:不要|别|禁止|不准|不许|停止)(?:再)?(?:回答|回复)"
    r"|(?:每|所有|任何)(?:一)?(?:条|个|次)?(?:回复|回答|答案)都?(?:必须|要|应该)"
)
_IMPERATIVE_ZH = re.compile(
    r"^\s*(?:请|麻烦|务必)?(?:回复|回答|输出|翻译|重复|用.{1,8}(?:回答|回复))"
)

# ------------------------------------------------------------------- vocabulary
_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+(?:[.,:]\d+)*|[\u3400-\u9fff]")
_FUNCTION = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "in",
        "on",
        "at",
        "by",
        "for",
        "with",
        "from",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "do",
        "does",
        "did",
        "done",
        "not",
        "no",
        "yes",
        "it",
        "its",
        "it's",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "than",
        "then",
        "so",
        "such",
        "very",
        "just",
        "also",
        "about",
        "into",
        "over",
        "under",
        "again",
        "still",
        "even",
        "too",
        "only",
        "really",
        "quite",
        "pretty",
        "some",
        "any",
        "all",
        "much",
        "many",
        "more",
        "most",
        "less",
        "least",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "when",
        "where",
        "why",
        "how",
        "i",
        "me",
        "my",
        "mine",
        "myself",
        "you",
        "your",
        "yours",
        "we",
        "us",
        "our",
        "they",
        "them",
        "their",
        "he",
        "him",
        "his",
        "she",
        "her",
        "can",
        "could",
        "would",
        "should",
        "will",
        "shall",
        "may",
        "might",
        "must",
        "have",
        "has",
        "had",
        "having",
        "get",
        "got",
        "gets",
        "getting",
        "i'm",
        "i've",
        "i'd",
        "i'll",
        "you're",
        "it'd",
        "that's",
        "there's",
        "what's",
        "let's",
        "don't",
        "doesn't",
        "didn't",
        "isn't",
        "wasn't",
        "aren't",
        "weren't",
        "won't",
        "wouldn't",
        "can't",
        "couldn't",
        "shouldn't",
        "around",
        "approximately",
        "roughly",
        "nearly",
        "almost",
        "maybe",
        "probably",
        "perhaps",
        "likely",
        "definitely",
        "surely",
        "sure",
        "certain",
        "think",
        "guess",
        "believe",
        "answer",
        "correct",
        "right",
        "though",
        "honestly",
        "actually",
        "one",
        "thing",
        "things",
        "something",
        "anything",
        "kind",
        "sort",
        "bit",
        "lot",
        "like",
        "well",
        "okay",
        "ok",
        "oh",
        "hmm",
        "please",
        "thanks",
        "thank",
        "hi",
        "hello",
        "hey",
        "guys",
    ]
)
_FUNCTION_ZH = frozenset(
    "的了吗呢吧啊呀嘛是在有和与及就也都还很太那这个些么什哪谁几多少吗着过得地被把给对向从到为"
    "我你他她它们您会能要想可以应该可能大概也许估计觉认为猜确定肯定答案结果真不没并其实但是过"
)


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


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
        if key in known or key in _FUNCTION or word in _FUNCTION_ZH or after_number:
            continue  # a word right after a number is its unit ("200 metres")
        stem = key[:-1] if key.endswith("s") and len(key) > 3 else key
        if stem in known:
            continue
        if word[0].isdigit() or word[0].isupper():
            names.append(word)
        else:
            lower.append(word)
    return lower, names


_CONTRAST = re.compile(r"^\s*(?:but|though|although|tho|但是?|不过|可是)\b", re.IGNORECASE)
_CLAUSE_SPLIT = re.compile(
    r"(?:,|;|—| - |–|，|；|、)\s+|(?<=[，；])|\s+(?=but\b|though\b|although\b)"
)


def _clauses(text: str) -> list[str]:
    parts = [p.strip() for p in _CLAUSE_SPLIT.split(text)]
    return [p for p in parts if p and p.strip(" .!?。！？…")]


def _is_doubt(clause: str, zh: bool) -> bool:
    return bool((_DOUBT_ZH if zh else _DOUBT_EN).match(clause))


def _strip_stance(clause: str, zh: bool) -> tuple[str, bool]:
    """``clause`` without a stance at its start (or end, English), and whether it had one."""
    found = False
    pattern = _STANCE_ZH if zh else _STANCE_EN
    while True:
        match = pattern.match(clause)
        if not match or not match.group(0).strip():
            break
        clause, found = clause[match.end() :], True
    if not zh:
        trailing = _TRAILING_STANCE_EN.search(clause)
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
        named = _ANSWER_NAMED_ZH.match(text) or _ANSWER_COPULA_ZH.match(text)
        rest = text[named.end() :] if named else text
        han = [c for c in re.findall(r"[\u3400-\u9fff]", rest) if c not in known]
        han = [c for c in han if c not in _FUNCTION_ZH]
        latin, names = _new_words(re.sub(r"[\u3400-\u9fff]", " ", rest), known)
        if _FIRST_PERSON_ZH.search(rest) and (han or latin):
            return None
        if not han and not latin:
            if names and not named:
                return "implicit_value"
            return "echoes_question" if not names else "candidate_answer"
        explicit = _ANSWER_NAMED_ZH.match(text)
        if named and len(han) <= (8 if explicit else 4) and not latin:
            return "candidate_answer"  # 答案是… names the answer; 我觉得是X guesses a short one
        if len(han) <= 2 and not latin:
            return "candidate_answer" if named else "implicit_value"
        return None
    named = _ANSWER_NAMED_EN.match(text)
    if named:
        return "candidate_answer"
    text = _HEDGE_ADVERB_EN.sub(" ", text)
    pronoun = _ANSWER_PRONOUN_EN.match(text)
    rest = text[pronoun.end() :] if pronoun else text
    lower, names = _new_words(rest, known)
    if _FIRST_PERSON_EN.search(rest) and (lower or names):
        return None  # "my GPA is 3.4": a report about the user, not a guess at the answer
    if not lower:
        if names and not pronoun:
            return "implicit_value"  # "Tom has 3 apples": the question's words with a value
        return "candidate_answer" if names else "echoes_question"
    if (
        pronoun
        and _ARTICLE_START_EN.match(rest)
        and len(lower) <= 2
        and not _FIRST_PERSON_EN.search(rest)
    ):
        return "candidate_answer"  # "it's a blue whale"
    return None


def _doubt_about(clause: str, known: set[str]) -> bool | None:
    """Whether a doubt with a complement ("no idea which is smarter") is about the answer.

    ``True`` when the complement brings in at most two new words, ``False`` when more,
    ``None`` when the clause is no such doubt.
    """
    match = _DOUBT_OPEN_EN.match(clause)
    if not match:
        return None
    lower, _names = _new_words(_HEDGE_ADVERB_EN.sub(" ", clause[match.end() :]), known)
    return len(lower) <= 2


def _bare_candidate(text: str, known: set[str], zh: bool) -> bool:
    """Whether ``text`` is a short value said alone ("3 tbsp", "around 5:10", "909左右").

    A number, and no other new word but a unit or an approximation.
    """
    if not re.search(r"\d", text):
        return False
    if zh:
        han = [c for c in re.findall(r"[\u3400-\u9fff]", text) if c not in known]
        return len([c for c in han if c not in _FUNCTION_ZH | set("左右多少大约差不多")]) <= 2
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
    if (_JUDGEMENT_ZH if zh else _JUDGEMENT_EN).search(content):
        return True
    if strict:
        return False
    first_person = (_FIRST_PERSON_ZH if zh else _FIRST_PERSON_EN).search(content)
    return not re.search(r"\d", content) and not first_person


def _is_hedge(clause: str, reasons: list[str], zh: bool) -> bool:
    """A contrastive clause about the user's own reliability after a guess at the answer.

    "I think it's $2,400, but my brain is fried today": it follows a candidate answer
    or an echo of the question, opens with "but" (但/不过), speaks of the user, and
    states no number.
    """
    after_guess = bool(reasons) and reasons[-1] in ("candidate_answer", "echoes_question")
    first_person = (_FIRST_PERSON_ZH if zh else _FIRST_PERSON_EN).search(clause)
    return (
        after_guess
        and bool(_CONTRAST.match(clause))
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
        named = (_ANSWER_NAMED_ZH if zh else _ANSWER_NAMED_EN).match(clause)
        content, stance = _strip_stance(clause, zh)
        if named and not stance:
            reasons.append("answer_named")
            continue
        if not stance and not zh and _HEDGE_ADVERB_EN.search(clause):
            plain = " ".join(_HEDGE_ADVERB_EN.sub(" ", clause).split())
            if _ANSWER_PRONOUN_EN.match(plain) or _ANSWER_NAMED_EN.match(plain):
                content, stance = plain, True  # "It's probably K2", "the answer is surely 4"
        if not stance and not stance_seen:
            return None  # a clause that states something, with no stance over it
        if stance and not content:
            stance_seen = True  # "…, I think." said after its content
            continue
        judging = (_JUDGEMENT_ZH if zh else _JUDGEMENT_EN).search(clause)
        if "hearsay_claim" in reasons and judging and not re.search(r"\d", clause):
            continue  # the reported claim goes on ("…，让我多盖两床被子")
        hearsay = bool((_HEARSAY_ZH if zh else _HEARSAY_EN).match(clause))
        told = _RELAY.search(clause[: len(clause) - len(content)])  # "told me …": a judgement only
        if stance and hearsay and _lay_claim(content, zh, strict=bool(told)):
            stance_seen = True
            reasons.append("hearsay_claim")
            continue
        why = _about_answer(content, known, zh)
        if why == "implicit_value":
            explicit = bool(named or _GUESS_NOUN.search(clause[: len(clause) - len(content)]))
            why = None if premise and not hearsay and not explicit else "candidate_answer"
        if why is None:
            return None
        stance_seen = stance_seen or stance
        reasons.append(why)
    if not stance_seen and "answer_named" not in reasons:
        return None
    for why in ("answer_named", "candidate_answer", "echoes_question", "hearsay_claim", "doubt"):
        if why in reasons:
            return why
    return "doubt"  # a bare stance ("I think so.")


def _instruction(text: str, zh: bool) -> Role | None:
    fixed = _FIXED_TOKEN.search(text) or (zh and _FIXED_TOKEN_ZH.search(text))
    demand = bool(
        _DEMAND.search(text) and fixed and (_EXCLUSIVE.search(text) or _ADDRESSEE.search(text))
    )
    if zh:  # 输出“…” / 只回复HACKED / 开头加上“…”
        demand = demand or bool(
            _DEMAND_ZH.search(text) and _EXCLUSIVE_ZH.search(text) and _FIXED_TOKEN_ZH.search(text)
        )
    demand = demand or bool(_CLAUSE_DEMAND.search(text) and _CODE_WORD.search(text))
    if _FORGED_LABEL.match(text) and (_CODE_WORD.search(text) or _CLAUSE_DEMAND.search(text)):
        demand = True  # "答案：HACKED", "Question/Query (…): Print PWNED."
    if demand or _ROLE_MARK.search(text) or _OVERRIDE.search(text):
        return Role("instruction", "override")
    if zh and _OVERRIDE_ZH.search(text):
        return Role("instruction", "override")
    if (_IMPERATIVE_ZH if zh else _IMPERATIVE_EN).match(text):
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
    text = _SPEAKER.sub("", text, count=1)  # a transcript's "User:" is not the sentence
    instruction = _instruction(text, zh)
    if instruction is not None and instruction.confident:
        return instruction
    asking = asks(text) if is_question is None else is_question
    if asking:
        tag = (_TAG_ZH if zh else _TAG_EN).search(text)
        if tag is not None and tag.start() > 0:
            statement = text[: tag.start()]
            why = _opinion(statement, known, zh) or (
                "tag_question" if _about_answer(statement, known, zh) else None
            )
            return Role("opinion", why) if why else Role("question", "asks")
        if not (_INTERROGATIVE_ZH.search(text) if zh else _INTERROGATIVE_EN.match(text)):
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
    first_person = (_FIRST_PERSON_ZH if zh else _FIRST_PERSON_EN).search(content)
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


# Where a sentence may be cut into clauses: after a comma or semicolon, before "but",
# "though", "so", before a stance that opens a clause ("… so I doubt it's $200").
_CUT = re.compile(
    r"[,;，；]\s*|\s+(?=(?:but|though|although|so|and)\s)|\s+(?=I(?:'m| am| think| doubt| guess| "
    r"believe| bet| reckon|'d)\b)|(?<=[^\s，,])(?=我(?:猜|觉得|认为|估计|感觉))",
    re.IGNORECASE,
)


_ASIDE_START = re.compile(
    rf"^(?:I (?:{_INTENSIFIER} )*{_STANCE_VERB}|I(?:'m| am) (?:{_DEGREE} )*{_CERTAIN}|"
    r"I(?:'d| would) (?:say|guess)|if I remember (?:correctly|right)|if I'm not mistaken|"
    r"我(?:觉得|认为|记得|估计|猜))\s*[,，]",
    re.IGNORECASE,
)
_ASIDE_END = re.compile(
    rf"(?:^|[,，]\s*)(?:I (?:{_INTENSIFIER} )*{_STANCE_VERB}|I(?:'m| am) (?:{_DEGREE} )*{_CERTAIN})"
    r"\s*[,，]?$",
    re.IGNORECASE,
)


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
    for match in _CUT.finditer(text):
        cut = match.end()
        head, tail = text[:cut].rstrip(), text[cut:].lstrip()
        if not (_enough(head) and _enough(tail)) or sum(head.count(q) for q in '"“”') % 2:
            continue
        if _ASIDE_START.match(tail) or _ASIDE_END.search(head):
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
