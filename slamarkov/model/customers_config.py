"""Contract files with several customers (docs/model.md section 15).

The format: today's file with one ``[[customer]]`` table per customer in place of the contract's
thresholds and amounts and of ``[demand]``::

    [contract]
    review_period = 10
    [[customer]]
    name = "north"
    penalty_threshold = 0.8
    bonus_threshold = 0.9
    scheme = "lump-sum"
    penalty = 50             # or penalty_per_period, as in [contract]
    bonus = 30
    [customer.demand]
    kind = "poisson"
    mean = 5
    [[customer]]
    ...
    [costs]                  # [inventory] and [solver] as today
    holding = 0.5
    [allocation]
    rule = "priority"        # or "smallest-first": the static policy's rule

Each customer's contract and demand are checked by the single-customer loader; its messages name
the customer's field (``customer.penalty_threshold``, ``customer.demand.mean``) and the customer.
"""

from __future__ import annotations

from ..errors import ConfigError, SlamarkovError
from .customers import ALLOCATION_RULES, PRIORITY, Customer, CustomersProblem, check_customer_name

__all__ = ["customers_config_from_dict", "CUSTOMER_KEYS", "is_customers_file"]

#: a [[customer]] table's keys: (required, optional)
CUSTOMER_KEYS = (("name", "penalty_threshold", "bonus_threshold", "demand"),
                 ("scheme", "penalty", "bonus", "penalty_per_period", "bonus_per_period"))
_SECTIONS = ("contract", "customer", "costs", "inventory", "solver", "allocation")


def is_customers_file(data: dict) -> bool:
    """True when a contract-file mapping describes several customers (``[[customer]]`` or
    ``[allocation]`` tables).

    Examples
    --------
    >>> is_customers_file({"contract": {}, "demand": {}}), is_customers_file({"customer": []})
    (False, True)
    """
    return isinstance(data, dict) and ("customer" in data or "allocation" in data)


def _renamed(exc: SlamarkovError, name: str) -> SlamarkovError:
    """The single-customer loader's message with the customer's field names."""
    text = str(exc)
    for old, new in (("contract.", "customer."), ("demand.", "customer.demand."),
                     ("demand:", "customer.demand:")):
        if text.startswith(old):
            text = new + text[len(old):]
            break
    return type(exc)(f"{text} (customer {name!r})")


def customers_config_from_dict(data: dict, source: str = "<dict>", *, demand_cache=None):
    """Validate a multi-customer contract-file mapping and build its
    :class:`~slamarkov.model.config.Config` (the problem a :class:`CustomersProblem`).

    Raises
    ------
    ConfigError, ContractError, DemandError, CostError
        One line naming the field and the rule.

    Examples
    --------
    >>> cfg = customers_config_from_dict({
    ...     "contract": {"review_period": 10}, "costs": {"holding": 0.5},
    ...     "customer": [{"name": n, "penalty_threshold": 0.8, "bonus_threshold": 0.9,
    ...                   "penalty": 50, "bonus": 30, "demand": {"kind": "poisson", "mean": 5}}
    ...                  for n in ("north", "south")]})
    >>> cfg.problem.names, cfg.problem.allocation
    (('north', 'south'), 'priority')
    """
    from .config import Config, config_from_dict  # the single-customer loader checks each one

    for section in data:
        if section == "demand":
            raise ConfigError("demand: a [demand] table beside [[customer]] tables is ambiguous; "
                              "give each customer its own [customer.demand] table")
        if section not in _SECTIONS:
            raise ConfigError(f"{section}: unknown section (expected {', '.join(_SECTIONS)})")
    if "customer" not in data:
        raise ConfigError("allocation: needs [[customer]] tables (one per customer)")
    customers = data["customer"]
    if not isinstance(customers, list) or not all(isinstance(c, dict) for c in customers):
        raise ConfigError("customer: must be [[customer]] tables (an array of tables)")
    if not customers:
        raise ConfigError("customer: at least one [[customer]] table is required")
    contract = data.get("contract")
    if not isinstance(contract, dict):
        raise ConfigError("contract: missing section" if contract is None
                          else "contract: must be a table")
    for key in contract:
        if key != "review_period":
            raise ConfigError(f"contract.{key}: with [[customer]] tables [contract] holds only "
                              "review_period; give each customer its own")
    if "review_period" not in contract:
        raise ConfigError("contract.review_period: required")
    alloc = data.get("allocation", {})
    if not isinstance(alloc, dict):
        raise ConfigError("allocation: must be a table")
    for key in alloc:
        if key != "rule":
            raise ConfigError(f"allocation.{key}: unknown key")
    rule = alloc.get("rule", PRIORITY)
    if rule not in ALLOCATION_RULES:
        raise ConfigError(f"allocation.rule: must be one of "
                          f"{', '.join(map(repr, ALLOCATION_RULES))}, got {rule!r}")
    required, optional = CUSTOMER_KEYS
    built, names, cfg = [], [], None
    for n, table in enumerate(customers, start=1):
        label = table.get("name", f"#{n}")
        for key in table:
            if key not in required and key not in optional:
                raise ConfigError(f"customer.{key}: unknown key (customer {label!r})")
        for key in required:
            if key not in table:
                raise ConfigError(f"customer.{key}: required (customer {label!r})")
        name = check_customer_name(table["name"])
        if name in names:
            raise ConfigError(f"customer.name: must be unique, {name!r} is given twice")
        names.append(name)
        if not isinstance(table["demand"], dict):
            raise ConfigError(f"customer.demand: must be a table (customer {name!r})")
        one = {key: value for key, value in data.items()
               if key in ("costs", "inventory", "solver")}
        one["contract"] = {"review_period": contract["review_period"],
                           **{k: v for k, v in table.items() if k not in ("name", "demand")}}
        one["demand"] = table["demand"]
        try:
            cfg = config_from_dict(one, source, demand_cache=demand_cache)
        except SlamarkovError as exc:
            raise _renamed(exc, name) from None
        built.append(Customer(name, cfg.problem.contract, cfg.problem.demand))
    p = cfg.problem
    problem = CustomersProblem(built, p.holding_cost, purchase_cost=p.purchase_cost,
                               salvage_value=p.salvage_value, leftover=p.leftover,
                               initial_stock=p.initial_stock, allocation=rule)
    return Config(problem, cfg.max_stock, cfg.exact, source)
