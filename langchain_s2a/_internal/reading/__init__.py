"""Reading a model's reply into a rewrite, before any rule judges it.

:mod:`.sections` reads the ``split``/``single`` replies; :mod:`.selection` the
extractive one (sentence numbers), settled against the sentence roles by
:mod:`.settle`; :mod:`.judgements` plans and reads one yes/no per sentence;
:mod:`.constrained` shapes replies by grammar or structured output.
"""
