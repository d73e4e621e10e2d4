"""Tests of slamarkov.model.config: contract files (TOML), validation naming the field, overrides."""

from __future__ import annotations

import importlib.resources
from fractions import Fraction
from pathlib import Path

import pytest

from slamarkov import (
    ConfigError,
    ContinuousUniform,
    ContractError,
    CostError,
    DemandError,
    DiscreteUniform,
    DiscretisedNormal,
    Empirical,
    Poisson,
    SlamarkovError,
)
from slamarkov.model.config import (
    SCHEMA,
    Config,
    config_from_dict,
    load_config,
    parse_demand_spec,
)

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "contract.toml"

BASE = """\
[contract]
review_period = 10
penalty_threshold = 0.8
bonus_threshold = 0.9
scheme = "lump-sum"
penalty = 50
bonus = 30

[costs]
holding = 0.5

[demand]
kind = "poisson"
mean = 5

[solver]
max_stock = 40
"""


def base_dict():
    return {
        "contract": {"review_period": 10, "penalty_threshold": 0.8, "bonus_threshold": 0.9,
                     "scheme": "lump-sum", "penalty": 50, "bonus": 30},
        "costs": {"holding": 0.5},
        "demand": {"kind": "poisson", "mean": 5},
        "solver": {"max_stock": 40},
    }


def same_problem(a, b):
    # demands have no __eq__: compare their contract-file tables
    return (a.contract == b.contract and a.holding_cost == b.holding_cost
            and a.demand.to_dict() == b.demand.to_dict())


def edited(path_dir, old, new):
    """Write BASE with one line replaced (or appended when old is None) and return the path."""
    if old is None:
        text = BASE + new + "\n"
    else:
        assert old in BASE, old
        text = BASE.replace(old, new)
    p = path_dir / "c.toml"
    p.write_text(text)
    return p


class TestShippedExamples:
    def test_examples_contract(self):
        cfg = load_config(EXAMPLE)
        c = cfg.problem.contract
        assert (c.review_period, c.penalty_threshold, c.bonus_threshold) == (10, Fraction(4, 5), Fraction(9, 10))
        assert (c.scheme, c.penalty, c.bonus) == ("lump-sum", 50, 30)
        assert cfg.problem.holding_cost == Fraction(1, 2)
        assert isinstance(cfg.problem.demand, Poisson) and cfg.problem.demand.lam == 5
        assert cfg.max_stock == 40 and cfg.exact is False
        assert cfg.source == str(EXAMPLE)
        assert cfg.solver_options() == {"max_stock": 40, "exact": False}

    def test_packaged_example_is_the_same(self):
        packaged = load_config(importlib.resources.files("slamarkov") / "data" / "example.toml")
        shipped = load_config(EXAMPLE)
        assert same_problem(packaged.problem, shipped.problem)
        assert packaged.solver_options() == shipped.solver_options()

    def test_base_text_matches_example(self, tmp_path):
        assert same_problem(load_config(edited(tmp_path, None, "")).problem, load_config(EXAMPLE).problem)


