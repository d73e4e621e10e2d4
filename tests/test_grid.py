"""Tests of slamarkov.sweep.grid: grid files expanded into contract-file mappings, checked up front."""

from __future__ import annotations

import copy
from fractions import Fraction

import pytest

from slamarkov import ConfigError, Contract, ContractError
from slamarkov.model import config as config_module
from slamarkov.model.config import config_from_dict, load_config
from slamarkov.sweep.grid import DEFAULT_MAX_POINTS, grid_from_dict, load_grid

BASE = {
    "contract": {"review_period": 10, "penalty_threshold": 0.8, "bonus_threshold": 0.9,
                 "penalty": 50, "bonus": 30},
    "costs": {"holding": 0.5},
    "demand": {"kind": "poisson", "mean": 5},
}


def grid_with(validate=True, **changes):
    data = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        section, _, key = dotted.partition("__")
        data.setdefault(section, {})[key] = value
    return grid_from_dict(data, "g.toml", validate=validate)


class TestExpansion:
    def test_no_list_is_one_contract(self):
        g = grid_from_dict(BASE)
        assert len(g) == 1 and g.columns == () and g.labels(0) == ()
        assert g.point(0) == BASE

    def test_product_in_file_order_first_slowest(self):
        g = grid_with(contract__review_period=[10, 20], costs__holding=[0.5, 1, 2])
        assert len(g) == 6
        assert g.columns == ("review_period", "holding")
        assert [g.labels(k) for k in range(6)] == [
            (10, 0.5), (10, 1), (10, 2), (20, 0.5), (20, 1), (20, 2)]
        pts = list(g.points())
        assert [p["contract"]["review_period"] for p in pts] == [10, 10, 10, 20, 20, 20]
        assert pts[4]["costs"]["holding"] == 1
        assert BASE["costs"]["holding"] == 0.5  # the input is not modified

    def test_integer_range_includes_stop(self):
        g = grid_with(contract__review_period={"start": 10, "stop": 90, "step": 10})
        assert [lab[0] for lab in map(g.labels, range(len(g)))] == list(range(10, 100, 10))
        assert all(isinstance(p["contract"]["review_period"], int) for p in g.points())

    def test_decimal_range_is_exact(self):
        g = grid_with(costs__holding={"start": 0.1, "stop": 0.3, "step": 0.1})
        # binary floats would stop at 0.2 (0.1 + 0.1 + 0.1 > 0.3) or give 0.30000000000000004
        assert [lab[0] for lab in map(g.labels, range(len(g)))] == [0.1, 0.2, 0.3]
        g = grid_with(costs__holding={"start": 0.5, "stop": 2, "step": 0.5})
        assert [lab[0] for lab in map(g.labels, range(len(g)))] == [0.5, 1.0, 1.5, 2.0]

    def test_descending_range_and_stop_not_hit(self):
        g = grid_with(contract__review_period={"start": 30, "stop": 5, "step": -10})
        assert [lab[0] for lab in map(g.labels, range(len(g)))] == [30, 20, 10]

    def test_pmf_list_is_a_value_and_list_of_lists_a_sweep(self):
        data = copy.deepcopy(BASE)
        data["demand"] = {"kind": "empirical", "pmf": [0.2, 0.5, 0.3]}
        g = grid_from_dict(data)
        assert len(g) == 1 and g.point(0)["demand"]["pmf"] == [0.2, 0.5, 0.3]
        data["demand"] = {"kind": "empirical", "pmf": [[0.2, 0.8], [0.5, 0.5]]}
        g = grid_from_dict(data)
        assert len(g) == 2 and g.columns == ("pmf",)
        assert g.labels(1) == ("[0.5, 0.5]",)
        assert g.point(1)["demand"]["pmf"] == [0.5, 0.5]

    def test_repeated_names_take_the_section(self):
        data = {"contract": {"mean": [1, 2]}, "demand": {"mean": [3, 4], "kind": "poisson"},
                "costs": {"policy": [1, 2]}}
        g = grid_from_dict(data, validate=False)
        # a repeated key name, and a name that is a result column, are qualified
        assert g.columns == ("contract.mean", "demand.mean", "costs.policy")

    def test_mixed_types_become_text(self):
        g = grid_with(contract__penalty_threshold=[0.7, "4/5"])
        assert [g.labels(k)[0] for k in range(2)] == ["0.7", "4/5"]
        assert config_from_dict(g.point(1)).problem.contract.penalty_threshold == Fraction(4, 5)

    def test_any_key_the_loader_accepts_sweeps(self):
        g = grid_with(solver__exact=[False, True], demand__kind=["poisson", "discrete-uniform"],
                      demand__low=0, demand__high=9, validate=False)
        assert g.columns == ("kind", "exact")  # sections in file order
        # the loader decides which points are good: poisson takes no 'low'
        with pytest.raises(ConfigError, match=r"grid point 1 of 4 \(kind=poisson, exact=False\)"):
            g.validate()

    def test_keys_the_loader_learns_are_swept_without_grid_changes(self, monkeypatch):
        # as when contract files gain keys (e.g. carry-over costs): the grid follows the loader
        schema = dict(config_module.SCHEMA)
        req, opt = schema["costs"]
        schema["costs"] = (req, opt + ("storage",))
        monkeypatch.setattr(config_module, "SCHEMA", schema)
        g = grid_with(costs__storage=[1, 2, 3])
        assert len(g) == 3 and g.columns == ("storage",)

    def test_fingerprint(self):
        a = grid_with(costs__holding=[0.5, 1])
        assert a.fingerprint() == grid_with(costs__holding=[0.5, 1]).fingerprint()
        assert a.fingerprint() != grid_with(costs__holding=[0.5, 2]).fingerprint()


