"""Issue 24 item 9: a monitor log (``monitor --log``, ``report --log``) is read row by row with
its numbers bounded before they are converted.

A demand cell ``1e999999999`` hung (``Fraction`` expands the exponent); a field over 131,072
characters gave a ``_csv.Error`` traceback; every row was read before the "longer than T"
check (10 million rows: 22 s and 3.1 GB). Each case is the real command: exit 2, one line.
"""

from __future__ import annotations

import pytest
from test_cli_solve import EXAMPLE, assert_one_line_error, run_cli

from slamarkov import Contract, Poisson, Problem
from slamarkov.analysis.monitor import MAX_LOG_LINE, parse_log, read_log
from slamarkov.errors import MonitorError

PROBLEM = Problem(Contract.study(10), Poisson(5), 0.5)


def log(tmp_path, text, name="log.csv", mode="w"):
    path = tmp_path / name
    if mode == "wb":
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize("command", ["monitor", "report"])
class TestCommands:
    def run(self, command, path, tmp_path):
        extra = ("--out", tmp_path / "r.html") if command == "report" else ()
        return run_cli(command, EXAMPLE, "--log", path, *extra)

    @pytest.mark.parametrize("cell", ["1e999999999", "-1e999999999", "1e-999999999",
                                      "1/" + "7" * 5000])
    def test_huge_exponent_is_refused_by_magnitude(self, tmp_path, command, cell):
        path = log(tmp_path, f"period,ready,demand\n1,1,{cell}\n")
        code, out, err = self.run(command, path, tmp_path)
        assert_one_line_error(code, out, err, "line 2 (period 1): demand must")
        assert not (tmp_path / "r.html").exists()

    def test_field_over_the_csv_limit(self, tmp_path, command):
        path = log(tmp_path, "period,ready,demand\n1,1," + "9" * 140_000 + "\n")
        code, out, err = self.run(command, path, tmp_path)
        assert_one_line_error(code, out, err, "line 2: not a CSV row",
                              "a field is longer than 131,072 characters")

    def test_reading_stops_at_row_T_plus_1(self, tmp_path, command):
        # eleven rows of a T = 10 review period, then what would fail if it were read: a line
        # of 2 MB and bytes that are not UTF-8
        rows = "".join(f"{i},1\n" for i in range(1, 12))
        path = log(tmp_path, ("period,ready\n" + rows + "x" * 2_000_000 + "\n").encode()
                   + b"\xff\xfe\n", mode="wb")
        code, out, err = self.run(command, path, tmp_path)
        assert_one_line_error(code, out, err, "line 12 (period 11)",
                              "longer than the review period (T = 10 periods)")


class TestReader:
    def test_ten_million_rows_are_not_read(self, tmp_path):
        # the rows after T + 1 are never parsed: a generator of rows that would take minutes
        # is stopped at row 11 (it counts how many lines were asked for)
        asked = []

        class Lines:
            def __init__(self):
                self.n = 0

            def readline(self, limit=-1):
                self.n += 1
                asked.append(self.n)
                if self.n > 10_000_000:
                    return ""
                return "period,ready\n" if self.n == 1 else f"{self.n - 1},1\n"

        from slamarkov.analysis.monitor import _parse_lines  # noqa: PLC2701 - the stream reader

        with pytest.raises(MonitorError, match="line 12 \\(period 11\\): the log is longer"):
            _parse_lines(Lines(), PROBLEM, "log.csv")
        assert len(asked) <= 13

    def test_a_long_line_is_refused_before_it_is_held(self, tmp_path):
        path = log(tmp_path, "period,ready\n" + "1" * (MAX_LOG_LINE + 5) + "\n")
        with pytest.raises(MonitorError, match=r"^.*log\.csv line 2: longer than 1,048,576"):
            read_log(path, PROBLEM)

    def test_blank_lines_are_bounded(self, tmp_path):
        path = log(tmp_path, "period,ready\n" + "\n" * 10_005 + "1,1\n")
        with pytest.raises(MonitorError, match="more than 10,000 blank lines"):
            read_log(path, PROBLEM)

    def test_long_cells_are_quoted_short(self):
        with pytest.raises(MonitorError) as info:
            parse_log("period,ready\n" + "9" * 5000 + ",1\n", PROBLEM)
        assert "5,000 characters" in str(info.value) and len(str(info.value)) < 200

    def test_ordinary_logs_still_read(self, tmp_path):
        path = log(tmp_path, "\ufeffperiod,ready,demand\n1,1,4\n\n2,0,11\n3,1,2.0e0\n")
        assert read_log(path, PROBLEM).state.period == 4
        assert parse_log("period,ready,demand\n1,1,7/1\n", PROBLEM).state.ready_count == 1


def test_a_long_ready_cell_is_quoted_short():
    with pytest.raises(MonitorError, match=r"ready must be 0 or 1, got '1{40}'\.\.\. \(100,000 characters\)"):
        parse_log("period,ready\n1," + "1" * 100_000 + "\n", PROBLEM)
