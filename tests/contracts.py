"""Contract files the tests write: the study's lump-sum contract (penalty 50 below 80 %, bonus 30
from 90 %, holding 0.5, Poisson demand of mean 5) with the parts a test changes, and the one way
to write one into a test's folder."""

from __future__ import annotations

from pathlib import Path

#: the study's demand: Poisson of mean 5
POISSON_5 = 'kind = "poisson"\nmean = 5\n'


def study_contract(review_period=10, *, costs: str = "holding = 0.5\n", demand: str = POISSON_5,
                   tail: str = "") -> str:
    """The text of the study's contract file, with ``review_period`` (a number, or a TOML list
    for a grid), the ``[costs]`` and ``[demand]`` bodies, and ``tail`` (further tables) after.

    >>> print(study_contract(4, tail="[solver]\\nmax_stock = 9\\n"), end="")  # doctest: +ELLIPSIS
    [contract]
    review_period = 4
    ...
    [demand]
    kind = "poisson"
    mean = 5
    [solver]
    max_stock = 9
    """
    return ("[contract]\n"
            f"review_period = {review_period}\n"
            "penalty_threshold = 0.8\n"
            "bonus_threshold = 0.9\n"
            'scheme = "lump-sum"\n'
            "penalty = 50\n"
            "bonus = 30\n"
            "[costs]\n" + costs + "[demand]\n" + demand + tail)


def write_contract(folder, name: str, text: str) -> Path:
    """Write ``text`` to ``folder / name`` and return the path."""
    path = Path(folder) / name
    path.write_text(text)
    return path
