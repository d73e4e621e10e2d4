"""``slamarkov chain --from I,V1,..,Vk[,X]`` on a file with several customers: the cost SD from the
state (text and JSON) is the chain's exact moment (docs/model.md section 15, moments)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from slamarkov.cli import main
from slamarkov.model.config import load_config
from slamarkov.solve.customer_moments import customers_cost_components
from slamarkov.solve.customers import outlook_from, solve_customers_dynamic, solve_customers_static

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "customers.toml"


@pytest.mark.parametrize("policy", ["dynamic", "static"])
def test_text_gains_the_cost_sd(capsys, policy):
    assert main(["chain", str(EXAMPLE), "--from", "3,1,2", "--policy", policy]) == 0
    out = capsys.readouterr()[0]
    problem = load_config(EXAMPLE).problem
    sol = (solve_customers_dynamic if policy == "dynamic" else solve_customers_static)(problem)
    parts = customers_cost_components(sol, 3, (1, 2))
    assert f"cost to the end of the review period: SD {math.sqrt(parts['total'][1]):.6g}" in out
    assert f"south's settlement SD {math.sqrt(parts['settlement_south'][1]):.6g}" in out
    assert f"expected cost to the end of the review period: {parts['total'][0]:.6g}" in out


def test_json(capsys):
    assert main(["chain", str(EXAMPLE), "--from", "3,1,2", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr()[0])
    problem = load_config(EXAMPLE).problem
    sol = solve_customers_dynamic(problem)
    out = outlook_from(sol, 3, (1, 2))
    parts = customers_cost_components(sol, 3, (1, 2))
    assert doc["state"] == [3, 1, 2] and doc["policy"] == "dynamic"
    assert [c["name"] for c in doc["customers"]] == ["north", "south"]
    assert doc["customers"][1]["ready_rate"]["p_bonus"] == pytest.approx(
        out.ready_rates[1].p_bonus, rel=1e-12)
    assert doc["cost"]["mean"] == pytest.approx(out.cost, rel=1e-12)
    assert doc["cost"]["sd"] == pytest.approx(math.sqrt(parts["total"][1]), rel=1e-12)
    assert set(doc["cost_parts"]) == {"holding", "settlement", "settlement_north",
                                      "settlement_south", "total"}


def test_json_for_one_customer_too(capsys):
    # one customer's --from summaries as JSON (tests/test_cli_fill.py checks the numbers); the
    # cost's SD sits where the several customers' document has it
    path = ROOT / "examples" / "contract.toml"
    assert main(["chain", str(path), "--from", "1,0", "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr()[0])
    assert doc["state"] == [1, 0] and set(doc["cost"]) == {"mean", "sd"}
    assert set(doc["cost_parts"]["total"]) == {"mean", "variance", "sd"}
