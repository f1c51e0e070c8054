"""The rules that accept or reject a rewrite.

:mod:`.ladder` holds the one rejection ladder and ``REWRITE_RULES_VERSION``;
:mod:`.question` the ``question_lost`` rule.
"""