class TestConfigFromDict:
    def test_minimal(self):
        d = base_dict()
        del d["solver"]
        del d["contract"]["scheme"], d["contract"]["penalty"], d["contract"]["bonus"]
        cfg = config_from_dict(d)
        c = cfg.problem.contract
        assert c.scheme == "lump-sum" and c.penalty == 0 and c.bonus == 0
        assert cfg.max_stock is None and cfg.exact is False and cfg.source == "<dict>"

    @pytest.mark.parametrize("demand, cls", [
        ({"kind": "normal", "mean": 15, "sd": 5}, DiscretisedNormal),
        ({"kind": "discrete-uniform", "low": 0, "high": 9}, DiscreteUniform),
        ({"kind": "uniform", "low": 0, "high": 10}, ContinuousUniform),
        ({"kind": "empirical", "pmf": [0.2, 0.5, 0.3]}, Empirical),
        ({"kind": "empirical", "pmf": ["1/3", "1/3", "1/3"]}, Empirical),
    ])
    def test_demand_kinds(self, demand, cls):
        d = base_dict()
        d["demand"] = demand
        assert type(config_from_dict(d).problem.demand) is cls

    def test_exact_flag(self):
        d = base_dict()
        d["demand"] = {"kind": "discrete-uniform", "low": 0, "high": 9}
        d["solver"]["exact"] = True
        assert config_from_dict(d).exact is True

    def test_linear(self):
        d = base_dict()
        d["contract"]["scheme"] = "linear"
        assert config_from_dict(d).problem.contract.scheme == "linear"

    def test_schema(self):
        assert set(SCHEMA) == {"contract", "costs", "demand", "inventory", "solver"}

    @pytest.mark.parametrize("mutate, error, field, rule", [
        (lambda d: d.update(extra={}), ConfigError, "extra", "unknown section"),
        (lambda d: d["contract"].update(colour="red"), ConfigError, "contract.colour", "unknown key"),
        (lambda d: d["costs"].update(shortage=1), ConfigError, "costs.shortage", "unknown key"),
        (lambda d: d["solver"].update(seed=1), ConfigError, "solver.seed", "unknown key"),
        (lambda d: d.pop("contract"), ConfigError, "contract", "missing section"),
        (lambda d: d.pop("costs"), ConfigError, "costs", "missing section"),
        (lambda d: d.pop("demand"), ConfigError, "demand", "missing section"),
        (lambda d: d.update(contract=5), ConfigError, "contract", "must be a table"),
        (lambda d: d.update(solver=[1]), ConfigError, "solver", "must be a table"),
        (lambda d: d["contract"].pop("review_period"), ConfigError, "contract.review_period", "required"),
        (lambda d: d["contract"].pop("penalty_threshold"), ConfigError, "contract.penalty_threshold",
         "required"),
        (lambda d: d["contract"].pop("bonus_threshold"), ConfigError, "contract.bonus_threshold", "required"),
        (lambda d: d["costs"].pop("holding"), ConfigError, "costs.holding", "required"),
        (lambda d: d["demand"].pop("kind"), ConfigError, "demand.kind", "required"),
        (lambda d: d["contract"].update(penalty=float("nan")), ConfigError, "contract.penalty", "finite"),
        (lambda d: d["contract"].update(bonus=float("inf")), ConfigError, "contract.bonus", "finite"),
        (lambda d: d["costs"].update(holding=float("-inf")), ConfigError, "costs.holding", "finite"),
        (lambda d: d["demand"].update(mean=float("nan")), ConfigError, "demand.mean", "finite"),
        (lambda d: d.update(demand={"kind": "empirical", "pmf": [0.5, float("nan")]}), ConfigError,
         r"demand.pmf\[1\]", "finite"),
        (lambda d: d["contract"].update(scheme="step"), ContractError, "contract.scheme", "one of"),
        (lambda d: d["contract"].update(review_period=0), ContractError, "contract.review_period",
         "positive"),
        (lambda d: d["contract"].update(review_period=10.5), ContractError, "contract.review_period",
         "integer"),
        (lambda d: d["contract"].update(penalty_threshold=0.95), ContractError,
         "contract.penalty_threshold", "bonus_threshold"),
        (lambda d: d["contract"].update(penalty=-5), ContractError, "contract.penalty", ">= 0"),
        (lambda d: d["demand"].update(kind="gamma"), DemandError, "demand.kind", "one of"),
        (lambda d: d["demand"].update(kind=5), ConfigError, "demand.kind", "string"),
        (lambda d: d["demand"].update(mean=-5), DemandError, "demand.mean", "> 0"),
        (lambda d: d["demand"].update(sd=1), DemandError, "demand.sd", "unknown parameter"),
        (lambda d: d.update(demand={"kind": "normal", "mean": 15}), DemandError, "demand.sd", "required"),
        (lambda d: d.update(demand={"kind": "normal", "mean": 15, "sd": 0}), DemandError, "demand.sd",
         "> 0"),
        (lambda d: d.update(demand={"kind": "uniform", "low": 5, "high": 1}), DemandError, "demand.high",
         "> demand.low"),
        (lambda d: d.update(demand={"kind": "discrete-uniform", "low": -1, "high": 4}), DemandError,
         "demand.low", ">= 0"),
        (lambda d: d.update(demand={"kind": "empirical", "pmf": [0.5, -0.1, 0.6]}), DemandError,
         r"demand.pmf\[1\]", ">= 0"),
        (lambda d: d.update(demand={"kind": "empirical", "pmf": [0.5, 0.6]}), DemandError, "demand.pmf",
         "sum to 1"),
        (lambda d: d["costs"].update(holding=-1), CostError, "costs.holding", ">= 0"),
        (lambda d: d["costs"].update(holding=0), CostError, "costs.holding", "> 0"),  # Poisson: unbounded
        (lambda d: d["costs"].update(holding="cheap"), CostError, "costs.holding", "number"),
        (lambda d: d["solver"].update(max_stock=-1), ConfigError, "solver.max_stock", ">= 0"),
        (lambda d: d["solver"].update(max_stock=2.5), ConfigError, "solver.max_stock", "integer"),
        (lambda d: d["solver"].update(max_stock=True), ConfigError, "solver.max_stock", "boolean"),
        (lambda d: d["solver"].update(exact="yes"), ConfigError, "solver.exact", "true or false"),
        (lambda d: d["solver"].update(exact=1), ConfigError, "solver.exact", "true or false"),
    ])
    def test_errors(self, mutate, error, field, rule):
        d = base_dict()
        mutate(d)
        with pytest.raises(error, match=f"^{field}: .*{rule}") as info:
            config_from_dict(d)
        assert "\n" not in str(info.value)
        assert isinstance(info.value, SlamarkovError)

    def test_not_a_table(self):
        with pytest.raises(ConfigError, match="^x.toml: must be a TOML table"):
            config_from_dict([1, 2], "x.toml")

    def test_zero_holding_with_bounded_demand(self):
        d = base_dict()
        d["demand"] = {"kind": "discrete-uniform", "low": 0, "high": 9}
        d["costs"]["holding"] = 0
        assert config_from_dict(d).problem.holding_cost == 0


