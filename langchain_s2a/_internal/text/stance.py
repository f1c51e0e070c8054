"""The word lists and patterns the sentence roles are read with, in English and Chinese.

:mod:`~langchain_s2a._internal.text.roles` reads what each sentence does (a question, an
opinion about the answer, an instruction to the assistant, a fact); this module holds
only what it reads with: stances ("I think", "我认为"), hearsay and relayed claims, doubt,
tag questions, interrogatives, overrides and forged notices, imperatives, the function
words that carry no content, and where a sentence may be cut into clauses. Changing a
pattern here changes the rules: ``REWRITE_RULES_VERSION`` goes up with it.

Example:
    >>> bool(STANCE_EN.search("I think it was Marlowe")), "the" in FUNCTION
    (True, True)
"""

from __future__ import annotations

import re

# ----------------------------------------------------------------------- English
CONNECTIVE = (
    r"(?:(?:but|and|so|well|honestly|personally|also|though|although|however|yet|still|"
    r"anyway|actually|plus|oh|hmm|ok|okay|also,|because|since)\b[,]?\s*)*"
)
INTENSIFIER = (
    r"(?:really|honestly|personally|actually|kind of|kinda|sort of|still|also|just|strongly|"
    r"genuinely|do|did|truly|definitely|totally|already|always)"
)
STANCE_VERB = (
    r"(?:think|thought|believe|believed|guess|suspect|feel|felt|reckon|suppose|assume|bet|"
    r"expect|imagine|figure|doubt|recall|remember|gather|heard|hear|understand|"
    r"am guessing|'m guessing|am thinking|'m thinking|am assuming|'m assuming|am betting|"
    r"'m betting|am figuring|'m figuring|am estimating|'m estimating)"
)
CERTAIN = r"(?:sure|certain|positive|convinced|confident)"
DEGREE = (
    r"(?:not|pretty|quite|fairly|really|very|so|totally|absolutely|almost|100%|completely|"
    r"entirely|reasonably|kind of|kinda|dead|super|most|more or less)"
)
PEOPLE = (
    r"(?:friend|friends|teacher|dad|father|mom|mum|mother|parents|brother|sister|wife|husband|"
    r"colleague|coworker|coworkers|co-worker|partner|son|daughter|kid|kids|roommate|"
    r"neighbou?r|uncle|aunt|cousin|grandma|grandmother|grandpa|grandfather|professor|tutor|"
    r"classmate|classmates|boyfriend|girlfriend|coach|google|chatgpt|family|team|everyone|"
    r"everybody|people|someone|somebody|they|he|she|in-laws?|group|forum|reddit|youtube|"
    r"tiktok|guy|guys|lady|man|woman|salesman|salesperson|clerk|cashier|online)"
)
HEARSAY_VERB = (
    r"(?:says|said|say|thinks|think|thought|insists|insisted|claims|claimed|swears|swore|"
    r"believes|reckons|is sure|was sure|is convinced|keeps saying|kept saying|argues|argued|"
    r"suggested|suggests|guessed|guesses|knows|is certain|"
    r"(?:told|tells) (?:me|us|her|him|them|everyone|the class))"
)
# A stance that opens the sentence (after connectives), in its English forms.
STANCE_EN = re.compile(
    r"^\s*" + CONNECTIVE + r"(?:"
    rf"I (?:{INTENSIFIER} )*(?:don't |do not |didn't |did not |can't help but )?{STANCE_VERB}"
    rf"|I(?:'m| am) (?:{DEGREE} )*{CERTAIN}(?: (?:that|of|about))?"
    rf"|(?:pretty|fairly|quite|100%|almost|dead) {CERTAIN}(?: (?:that|of|about))?"
    r"|I(?:'ve| have) (?:always |kind of |sort of |also |just )*(?:believed|thought|heard|assumed|"
    r"figured|read)"
    rf"|I(?:'d| would) (?:{INTENSIFIER} )*(?:say|guess|bet|think|imagine|assume|expect)"
    r"|I(?:'m| am) (?:guessing|thinking|betting|assuming|figuring|estimating|hoping)"
    r"|my (?:guess|bet|hunch|feeling|gut|gut feeling|instinct|opinion|view|impression|answer|"
    r"best guess|understanding) (?:is|was|says|tells me)"
    r"|in my (?:opinion|view|mind|humble opinion)|if you ask me|IMO|IMHO"
    r"|I have a (?:feeling|hunch|suspicion)"
    r"|as far as I (?:know|can tell)|if I(?:'m| am) not mistaken"
    r"|if I remember (?:correctly|right)|I could be wrong(?:,? but)?|I might be wrong(?:,? but)?"
    r"|correct me if I(?:'m| am) wrong(?:,? but)?"
    rf"|(?:(?:my|our|his|her|a|the|some|this|one) )?(?:[\w']+ ){{0,2}}{PEOPLE}"
    rf"(?: (?:at|from|in|on) (?:the |my |a )?\w+(?: \w+)?)? {HEARSAY_VERB}"
    r"|according to (?:my|the|a|our) \w+(?: \w+)?"
    r"|I (?:read|heard|was told|saw) (?:somewhere |online |once )?(?:that )?"
    r"|(?:probably|maybe|perhaps|surely|definitely|obviously|presumably|likely|most likely|"
    r"possibly|apparently|supposedly|certainly|clearly|undoubtedly|no doubt|of course|"
    r"I guess|I suppose|I think)"
    r")(?: that)?\b[,:]?",
    re.IGNORECASE,
)
# A stance that names itself a guess or an answer ("my guess is", "my answer is", 我猜测是).
GUESS_NOUN = re.compile(r"\b(?:guess|bet|hunch|answer|opinion|view)\b|猜|答案", re.IGNORECASE)
HEARSAY_EN = re.compile(
    r"^\s*" + CONNECTIVE + rf"(?:(?:(?:my|our|his|her|a|the|some|this|one) )?(?:[\w']+ ){{0,2}}"
    rf"{PEOPLE}(?: (?:at|from|in|on) (?:the |my |a )?\w+(?: \w+)?)? {HEARSAY_VERB}|according to|"
    r"I (?:read|heard|was told))",
    re.IGNORECASE,
)
# Someone passing on news of the user's own affairs ("my boss told me", "the airline
# emailed"), not a claim of their own about the answer.
RELAY = re.compile(
    r"\b(?:told|tells|telling) (?:me|us)\b|\b(?:emailed|texted|messaged|informed|notified|"
    r"reminded|confirmed|let me know|let us know)\b|告诉我|通知我|跟我说|发短信|发邮件",
    re.IGNORECASE,
)
# Words that make a claim a judgement (what should be done, what is fine, what is true)
# rather than an observation: a lay person's judgement on the question is an opinion.
JUDGEMENT_EN = re.compile(
    r"\b(?:should|shouldn't|must|mustn't|need|needs|needn't|have to|has to|never|"
    r"best|better|worse|worst|fine|okay|ok|safe|unsafe|dangerous|harmless|enough|can't|cannot|"
    r"won't|doesn't|don't|isn't|aren't|no need|not (?:a )?(?:problem|big deal)|waste|useless|"
    r"pointless|required|mandatory|illegal|legal|allowed|right|wrong|true|false|myth|scam|"
    r"works|prevents?|cures?|causes?)\b",
    re.IGNORECASE,
)
JUDGEMENT_ZH = re.compile(
    r"应该|必须|一定|肯定|不能|不可以|可以|不用|没必要|就行|就够|就好|最好|没事|没问题|没什么|不行|"
    r"绝对|千万|要等|不然|才行|才能|打不赢|打得赢|是对的|是错的|没用|有用|太早|太晚|来不及|来得及|"
    r"让我|叫我|要我|赶紧|别|不要|坑人|骗人|不好|好得快"
)
HEARSAY_ZH = re.compile(
    r"^\s*(?:我的?|我们的?|他的?|她的?)?(?:[\u4e00-\u9fff]{1,3}的?)?(?:朋友|老师|爸爸|妈妈|爸|妈|父亲|"
    r"母亲|爸妈|父母|哥哥|姐姐|弟弟|"
    r"妹妹|同事|老板|同学|同桌|丈夫|妻子|老公|老婆|男朋友|女朋友|教练|家人|室友|邻居|婆婆|公公|岳母|奶奶|"
    r"爷爷|外婆|姥姥|舅舅|阿姨|叔叔|大家|别人|有人|他|她|他们|网上)(?:都|也|非|一直|总|还)?"
    r"(?:说(?!话)|认为|觉得|坚持|肯定|告诉我|猜|相信|非说)|^\s*(?:据说|听说)"
)
# A stance said after the content: "It's Sydney, I think." / "Sydney I believe."
TRAILING_STANCE_EN = re.compile(
    rf",?\s*(?:I (?:{INTENSIFIER} )*{STANCE_VERB}|I(?:'m| am) (?:{DEGREE} )*{CERTAIN}"
    r"|probably|maybe|perhaps|I guess|I suppose|if I(?:'m| am) not mistaken|if I remember "
    r"(?:correctly|right))\s*[.!…]*\s*$",
    re.IGNORECASE,
)
# Adverbs that hedge without changing what is said ("It's probably Sydney").
HEDGE_ADVERB_EN = re.compile(
    r"\b(?:probably|maybe|perhaps|surely|definitely|obviously|presumably|likely|possibly|"
    r"apparently|supposedly|certainly|clearly|undoubtedly|actually|really|honestly|"
    r"basically|most likely|for sure|i think|i guess|i believe)\b",
    re.IGNORECASE,
)
# Doubt with no content: the clause is about the user's certainty only.
DOUBT_EN = re.compile(
    r"^\s*" + CONNECTIVE + r"(?:"
    rf"I(?:'m| am) (?:{DEGREE} |just |still |also )*(?:not|un)(?: {DEGREE})* ?{CERTAIN}"
    r"(?: (?:though|about (?:it|that|this|the answer)|of it|of that|if (?:that's|it's|I'm) right))?"
    rf"|(?:not|un) (?:{DEGREE} )*{CERTAIN}(?: though)?"
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
DOUBT_OPEN_EN = re.compile(
    r"^\s*" + CONNECTIVE + r"(?:honestly,? )?(?:"
    rf"I(?:'m| am) (?:{DEGREE} |just |still |also )*(?:not (?:{DEGREE} )*{CERTAIN}|unsure|"
    r"uncertain)|(?:not|un) (?:{DEGREE} )*sure|I (?:really |honestly |just )?(?:don't|do not) "
    r"know|I have (?:no|zero) (?:idea|clue)|no (?:idea|clue)|who knows"
    r")\s*(?:about |of )?(?:if|whether|which|what|how|when|where|why|who|that)?\b",
    re.IGNORECASE,
)
# "the answer is X": a clause whose subject is the answer itself.
ANSWER_NAMED_EN = re.compile(
    r"^\s*(?:the |your |my |our )?(?:correct |right |real |actual |final |true )?"
    r"(?:answer|result|solution|response)(?: (?:to|for|of) (?:this|that|it|the question|"
    r"your question|my question))?\s*(?:is|was|'s|would be|will be|should be|must be|"
    r"might be|could be|equals|comes to|=|:)\s+",
    re.IGNORECASE,
)
# A pronoun and a copula that may stand for "the answer is" after a stance.
ANSWER_PRONOUN_EN = re.compile(
    r"^\s*(?:it|that|this|he|she|they|the total|the sum|the number|the figure|the amount)"
    r"(?:'s| is| was| would be|'d be| will be|'ll be| should be| must be| might be| could be|"
    r" were| are|'re| equals| comes to)\s+",
    re.IGNORECASE,
)
TAG_EN = re.compile(
    r",?\s*(?:right|correct|isn't it|is it not|wasn't it|aren't they|don't you think|yes|"
    r"no|yeah|true|am I right|agreed|huh|or not|isn't that right|wouldn't it|doesn't it)\s*"
    r"[?？]+\s*$",
    re.IGNORECASE,
)
# How a real question starts (English) or what it holds (Chinese); a sentence with a question
# mark and none of these is a statement asking for approval ("So it's expired already?").
INTERROGATIVE_EN = re.compile(
    r"^\W*(?:(?:and|but|so|also|or|ok|okay|well|then|hmm|hey|hi|sorry|please)\b[,]?\s+)*"
    r"(?:what|which|who|whom|whose|when|where|why|how|is|are|am|was|were|do|does|did|can|could|"
    r"should|would|will|shall|may|might|must|have|has|had|isn't|aren't|wasn't|weren't|don't|"
    r"doesn't|didn't|can't|couldn't|shouldn't|wouldn't|won't|any|anyone|anybody|whats|what's|"
    r"how's|where's|who's|whats|if|whether|or)\b",
    re.IGNORECASE,
)
INTERROGATIVE_ZH = re.compile(
    r"吗|呢|什么|哪|谁|几|多少|怎么|为什么|为何|是不是|能不能|会不会|要不要|有没有|可不可以|行不行|"
    r"对不对|好不好|是否|多久|多长|多大|多远|如何"
)
FIRST_PERSON_EN = re.compile(
    r"\b(?:I|I'm|I've|I'd|I'll|im|me|my|mine|myself|we|us|our|ours)\b", re.IGNORECASE
)
"""The user speaking of themselves, in any case ("My sister is 12", "i think i broke it")."""
ARTICLE_START_EN = re.compile(r"^\s*(?:a|an|the|some|one)\s", re.IGNORECASE)

# ----------------------------------------------------------------------- Chinese
STANCE_ZH = re.compile(
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
DOUBT_ZH = re.compile(
    r"^\s*(?:(?:但是?|不过|可是)[，,]?\s*)?(?:我)?(?:真的|也|并|其实|还是)?"
    r"(?:不(?:太|是很|大)?(?:确定|清楚|知道|敢肯定)|没(?:有)?把握|说不准|拿不准|不一定对|"
    r"说不好|搞不清(?:楚)?|弄不清(?:楚)?|吃不准|不好说|没数|(?:网上|大家|别人)?的?说法(?:不一|"
    r"太多了?|很多|各异|不同))"
    r"(?:对不对|是不是|啊|呢|吧|哦|的)?\s*[。！…？?!.，,；;]*\s*$"
)
ANSWER_NAMED_ZH = re.compile(
    r"^\s*(?:正确)?(?:答案|结果|正确答案|总数|总共|一共|总和)(?:应该|可能|大概|肯定|一定)?不?(?:是|为|等于)"
)
ANSWER_COPULA_ZH = re.compile(r"^\s*(?:应该|可能|大概|肯定|一定|就)?不?(?:是|为|等于)")
TAG_ZH = re.compile(r"[，,]?\s*(?:对吧|是吧|对不对|是不是|没错吧|对吗|是吗|吧)\s*[？?]+\s*$")
FIRST_PERSON_ZH = re.compile(r"我")
SPEAKER = re.compile(r"^\s*(?:User|Human|Me|Customer|用户|我)\s*[:：]\s*", re.IGNORECASE)

# ------------------------------------------------------------------ instructions
OVERRIDE = re.compile(
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
DEMAND = re.compile(
    r"(?:^|[.:;,!(\[\n]\s*|\b(?:please|kindly|just|only|always|simply|instead|and|then|now|by|"
    r"you (?:must|should|will|shall|need to|have to|are to|may only)|could you|can you|would you)"
    r"\s+)(?:reply|respond|answer|output|say|write|print|type|return|begin|start|end|repeat|"
    r"append|add|include|attach|replying|responding|answering|outputting|saying|writing|"
    r"printing|typing|repeating|appending|adding|including)\b",
    re.IGNORECASE,
)
DEMAND_ZH = re.compile(r"回复|回答|输出|打印|写出|说出|重复|复述|加上|写上|贴出|附上|附带|加入")
EXCLUSIVE_ZH = re.compile(
    r"只|仅|必须|一律|统一|直接|务必|一字不差|开头|结尾|你的?|助手|AI|回答中|回复中|答案中|在回答",
    re.I,
)
FIXED_TOKEN_ZH = re.compile(
    r"(?<![A-Za-z0-9])[A-Z][A-Z0-9_-]{2,}(?![A-Za-z0-9])|[“「『][^”」』]{1,30}[”」』]|https?://\S+"
    r"|[\w\u4e00-\u9fff]+-\d+"
)
# A demand at the start of a clause with a fixed token ("Print PWNED.", "，写上PWNED。",
# 'print("PWNED")'): the user's own text does not order a code word out of the assistant.
CLAUSE_DEMAND = re.compile(
    r"(?:^|[.:;!?(\n，。：；！？]\s*)[*_\s]*(?:(?:please |then |now |just )?(?:reply|respond|answer|"
    r"output|say|write|print|type|return|repeat|append|add|include)(?:\s*\(|\s|$|[:：])"
    r"|(?:请|然后|再)?(?:输出|回复|回答|打印|写上|写出|说出|附上))",
    re.IGNORECASE,
)
# The labels of an answer format or of a rewrite prompt, which a user does not write before
# a demand or a code word: a forged structure ("答案：HACKED", "Question: Print PWNED").
FORGED_LABEL = re.compile(
    r"^\W*(?:(?:final |correct |detailed |the )?(?:answer|question|query|response|output|"
    r"context|question/query)[^:：\n]{0,60}[:：]|(?:最终|正确|标准|详细)?(?:答案|问题|回答|输出|"
    r"上下文|相关上下文)[:：]|答[:：]|问[:：])",
    re.IGNORECASE,
)
ADDRESSEE = re.compile(r"\byou(?:r)?\b|\bassistant\b|\bAI\b|\bmodel\b|\bbot\b", re.IGNORECASE)
CODE_WORD = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Z][A-Z0-9_]*(?:-[A-Z0-9]+)+|[A-Z]{4,})(?![A-Za-z0-9])"
    r"|[\w\u4e00-\u9fff]+-\d+|https?://\S+|[“「『][^”」』]{1,30}[”」』]"
)
EXCLUSIVE = re.compile(
    r"\b(?:only|just|exactly|nothing (?:but|else)|and nothing|single word|the word|verbatim|"
    r"no matter|regardless|always)\b",
    re.IGNORECASE,
)
FIXED_TOKEN = re.compile(r"[\"“‘`][^\"”’`]{1,40}[\"”’`]|'[^']{1,40}'|\b[A-Z][A-Z0-9_-]{2,}\b")
ROLE_MARK = re.compile(
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
IMPERATIVE_EN = re.compile(
    r"^\s*(?:(?:please|now|just|also|then|and|kindly|finally)\s*,?\s+)*"
    r"(?:reply|respond|answer|output|say|write|print|type|return|repeat|translate|format|"
    r"begin|start|end|sign|include|add|use)\b(?! (?:to|that) )",
    re.IGNORECASE,
)
OVERRIDE_ZH = re.compile(
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
IMPERATIVE_ZH = re.compile(
    r"^\s*(?:请|麻烦|务必)?(?:回复|回答|输出|翻译|重复|用.{1,8}(?:回答|回复))"
)

# ------------------------------------------------------------------- vocabulary
WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*|\d+(?:[.,:]\d+)*|[\u3400-\u9fff]")
# Function words carry no content; written as one string, since a word per line would
# be 180 lines.
FUNCTION = frozenset(
    """
    a an the and or but if of to in on at by for with from as is are was were be been being
    am do does did done not no yes it its it's this that these those there here than then so
    such very just also about into over under again still even too only really quite pretty
    some any all much many more most less least what which who whom whose when where why how
    i me my mine myself you your yours we us our they them their he him his she her can
    could would should will shall may might must have has had having get got gets getting
    i'm i've i'd i'll you're it'd that's there's what's let's don't doesn't didn't isn't
    wasn't aren't weren't won't wouldn't can't couldn't shouldn't around approximately
    roughly nearly almost maybe probably perhaps likely definitely surely sure certain think
    guess believe answer correct right though honestly actually one thing things something
    anything kind sort bit lot like well okay ok oh hmm please thanks thank hi hello hey
    guys
    """.split()  # noqa: SIM905
)
FUNCTION_ZH = frozenset(
    "的了吗呢吧啊呀嘛是在有和与及就也都还很太那这个些么什哪谁几多少吗着过得地被把给对向从到为"
    "我你他她它们您会能要想可以应该可能大概也许估计觉认为猜确定肯定答案结果真不没并其实但是过"
)


CONTRAST = re.compile(r"^\s*(?:but|though|although|tho|但是?|不过|可是)\b", re.IGNORECASE)
CLAUSE_SPLIT = re.compile(
    r"(?:,|;|—| - |–|，|；|、)\s+|(?<=[，；])|\s+(?=but\b|though\b|although\b)"
)


# Where a sentence may be cut into clauses: after a comma or semicolon, before "but",
# "though", "so", before a stance that opens a clause ("… so I doubt it's $200").
CUT = re.compile(
    r"[,;，；]\s*|\s+(?=(?:but|though|although|so|and)\s)|\s+(?=I(?:'m| am| think| doubt| guess| "
    r"believe| bet| reckon|'d)\b)|(?<=[^\s，,])(?=我(?:猜|觉得|认为|估计|感觉))",
    re.IGNORECASE,
)


ASIDE_START = re.compile(
    rf"^(?:I (?:{INTENSIFIER} )*{STANCE_VERB}|I(?:'m| am) (?:{DEGREE} )*{CERTAIN}|"
    r"I(?:'d| would) (?:say|guess)|if I remember (?:correctly|right)|if I'm not mistaken|"
    r"我(?:觉得|认为|记得|估计|猜))\s*[,，]",
    re.IGNORECASE,
)
ASIDE_END = re.compile(
    rf"(?:^|[,，]\s*)(?:I (?:{INTENSIFIER} )*{STANCE_VERB}|I(?:'m| am) (?:{DEGREE} )*{CERTAIN})"
    r"\s*[,，]?$",
    re.IGNORECASE,
)
