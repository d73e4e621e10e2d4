"""The fields every ``solve`` JSON document shares (one customer, the fill rate, several
customers): a number as JSON gives it, a contract's terms, the costs and the inventory rule."""

from __future__ import annotations

from fractions import Fraction

__all__ = ["json_number", "contract_terms", "cost_fields"]


def json_number(x):
    """A number as the JSON documents give it: a Fraction as a float, anything else as it is.

    Examples
    --------
    >>> json_number(Fraction(1, 4)), json_number(3)
    (0.25, 3)
    """
    return float(x) if isinstance(x, Fraction) else x


def contract_terms(contract) -> dict:
    """The terms of a contract: thresholds (exact, as fraction strings), scheme and amounts.

    Examples
    --------
    >>> from slamarkov import Contract
    >>> contract_terms(Contract(10, 0.8, 0.9, penalty=50, bonus=30))
    {'penalty_threshold': '4/5', 'bonus_threshold': '9/10', 'scheme': 'lump-sum', 'penalty': 50.0, 'bonus': 30.0}
    """
    return {"penalty_threshold": str(contract.penalty_threshold),
            "bonus_threshold": str(contract.bonus_threshold), "scheme": contract.scheme,
            "penalty": json_number(contract.penalty), "bonus": json_number(contract.bonus)}


def cost_fields(problem) -> dict:
    """The costs (h, c, s) and the inventory rule of a problem.

    Examples
    --------
    >>> from slamarkov import Contract, Poisson, Problem
    >>> cost_fields(Problem(Contract.study(10), Poisson(5), 0.5))
    {'holding_cost': 0.5, 'purchase_cost': 0.0, 'salvage_value': 0.0, 'inventory': {'leftover': 'discard', 'initial_stock': 0}}
    """
    return {"holding_cost": float(problem.holding_cost),
            "purchase_cost": float(problem.purchase_cost),
            "salvage_value": float(problem.salvage_value),
            "inventory": {"leftover": problem.leftover,
                          "initial_stock": json_number(problem.initial_stock)}}
