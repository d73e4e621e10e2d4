"""Contract files (TOML): read, validate, override from the command line.

The format (every key is checked; unknown keys are refused)::

    [contract]
    review_period = 10
    penalty_threshold = 0.8
    bonus_threshold = 0.9
    scheme = "lump-sum"      # or "linear"
    penalty = 50             # per review period; 0 = none
    bonus = 30
    measure = "ready-rate"   # optional: or "fill-rate" (units filled / units demanded)
    # or penalty_per_period / bonus_per_period: the amount per period, times T (not both forms)
    [costs]
    holding = 0.5
    purchase = 0             # optional: c, per unit ordered
    salvage = 0              # optional: s, per unit on hand after period T (carry only)
    [inventory]              # optional
    leftover = "discard"     # or "carry": stock left at the end of a period carries over
    initial_stock = 0        # x1, stock on hand at the start of period 1
    [demand]
    kind = "poisson"         # poisson | normal | discrete-uniform | uniform | empirical
    mean = 5                 # normal: mean, sd; uniforms: low, high; empirical: pmf = [..]
    [solver]
    max_stock = 40           # optional
    exact = false            # optional: exact rational arithmetic (rational demand only)

**Several customers** (docs/model.md section 15): one ``[[customer]]`` table per customer in
place of the contract's thresholds and amounts and of ``[demand]``::

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

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..core.numbers import to_fraction, to_int
from ..errors import ConfigError, ContractError, SlamarkovError
from ..io.files import read_text
from .contract import Contract
from .customers import (
    ALLOCATION_RULES,
    PRIORITY,
    Customer,
    CustomersProblem,
    check_customer_name,
)
from .demand import DEMAND_KINDS, make_demand
from .problem import Problem

__all__ = ["Config", "load_config", "config_from_dict", "parse_demand_spec", "SCHEMA", "LIST_KEYS",
           "customers_config_from_dict", "CUSTOMER_KEYS", "is_customers_file"]

#: section -> (required keys, optional keys)
SCHEMA = {
    "contract": (
        ("review_period", "penalty_threshold", "bonus_threshold"),
        ("scheme", "penalty", "bonus", "penalty_per_period", "bonus_per_period", "measure"),
    ),
    "costs": (("holding",), ("purchase", "salvage")),
    "inventory": ((), ("leftover", "initial_stock")),
    "demand": (("kind",), ("mean", "sd", "low", "high", "pmf")),
    "solver": ((), ("max_stock", "exact")),
}

#: keys whose value is itself a list (a grid sweeps them with a list of lists)
LIST_KEYS = frozenset({"demand.pmf"})


@dataclass(frozen=True)
class Config:
    """A parsed contract file: the problem and the solver settings.

    Examples
    --------
    >>> cfg = config_from_dict({
    ...     "contract": {"review_period": 10, "penalty_threshold": 0.8, "bonus_threshold": 0.9,
    ...                  "penalty": 50, "bonus": 30},
    ...     "costs": {"holding": 0.5}, "demand": {"kind": "poisson", "mean": 5}})
    >>> cfg.problem.contract.penalty_count, cfg.max_stock, cfg.exact
    (8, None, False)
    """

    problem: Problem
    max_stock: int | None = None
    exact: bool = False
    source: str = "<dict>"

    def solver_options(self) -> dict:
        """Keyword arguments for :func:`solve_dynamic` and :func:`solve_static`."""
        return {"max_stock": self.max_stock, "exact": self.exact}


def _did_you_mean(name, choices) -> str:
    """``"; did you mean 'holding'?"`` for a near miss, as a bad choice of value gets."""
    import difflib

    close = difflib.get_close_matches(str(name), list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _reject_nonfinite(value, field):
    if isinstance(value, float) and not math.isfinite(value):
        raise ConfigError(f"{field}: must be finite, got {value}")
    if isinstance(value, list):
        for k, x in enumerate(value):
            _reject_nonfinite(x, f"{field}[{k}]")


def _amount(c: dict, name: str):
    """``contract.<name>`` per review period, or ``<name>_per_period`` times T (the study's way)."""
    per = f"{name}_per_period"
    if per not in c:
        return c.get(name, 0)
    if name in c:
        raise ConfigError(f"contract.{per}: give {name} (per review period) or {per}, not both")
    amount = to_fraction(c[per], f"contract.{per}", ConfigError)
    if amount < 0:
        raise ConfigError(f"contract.{per}: must be >= 0, got {float(amount):g}")
    return amount * to_int(c["review_period"], "contract.review_period", ContractError)


def config_from_dict(data: dict, source: str = "<dict>", *, demand_cache: dict | None = None
                     ) -> Config:
    """Validate a contract-file mapping and build the :class:`Config`.

    ``demand_cache``, a dict kept by the caller, shares one demand object among mappings with the
    same ``[demand]`` table (a sweep builds many contracts on one demand; demands are immutable).

    Raises
    ------
    ConfigError, ContractError, DemandError, CostError
        One line naming the field (``section.key``) and the rule.
    """
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: must be a TOML table")
    if is_customers_file(data):  # several customers (docs/model.md section 15)
        return customers_config_from_dict(data, source, demand_cache=demand_cache)
    for section in data:
        if section not in SCHEMA:
            raise ConfigError(
                f"{section}: unknown section (expected {', '.join(SCHEMA)})"
                + _did_you_mean(section, SCHEMA)
            )
    for section, (required, optional) in SCHEMA.items():
        table = data.get(section, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{section}: must be a table")
        if section in ("contract", "costs", "demand") and section not in data:
            raise ConfigError(f"{section}: missing section")
        for key, value in table.items():
            if key not in required and key not in optional:
                raise ConfigError(f"{section}.{key}: unknown key"
                                  + _did_you_mean(key, required + optional))
            _reject_nonfinite(value, f"{section}.{key}")
        for key in required:
            if key not in table:
                raise ConfigError(f"{section}.{key}: required")
    c = data["contract"]
    contract = Contract(
        review_period=c["review_period"],
        penalty_threshold=c["penalty_threshold"],
        bonus_threshold=c["bonus_threshold"],
        scheme=c.get("scheme", "lump-sum"),
        penalty=_amount(c, "penalty"),
        bonus=_amount(c, "bonus"),
        measure=c.get("measure", "ready-rate"),
    )
    d = dict(data["demand"])
    kind = d.pop("kind")
    if not isinstance(kind, str):
        raise ConfigError("demand.kind: must be a string")
    if demand_cache is None:
        demand = make_demand(kind, **d)
    else:
        key = repr(sorted(data["demand"].items()))
        demand = demand_cache.get(key)
        if demand is None:
            demand = demand_cache[key] = make_demand(kind, **d)
    costs = data["costs"]
    inv = data.get("inventory", {})
    leftover = inv.get("leftover", "discard")
    if not isinstance(leftover, str):
        raise ConfigError(f"inventory.leftover: must be a string, got {leftover!r}")
    problem = Problem(
        contract,
        demand,
        costs["holding"],
        purchase_cost=costs.get("purchase", 0),
        salvage_value=costs.get("salvage", 0),
        leftover=leftover,
        initial_stock=inv.get("initial_stock", 0),
    )
    s = data.get("solver", {})
    max_stock = s.get("max_stock")
    if max_stock is not None:
        max_stock = to_int(max_stock, "solver.max_stock", ConfigError)
        if max_stock < 0:
            raise ConfigError(f"solver.max_stock: must be >= 0, got {max_stock}")
    exact = s.get("exact", False)
    if not isinstance(exact, bool):
        raise ConfigError(f"solver.exact: must be true or false, got {exact!r}")
    return Config(problem, max_stock, exact, source)


def parse_demand_spec(spec: str) -> dict:
    """Parse a command-line demand such as ``poisson:5``, ``normal:15,5``, ``uniform:0,10``,
    ``discrete-uniform:0,9`` or ``empirical:0.2,0.5,0.3`` into a ``[demand]`` table.

    Examples
    --------
    >>> parse_demand_spec("normal:15,5")
    {'kind': 'normal', 'mean': '15', 'sd': '5'}
    """
    kind, sep, rest = spec.partition(":")
    kind = kind.strip()
    if kind not in DEMAND_KINDS:
        syntax = ""
        if not sep and any(ch in spec for ch in "=, "):
            syntax = "; the syntax is KIND:PARAMS, e.g. poisson:5 or normal:15,5"
        raise ConfigError(f"demand.kind: must be one of {', '.join(DEMAND_KINDS)}, got {kind!r}"
                          + (syntax or _did_you_mean(kind, DEMAND_KINDS)))
    args = [a.strip() for a in rest.split(",")] if sep and rest.strip() else []
    names = DEMAND_KINDS[kind][1]
    if kind == "empirical":
        if not args:
            raise ConfigError("demand.pmf: give probabilities, e.g. empirical:0.2,0.5,0.3")
        return {"kind": kind, "pmf": args}
    if len(args) != len(names):
        raise ConfigError(
            f"demand: {kind} takes {len(names)} parameter(s) ({', '.join(names)}), e.g. "
            f"{kind}:{','.join('5' for _ in names)}"
        )
    return {"kind": kind, **dict(zip(names, args))}


def read_toml(path, what: str) -> dict:
    """Read a TOML file into a mapping, every failure one :class:`ConfigError` line naming the
    file (``what`` says what the file should be, e.g. "a contract file")."""
    p = Path(path)
    text = read_text(p, what, ConfigError, newline="")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: malformed TOML ({exc})") from None
    except RecursionError:
        # tomllib parses nested arrays and inline tables recursively
        raise ConfigError(f"{p}: malformed TOML (values nested too deeply)") from None


def load_config(path, overrides: dict | None = None) -> Config:
    """Read a contract file and apply ``overrides`` (``{"section.key": value}``).

    Parameters
    ----------
    path : str or Path
    overrides : dict, optional
        Dotted keys replace the file's values; ``"demand"`` replaces the whole demand table.

    Raises
    ------
    ConfigError
        On a missing, unreadable or malformed file, or an invalid field.

    Examples
    --------
    >>> import importlib.resources
    >>> path = importlib.resources.files("slamarkov") / "data" / "example.toml"
    >>> load_config(path, {"contract.review_period": 20}).problem.review_period
    20
    """
    p = Path(path)
    data = read_toml(p, "a contract file")
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if key == "demand":
            data["demand"] = dict(value)
            continue
        section, _, name = key.partition(".")
        data.setdefault(section, {})
        if not isinstance(data[section], dict):
            raise ConfigError(f"{section}: must be a table")
        data[section][name] = value
        if key in ("contract.penalty", "contract.bonus"):
            # an amount given on the command line replaces the file's, in either form
            data[section].pop(f"{name}_per_period", None)
    return config_from_dict(data, str(p))


# -- several customers (docs/model.md section 15) ----------------------------------------------

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