class TestLoadConfig:
    def test_missing_file(self, tmp_path):
        with pytest.raises(ConfigError, match=r": no such file$"):
            load_config(tmp_path / "nope.toml")

    def test_directory(self, tmp_path):
        with pytest.raises(ConfigError, match=r": is a folder, not a contract file$"):
            load_config(tmp_path)

    def test_malformed(self, tmp_path):
        p = edited(tmp_path, "review_period = 10", "review_period = = 10")
        with pytest.raises(ConfigError, match=r"c\.toml: malformed TOML \(") as info:
            load_config(p)
        assert "\n" not in str(info.value)

    def test_not_utf8(self, tmp_path):
        p = tmp_path / "c.toml"
        p.write_bytes(b"[contract]\nname = \"\xff\xfe\"\n")
        with pytest.raises(ConfigError, match="not UTF-8"):
            load_config(p)

    @pytest.mark.parametrize("literal, field", [
        ("penalty = nan", "contract.penalty"), ("penalty = inf", "contract.penalty"),
        ("penalty = -inf", "contract.penalty")])
    def test_toml_nonfinite_literals(self, tmp_path, literal, field):
        p = edited(tmp_path, "penalty = 50", literal)
        with pytest.raises(ConfigError, match=f"^{field}: must be finite"):
            load_config(p)

    def test_toml_nan_holding(self, tmp_path):
        with pytest.raises(ConfigError, match=r"^costs\.holding: must be finite"):
            load_config(edited(tmp_path, "holding = 0.5", "holding = nan"))

    def test_unknown_section(self, tmp_path):
        with pytest.raises(ConfigError, match=r"^simulation: unknown section"):
            load_config(edited(tmp_path, None, "[simulation]\nruns = 5"))

    def test_empirical_from_toml(self, tmp_path):
        p = edited(tmp_path, 'kind = "poisson"\nmean = 5', 'kind = "empirical"\npmf = [0.2, 0.5, 0.3]')
        d = load_config(p).problem.demand
        assert d.pmf_exact == (Fraction(1, 5), Fraction(1, 2), Fraction(3, 10))

    def test_overrides(self, tmp_path):
        cfg = load_config(EXAMPLE, {"contract.review_period": 20, "contract.bonus": "0",
                                    "costs.holding": "1", "solver.max_stock": None,
                                    "contract.scheme": "linear"})
        c = cfg.problem.contract
        assert c.review_period == 20 and c.bonus == 0 and c.scheme == "linear"
        assert cfg.problem.holding_cost == 1
        assert cfg.max_stock == 40  # None leaves the file's value

    def test_demand_override_replaces_table(self):
        cfg = load_config(EXAMPLE, {"demand": parse_demand_spec("normal:15,5")})
        assert isinstance(cfg.problem.demand, DiscretisedNormal)
        assert (cfg.problem.demand.mu, cfg.problem.demand.sigma) == (15, 5)

    def test_override_into_missing_section(self, tmp_path):
        p = edited(tmp_path, "[solver]\nmax_stock = 40\n", "")
        assert load_config(p, {"solver.max_stock": 12}).max_stock == 12

    def test_override_is_validated(self):
        with pytest.raises(ContractError, match=r"^contract\.penalty_threshold: "):
            load_config(EXAMPLE, {"contract.penalty_threshold": "0.95"})
        with pytest.raises(CostError, match=r"^costs\.holding: must be a number"):
            load_config(EXAMPLE, {"costs.holding": "nan"})

    def test_file_untouched(self):
        before = EXAMPLE.read_bytes()
        load_config(EXAMPLE, {"contract.review_period": 20})
        assert EXAMPLE.read_bytes() == before


