"""The steps of one S2A run, shared by the public shells.

:mod:`.rewrite` is one rewrite attempt (split, plan, call, read, check, record);
:mod:`.attempts` what the shells do around attempts (retries, the record of a run
without a rewrite, token usage); :mod:`.answer` the answer step's prompt;
:mod:`.graph_state` and :mod:`.graph_nodes` the S2A graph's state and nodes.
"""
