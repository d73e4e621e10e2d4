"""Symbolic verification of slamarkov: closed forms derived with sympy, checked against the solvers.

Each ``proof_*.py`` module states at its top what it proves and which solver it checks, then
derives the result top to bottom, then checks the package against it. ``proof_mutations`` breaks
the solvers on purpose and shows that the proofs notice. Run them with ``python -m pytest proofs``.
"""