class TestParseDemandSpec:
    @pytest.mark.parametrize("spec, table", [
        ("poisson:5", {"kind": "poisson", "mean": "5"}),
        ("normal:15,5", {"kind": "normal", "mean": "15", "sd": "5"}),
        ("normal: 15 , 5 ", {"kind": "normal", "mean": "15", "sd": "5"}),
        ("uniform:0,10", {"kind": "uniform", "low": "0", "high": "10"}),
        ("discrete-uniform:0,9", {"kind": "discrete-uniform", "low": "0", "high": "9"}),
        ("empirical:0.2,0.5,0.3", {"kind": "empirical", "pmf": ["0.2", "0.5", "0.3"]}),
    ])
    def test_specs(self, spec, table):
        assert parse_demand_spec(spec) == table

    def test_spec_builds_demand(self):
        d = dict(base_dict(), demand=parse_demand_spec("empirical:1/4,1/4,1/2"))
        assert config_from_dict(d).problem.demand.pmf_exact == (Fraction(1, 4), Fraction(1, 4), Fraction(1, 2))

    @pytest.mark.parametrize("spec, field", [
        ("gamma:2,3", "demand.kind"), ("poisson", "demand"), ("poisson:", "demand"), ("normal:15", "demand"),
        ("poisson:1,2", "demand"), ("empirical", "demand.pmf"), ("empirical:", "demand.pmf"),
        ("", "demand.kind")])
    def test_errors(self, spec, field):
        with pytest.raises(ConfigError, match=f"^{field}: "):
            parse_demand_spec(spec)


def test_config_is_frozen():
    cfg = load_config(EXAMPLE)
    assert isinstance(cfg, Config)
    with pytest.raises(AttributeError):
        cfg.max_stock = 3
