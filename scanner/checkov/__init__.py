"""checkov, run as a program from its own environment, and its verdicts mapped into our rules.

`runner` finds and runs checkov and parses its JSON; `mapping` turns its checks into results of
the rules that cite them; `merge` joins its verdicts on a plan into our engine's.  The Terraform
HCL source (`sources/hcl.py`) and the plan source's ``--with-checkov`` use them.
"""
