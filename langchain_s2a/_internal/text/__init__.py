"""Reading plain text: its language, sentences, numbers and what each sentence does.

No model, no prompt, no rule: :mod:`.language` (English or Chinese by script),
:mod:`.neutral` (delimiters and control tokens broken up), :mod:`.numbers` (the one
number reader), :mod:`.sentences` (splitting with spans, and the one "does it ask?"),
:mod:`.stance` (the English and Chinese word lists and patterns) and :mod:`.roles`
(what each sentence does, read with them).
"""
