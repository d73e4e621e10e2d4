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
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..core.numbers import to_fraction, to_int
from ..errors import ConfigError, ContractError
from ..io.files import read_text
from .contract import Contract
from .customers_config import customers_config_from_dict, is_customers_file
from .demand import DEMAND_KINDS, make_demand
from .problem import Problem

__all__ = ["Config", "load_config", "config_from_dict", "parse_demand_spec", "SCHEMA", "LIST_KEYS"]

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
