"""Tests of ``slamarkov graph`` and ``slamarkov plot``."""

from __future__ import annotations

import importlib.resources
import json

import networkx as nx
import pytest

from slamarkov.analysis.graph import policy_graph
from slamarkov.cli import main
from slamarkov.io.graphs import GRAPH_FORMATS, graph_from_string, read_graph
from slamarkov.model.config import load_config
from slamarkov.solve import solve_dynamic, solve_static

EXAMPLE = str(importlib.resources.files("slamarkov") / "data" / "example.toml")


@pytest.fixture(scope="module")
def policies():
    cfg = load_config(EXAMPLE)
    return {"dynamic": solve_dynamic(cfg.problem, **cfg.solver_options()).policy,
            "static": solve_static(cfg.problem, **cfg.solver_options()).policy}


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_usage_error(capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert message in err and len(err.strip().splitlines()) == 1


class TestGraphExport:
    @pytest.mark.parametrize("fmt", GRAPH_FORMATS)
    def test_file_round_trip(self, capsys, tmp_path, policies, fmt):
        path = tmp_path / f"chain.{fmt}"
        code, out, err = run(capsys, "graph", EXAMPLE, "--format", fmt, "--out", str(path))
        assert (code, out, err) == (0, f"wrote {path}\n", "")
        H = read_graph(path)
        G = policy_graph(policies["dynamic"])
        assert set(H.nodes) == set(G.nodes) and set(H.edges) == set(G.edges)
        assert dict(H.nodes(data=True)) == dict(G.nodes(data=True))
        assert nx.utils.edges_equal(H.edges(data=True), G.edges(data=True))

    def test_format_from_suffix(self, capsys, tmp_path):
        path = tmp_path / "chain.gv"
        assert run(capsys, "graph", EXAMPLE, "--out", str(path))[0] == 0
        assert path.read_text().splitlines()[1].startswith("digraph ")

    def test_stdout_and_static_policy(self, capsys, policies):
        code, out, _ = run(capsys, "graph", EXAMPLE, "--format", "json", "--policy", "static")
        assert code == 0
        H = graph_from_string(out, "json")
        assert H.graph["policy"] == "static"
        assert {d["stock"] for _, d in H.nodes(data=True) if "stock" in d} == {8}
        assert dict(H.nodes(data=True)) == dict(policy_graph(policies["static"]).nodes(data=True))

    def test_overrides_apply(self, capsys):
        code, out, _ = run(capsys, "graph", EXAMPLE, "--format", "graphml", "--review-period", "4")
        assert code == 0
        assert graph_from_string(out, "graphml").number_of_nodes() == 10 + 5


class TestGraphInspect:
    def test_text(self, capsys):
        code, out, _ = run(capsys, "graph", EXAMPLE, "--inspect")
        assert code == 0
        lines = out.splitlines()
        assert lines[0] == "Inspection of the dynamic policy, T = 10, from state (1, 0)"
        assert "  bonus-secured (1): stage 10: v 9" in lines
        assert "  stage 10: v=7 (0->10), v=9 (10->0)" in lines

    def test_json_to_file(self, capsys, tmp_path):
        path = tmp_path / "report.json"
        code, out, _ = run(capsys, "graph", EXAMPLE, "--inspect", "--json", "--out", str(path))
        assert (code, out) == (0, f"wrote {path}\n")
        doc = json.loads(path.read_text())
        assert doc["coasting"] == {"open": [[7, 6], [8, 7], [9, 8]], "bonus-secured": [[10, 9]]}
        assert len(doc["give_up"]["penalty-certain"]) == 28
        assert doc["base_stock"] == 8

    def test_static(self, capsys):
        code, out, _ = run(capsys, "graph", EXAMPLE, "--inspect", "--policy", "static")
        assert code == 0 and "static policy" in out.splitlines()[0]
        assert "Give-up states (ready chance below the penalty threshold while the penalty is " \
            "likely): 0" in out
        assert "Withholding states (ready chance below the static supplier's, S* = 8, " \
            "y_ref = S*): 0" in out


class TestGraphErrors:
    def test_nothing_asked(self, capsys):
        assert_usage_error(capsys, ["graph", EXAMPLE], "give --format")

    def test_unknown_suffix(self, capsys, tmp_path):
        path = tmp_path / "c.txt"
        code, out, err = run(capsys, "graph", EXAMPLE, "--out", str(path))
        assert code == 2 and out == "" and not path.exists()
        assert err == ("slamarkov graph: error: --out: cannot write .txt files here; the suffix "
                       f"must be one of .json, .graphml, .gexf, .dot, .gv (got {path})\n")
        # a format that contradicts the suffix
        code, _, err = run(capsys, "graph", EXAMPLE, "--format", "dot", "--out", str(tmp_path / "c.json"))
        assert code == 2 and "--out: the suffix .json means json, but --format is dot" in err

    def test_json_without_inspect(self, capsys):
        assert_usage_error(capsys, ["graph", EXAMPLE, "--format", "dot", "--json"],
                           "--json: only with --inspect")

    def test_inspect_and_format(self, capsys):
        assert_usage_error(capsys, ["graph", EXAMPLE, "--inspect", "--format", "dot"],
                           "not allowed with argument")

    def test_bad_format_and_policy(self, capsys):
        assert_usage_error(capsys, ["graph", EXAMPLE, "--format", "svg"], "--format")
        assert_usage_error(capsys, ["graph", EXAMPLE, "--inspect", "--policy", "best"], "--policy")

    def test_bad_contract_field(self, capsys):
        code, out, err = run(capsys, "graph", EXAMPLE, "--inspect", "--review-period", "0")
        assert code == 2 and out == ""
        assert err.strip() == ("slamarkov graph: error: contract.review_period: must be a positive "
                               "integer, got 0")

    def test_missing_file(self, capsys, tmp_path):
        code, _, err = run(capsys, "graph", str(tmp_path / "none.toml"), "--inspect")
        assert code == 2 and err.startswith("slamarkov graph: error: ") and "no such file" in err


class TestPlot:
    @pytest.mark.parametrize("kind", ["chain", "policy"])
    def test_png(self, capsys, tmp_path, kind):
        path = tmp_path / f"{kind}.png"
        code, out, err = run(capsys, "plot", EXAMPLE, "--kind", kind, "--out", str(path))
        assert (code, out, err) == (0, f"wrote {path}\n", "")
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    def test_static_heatmap_large_T(self, capsys, tmp_path):
        path = tmp_path / "p.png"
        code, *_ = run(capsys, "plot", EXAMPLE, "--kind", "policy", "--policy", "static",
                       "--review-period", "300", "--out", str(path))
        assert code == 0 and path.stat().st_size > 0

    def test_chain_too_large(self, capsys, tmp_path):
        path = tmp_path / "c.png"
        code, out, err = run(capsys, "plot", EXAMPLE, "--kind", "chain", "--review-period", "41",
                             "--out", str(path))
        assert code == 2 and not path.exists()
        assert err.strip() == ("slamarkov plot: error: review_period: the chain drawing is legible up "
                               "to T = 40, got T = 41; draw the policy heat map instead")

    def test_usage_errors(self, capsys, tmp_path):
        assert_usage_error(capsys, ["plot", EXAMPLE, "--kind", "chain"], "--out")
        assert_usage_error(capsys, ["plot", EXAMPLE, "--kind", "graph", "--out", "x.png"],
                           "--kind")
        code, out, err = run(capsys, "plot", EXAMPLE, "--kind", "chain", "--out",
                             str(tmp_path / "x.pdf"))
        assert (code, out) == (2, "") and err == (
            f"slamarkov plot: error: --out: cannot write .pdf files here; the suffix must be one "
            f"of .png (got {tmp_path / 'x.pdf'})\n")
