"""Tests of the HTML report: its content, that it is self-contained, the ``report`` command, and
that it opens in a real browser (headless Chromium) with no errors and every figure decoded."""

from __future__ import annotations

import base64
import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from slamarkov import (
    Contract,
    DiscreteUniform,
    Poisson,
    Problem,
    solve_dynamic,
    solve_static,
)
from slamarkov.analysis.monitor import monitor
from slamarkov.cli import main
from slamarkov.errors import ReportDependencyError
from slamarkov.report.html import contract_terms, render_report, write_report

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "contract.toml"  # the study's lump-sum contract, T = 10, Poisson(5)
PROBLEM = Problem(Contract.study(10), Poisson(5), 0.5)
LOG = [1, 1, 0, 1, 1, 1]  # state (7, 5), undecided
TITLE = ("SLA report: lump-sum SLA over T=10 periods: penalty 50 if ready rate < 80%, "
         "bonus 30 if >= 90%")


def num(x):
    """The template's number format."""
    return f"{float(x):.6g}"


def pct(x):
    return f"{100 * float(x):.4g}%"


@pytest.fixture(scope="module")
def page():
    return render_report(PROBLEM, LOG, max_stock=40)


@pytest.fixture(scope="module")
def numbers():
    """The main numbers the page must show, from the API."""
    dyn = solve_dynamic(PROBLEM, max_stock=40)
    sta = solve_static(PROBLEM, max_stock=40)
    res = monitor(PROBLEM, LOG, dynamic=dyn.policy, static=sta.policy)
    return {
        "dynamic cost": num(dyn.cost_per_period),
        "static cost": num(sta.cost_per_period),
        "dynamic P(penalty)": pct(dyn.ready_rate.p_penalty),
        "static P(penalty)": pct(sta.ready_rate.p_penalty),
        "dynamic P(bonus)": pct(dyn.ready_rate.p_bonus),
        "P(penalty) from here, dynamic": pct(res.dynamic.p_penalty),
        "P(penalty) from here, static": pct(res.static.p_penalty),
        "settlement from here": num(res.dynamic.expected_settlement),
    }