class TestPerPeriodAmounts:
    @pytest.mark.parametrize("scheme", ["lump-sum", "linear"])
    def test_study_contracts(self, scheme):
        per = {"lump-sum": (5, 3), "linear": (25, 15)}[scheme]
        data = copy.deepcopy(BASE)
        del data["contract"]["penalty"], data["contract"]["bonus"]
        data["contract"].update(review_period=[10, 40], scheme=scheme,
                                penalty_per_period=per[0], bonus_per_period=per[1])
        g = grid_from_dict(data)
        for k, T in enumerate((10, 40)):
            assert config_from_dict(g.point(k)).problem.contract == Contract.study(T, scheme)

    def test_contract_file_takes_them_too(self, tmp_path):
        f = tmp_path / "c.toml"
        f.write_text('[contract]\nreview_period = 20\npenalty_threshold = 0.8\n'
                     'bonus_threshold = 0.9\npenalty_per_period = 2.5\n'
                     '[costs]\nholding = 1\n[demand]\nkind = "poisson"\nmean = 5\n')
        c = load_config(f).problem.contract
        assert c.penalty == 50 and c.bonus == 0

    def test_command_line_amount_replaces_the_files_per_period_one(self, tmp_path):
        f = tmp_path / "c.toml"
        f.write_text('[contract]\nreview_period = 20\npenalty_threshold = 0.8\n'
                     'bonus_threshold = 0.9\npenalty_per_period = 2.5\n'
                     '[costs]\nholding = 1\n[demand]\nkind = "poisson"\nmean = 5\n')
        assert load_config(f, {"contract.penalty": 40}).problem.contract.penalty == 40

    def test_both_forms_refused(self):
        with pytest.raises(ConfigError, match=r"contract.penalty_per_period: give penalty .* not both"):
            config_from_dict({**BASE, "contract": {**BASE["contract"], "penalty_per_period": 5}})

    def test_negative_refused(self):
        data = copy.deepcopy(BASE)
        del data["contract"]["bonus"]
        data["contract"]["bonus_per_period"] = -1
        with pytest.raises(ConfigError, match=r"contract.bonus_per_period: must be >= 0"):
            config_from_dict(data)

    def test_bad_review_period_named(self):
        data = copy.deepcopy(BASE)
        del data["contract"]["bonus"]
        data["contract"].update(bonus_per_period=1, review_period=2.5)
        with pytest.raises(ContractError, match=r"contract.review_period"):
            config_from_dict(data)


class TestBadGrids:
    @pytest.mark.parametrize("value, match", [
        ([], r"^contract.review_period: an empty list gives no grid point$"),
        ({"start": 10, "stop": 20, "step": 0}, r"^contract.review_period: range step must not be 0$"),
        ({"start": 10, "stop": 20, "step": -5}, r"range step -5 moves away from stop 20"),
        ({"start": 20, "stop": 10, "step": 5}, r"range step 5 moves away from stop 10"),
        ({"start": 10, "stop": 20}, r"a range table takes exactly start, stop and step"),
        ({"start": 10, "stop": 20, "step": 5, "by": 1}, r"exactly start, stop and step"),
        ({"start": "a", "stop": 20, "step": 5}, r"range start must be a number"),
        ({"start": True, "stop": 20, "step": 5}, r"range start must be a number"),
    ])
    def test_bad_values(self, value, match):
        with pytest.raises(ConfigError, match=match):
            grid_with(contract__review_period=value)

    def test_bad_point_names_key_and_point(self):
        with pytest.raises(ConfigError) as info:
            grid_with(contract__penalty_threshold=[0.8, 0.95], costs__holding=[0.5, 1])
        msg = str(info.value)
        assert msg == ("g.toml: grid point 3 of 4 (penalty_threshold=0.95, holding=0.5): "
                       "contract.penalty_threshold: must not exceed contract.bonus_threshold "
                       "(0.95 > 0.9)")
        assert "\n" not in msg

    def test_unknown_key_refused(self):
        with pytest.raises(ConfigError, match=r"grid point 1 of 2 .*contract.colour: unknown key"):
            grid_with(contract__colour=["red", "blue"])

    def test_size_limit(self):
        data = copy.deepcopy(BASE)
        data["contract"]["review_period"] = {"start": 1, "stop": 1000, "step": 1}
        data["costs"]["holding"] = {"start": 1, "stop": 200, "step": 1}
        with pytest.raises(ConfigError, match=r"the grid has 200000 points, above the limit of "
                           rf"{DEFAULT_MAX_POINTS}; raise it with --max-points"):
            grid_from_dict(data, "g.toml")
        assert len(grid_from_dict(data, max_points=200_000, validate=False)) == 200_000

    def test_huge_range_refused_before_expanding(self):
        with pytest.raises(ConfigError, match=r"the range has 1000000000 values"):
            grid_with(contract__review_period={"start": 1, "stop": 10**9, "step": 1})

    def test_bad_max_points(self):
        with pytest.raises(ConfigError, match="--max-points"):
            grid_from_dict(BASE, max_points=0)


class TestFiles:
    def test_packaged_study_grids(self):
        import importlib.resources

        root = importlib.resources.files("slamarkov") / "data"
        for scheme in ("lump_sum", "linear"):
            g = load_grid(root / f"study_grid_{scheme}.toml")
            assert len(g) == 36 and g.columns == ("review_period", "holding")

    def test_missing_and_malformed(self, tmp_path):
        with pytest.raises(ConfigError, match="no such file"):
            load_grid(tmp_path / "none.toml")
        bad = tmp_path / "bad.toml"
        bad.write_text("[contract\n")
        with pytest.raises(ConfigError, match="malformed TOML"):
            load_grid(bad)