def visible(page):
    """The page's text without tags, whitespace collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def images(text):
    return re.findall(r'<img [^>]*src="([^"]*)"', text)


class TestContent:
    def test_reference_numbers(self, numbers):
        # the study's T = 10 lump-sum cell, h = 0.5 (solve's doctest): exact reference values
        assert numbers["dynamic cost"] == "-1.20155"
        assert numbers["static cost"] == "-0.87201"
        assert numbers["P(penalty) from here, dynamic"] == "0.1105%"

    def test_main_numbers_and_sections(self, page, numbers):
        assert f"<title>{html.escape(TITLE, quote=False)}</title>" in page
        for heading in ("The contract", "The two policies", "The dynamic policy's stock table",
                        "Where the running review period stands"):
            assert f"<h2>{heading}</h2>" in page
        text = visible(page)
        for label, value in numbers.items():
            assert value in text, label
        assert "negative cost is a net gain" in text
        assert "expected bonus exceeds the expected holding cost" in text
        assert "fewer than 8 of the 10 periods are ready" in text
        assert "period 7" in text and "4 periods left" in text

    def test_gaming_indicators(self, page):
        from slamarkov.analysis.gaming import gaming_indicators, ready_rate_gap

        dyn = solve_dynamic(PROBLEM, max_stock=40)
        sta = solve_static(PROBLEM, max_stock=40)
        text = visible(page)
        assert "Does the contract invite gaming?" in text
        for sol in (dyn, sta):
            ind = gaming_indicators(sol, sta)
            for key in ("give_up_periods", "coasting_periods", "withheld_ready_periods_open",
                        "withheld_ready_periods_decided"):
                assert f"{ind[key]:.4g}" in text, key
            assert pct(ind["bunching_excess_bonus"]) in text
        gap = ready_rate_gap(dyn, sta)
        assert f"minus the dynamic one's is {pct(gap)} (positive: the contract is being gamed)" \
            in text
        # reference values (the study's T = 10 lump-sum cell, h = 0.5)
        assert "0.5124" in text and "59.89%" in text
        assert "scores exactly 0 here" in text

    def test_self_contained(self, page):
        srcs = images(page)
        assert len(srcs) == 3
        for src in srcs:
            head, _, data = src.partition(",")
            assert head == "data:image/png;base64"
            raw = base64.b64decode(data, validate=True)
            assert raw[:8] == b"\x89PNG\r\n\x1a\n"
            import matplotlib.image

            assert matplotlib.image.imread(io.BytesIO(raw), format="png").shape[0] > 100
        # nothing is fetched: no external scripts, styles, fonts or links to resources
        assert not re.search(r'(src|href)\s*=\s*"(?!data:)', page)
        assert "<script" not in page and "@import" not in page and "url(" not in page

    def test_without_log(self):
        page = render_report(PROBLEM, max_stock=40)
        assert len(images(page)) == 2
        assert "Where the running review period stands" not in page
        assert "The star marks" not in page

    @pytest.mark.parametrize("ready, phrase", [
        ([0, 1, 0, 0], "the penalty is certain"),
        ([1] * 9, "the bonus is secured"),
        ([1] * 8 + [0, 0], "ends between the thresholds"),
    ])
    def test_decided(self, ready, phrase):
        text = visible(render_report(PROBLEM, ready, max_stock=40))
        assert phrase in text
        assert "Decided:" in text

    def test_end_state(self):
        page = render_report(PROBLEM, [1] * 10, max_stock=40)
        assert "The review period is over." in visible(page)
        assert "The star marks" not in page  # no current state to mark on the stock table
        assert len(images(page)) == 3

    def test_exact_mode_and_linear_terms(self):
        prob = Problem(Contract(6, "0.5", "5/6", "linear", penalty=30, bonus=12),
                       DiscreteUniform(0, 4), 1)
        page = visible(render_report(prob, [1, 0], exact=True))
        dyn = solve_dynamic(prob, exact=True)
        assert num(dyn.cost_per_period) in page
        assert "exact rational arithmetic" in page
        assert "30 times the shortfall of the ready rate below 50%" in page

    def test_carry_over_and_purchases(self):
        prob = Problem(Contract.study(5), Poisson(5), 0.5, purchase_cost=1, salvage_value="0.5",
                       leftover="carry")
        page = render_report(prob)
        text = visible(page)
        assert "leftover stock is carried into the next period" in text
        assert "of which purchases less salvage" in text
        # the stock slice x = 0 is drawn, as `plot --stock-on-hand 0` draws it (issue 23)
        assert 'id="no-heatmap"' not in page and len(images(page)) == 2
        assert "with x = 0 units on hand" in text
        with_log = visible(render_report(prob, [(1, 3)]))
        assert "2, 1, 3" in with_log  # the state (i, v, x) the log reaches
        assert "with x = 3 units on hand" in with_log  # the running period's slice
        page = visible(render_report(Problem(Contract.study(5), Poisson(5), 0.5,
                                             purchase_cost=1)))
        assert "of which purchases " in page and "not carried into the next period" in page

    def test_terms(self):
        c = Contract(10, "0.8", "0.9", "linear", penalty=250, bonus=150)
        terms = contract_terms(c)
        assert "for example 25 at 70%" in terms[1]
        assert "for example 15 at 100%" in terms[2]
        assert contract_terms(Contract(10, "0.8", "0.9", penalty=50))[2] == "Bonus: none."
        assert contract_terms(Contract(10, "0.8", "0.9", bonus=30))[1] == "Penalty: none."

    def test_needs_jinja2(self, monkeypatch):
        monkeypatch.setitem(sys.modules, "jinja2", None)
        with pytest.raises(ReportDependencyError, match=r"jinja2: not installed.*\[report\]"):
            render_report(PROBLEM)


class TestCli:
    def test_writes_the_page(self, tmp_path, capsys):
        log = tmp_path / "log.csv"
        log.write_text("period,ready\n1,1\n2,1\n3,0\n4,1\n5,1\n6,1\n")
        out = tmp_path / "report.html"
        assert main(["report", str(EXAMPLE), "--out", str(out), "--log", str(log)]) == 0
        assert capsys.readouterr().out == f"wrote {out}\n"
        page = out.read_text(encoding="utf-8")
        assert page == render_report(PROBLEM, str(log), max_stock=40)
        assert f"<code>{log}</code>" in page

    def test_bad_log_leaves_the_old_file(self, tmp_path, capsys):
        log = tmp_path / "log.csv"
        log.write_text("period,ready\n1,1\n3,1\n")
        out = tmp_path / "report.html"
        out.write_text("old")
        code = main(["report", str(EXAMPLE), "--out", str(out), "--log", str(log)])
        o, err = capsys.readouterr()
        assert code == 2 and o == "" and len(err.splitlines()) == 1
        assert "line 3" in err and "period must be 2 here" in err
        assert out.read_text() == "old"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["log.csv", "report.html"]

    def test_out_must_be_html(self, tmp_path, capsys):
        code = main(["report", str(EXAMPLE), "--out", str(tmp_path / "r.png")])
        _, err = capsys.readouterr()
        assert code == 2 and "--out: cannot write .png files here" in err
        assert len(err.splitlines()) == 1


# -- a real browser ------------------------------------------------------------------------------
#: collects errors (script errors, resources that fail to load, console.error) and, once the
#: page has loaded, every image's decoded size and the rendered text, into <pre id="__probe">
PROBE = """<script>
window.__errors = [];
window.addEventListener('error', function (e) {
  window.__errors.push(e.message || (e.target && (e.target.src || e.target.href)) || e.type);
}, true);
console.error = function () { window.__errors.push(Array.from(arguments).join(' ')); };
window.addEventListener('load', function () {
  var out = document.createElement('pre');
  out.id = '__probe';
  out.textContent = JSON.stringify({
    errors: window.__errors, title: document.title, text: document.body.innerText,
    images: Array.from(document.images).map(function (im) {
      return {id: im.id, complete: im.complete, width: im.naturalWidth, height: im.naturalHeight};
    })});
  document.body.appendChild(out);
});
</script>"""


def _chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    reason = ("headless Chromium is not installed (Debian: apt-get install chromium; .ci/run "
              "installs it when run as root)")
    if os.environ.get("SLAMARKOV_REQUIRE_BROWSER"):
        pytest.fail(reason)
    pytest.skip(reason)


def _browse(chromium, page: Path, tmp_path: Path, *args):
    """Run headless Chromium on a local page with the network cut off; (stdout, stderr)."""
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           f"--user-data-dir={tmp_path / 'profile'}", "--proxy-server=127.0.0.1:9",
           "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr", "--v=0",
           "--virtual-time-budget=20000", *args, page.as_uri()]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout, proc.stderr


def load_in_browser(chromium, page_html: str, tmp_path: Path) -> dict:
    """Load the page with the probe in headless Chromium; the probe's findings, plus the
    console messages Chromium logged."""
    probed = tmp_path / "probed.html"
    probed.write_text(page_html.replace("<head>", "<head>\n" + PROBE, 1), encoding="utf-8")
    dom, log = _browse(chromium, probed, tmp_path, "--dump-dom")
    m = re.search(r'<pre id="__probe">(.*?)</pre>', dom, re.DOTALL)
    assert m, "the page did not finish loading: " + dom[-500:]
    found = json.loads(html.unescape(m.group(1)))
    found["console"] = [line for line in log.splitlines() if ":CONSOLE" in line]
    return found


class TestBrowser:
    def test_report_opens_cleanly(self, tmp_path, page, numbers):
        chromium = _chromium()
        found = load_in_browser(chromium, page, tmp_path)
        assert found["errors"] == [] and found["console"] == []
        assert found["title"] == TITLE
        assert [im["id"] for im in found["images"]] == ["fig-ready-rate", "fig-heatmap",
                                                        "fig-from-here"]
        for im in found["images"]:
            assert im["complete"] and im["width"] > 0 and im["height"] > 0, im
        text = found["text"]
        assert TITLE in text
        for label, value in numbers.items():
            assert value in text, label
        # the page as people see it: a screenshot of the unmodified file
        report = tmp_path / "report.html"
        report.write_text(page, encoding="utf-8")
        shot = tmp_path / "report.png"
        _browse(chromium, report, tmp_path, "--hide-scrollbars", "--window-size=1100,3200",
                f"--screenshot={shot}")
        raw = shot.read_bytes()
        assert raw[:8] == b"\x89PNG\r\n\x1a\n"
        import matplotlib.image

        assert matplotlib.image.imread(shot).shape[:2] == (3200, 1100)

    def test_probe_catches_broken_pages(self, tmp_path, page):
        # the check can fail: a broken image, a network image and a script error are caught
        chromium = _chromium()
        broken = page.replace(
            "<main>", '<main><img id="bad" src="data:image/png;base64,AAAA">'
            '<img id="net" src="http://example.com/x.png"><script>noSuchFunction();</script>', 1)
        found = load_in_browser(chromium, broken, tmp_path)
        assert any("noSuchFunction" in e for e in found["errors"])
        assert any("example.com" in e for e in found["errors"])
        sizes = {im["id"]: im["width"] for im in found["images"]}
        assert sizes["bad"] == 0 and sizes["net"] == 0 and sizes["fig-heatmap"] > 0
        assert any("noSuchFunction" in line for line in found["console"])


def test_write_report_is_atomic(tmp_path):
    out = write_report(tmp_path / "sub" / "r.html", Problem(Contract.study(3), Poisson(5), 1))
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in out.parent.iterdir()] == ["r.html"]
