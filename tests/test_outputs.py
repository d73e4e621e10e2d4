"""Issue 24, items 2, 10 and 11: an output path is written as a user expects, or refused in one line.

Every command that writes a file, pointed at a character device made with ``os.mknod`` (a copy of
the null device), exits 0 and leaves the node a character device (it was replaced by a regular
file before); pointed at a copy of the full device, it says "No space left on device" in one line,
exit 2, and the node stays a device. A folder where a file is expected, a socket and a named pipe
that nobody reads are refused in one line; names of 241 to 255 characters are written and a name
of 256 is refused in one line; ``--out LINK`` (a link to a folder) writes the folder it points to
and leaves no partial entry behind.
"""

from __future__ import annotations

import os
import socket
import stat
import threading
import time
from pathlib import Path

import pytest
from test_sweep_resume import GRID

from slamarkov.cli import main
from slamarkov.errors import OutputError
from slamarkov.io.atomic import atomic_dir, atomic_write, check_output, sibling_name

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = str(ROOT / "examples" / "contract.toml")
NULL, FULL = os.makedev(1, 3), os.makedev(1, 7)  # Linux's null and full devices

needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or not hasattr(os, "mknod"),
    reason="making a character device (os.mknod) needs root; CI runs as root")


def device(folder: Path, name: str, number=NULL) -> Path:
    path = folder / name
    os.mknod(path, stat.S_IFCHR | 0o666, number)
    return path


def is_device(path: Path) -> bool:
    return stat.S_ISCHR(os.lstat(path).st_mode)


def run(capsys, *argv):
    try:
        code = main([str(a) for a in argv])
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _writers(tmp: Path):
    """(command line without --out, the suffix its output takes, extra outputs)"""
    runs = tmp / "runs.csv"
    runs.write_text("ready_count\n" + "9\n8\n10\n" * 20)
    log = tmp / "log.csv"
    log.write_text("period,ready\n1,1\n")
    grid = tmp / "grid.toml"
    grid.write_text(GRID)
    return [
        (["solve", EXAMPLE], ".txt"),
        (["solve", EXAMPLE, "--format", "json"], ".json"),
        (["simulate", EXAMPLE, "--runs", "50", "--seed", "1"], ".csv"),
        (["validate", EXAMPLE, "--runs", runs], ".json"),
        (["graph", EXAMPLE], ".dot"),
        (["graph", EXAMPLE, "--inspect"], ".txt"),
        (["plot", EXAMPLE, "--kind", "policy"], ".png"),
        (["report", EXAMPLE], ".html"),
        (["monitor", EXAMPLE, "--log", log], ".txt"),
        (["reproduce", "saving", "--holding", "1", "--review-periods", "10"], ".md"),
        (["sweep", grid, "--workers", "1", "--no-progress"], ".csv"),
        (["design", grid, "--minimize", "cost_per_period", "--workers", "1"], ".csv"),
    ]


def _skip_missing(argv):
    if argv[0] == "plot":
        pytest.importorskip("matplotlib")
    if argv[0] == "report":
        pytest.importorskip("jinja2")
        pytest.importorskip("matplotlib")


@needs_root
class TestCharacterDevice:
    @pytest.mark.parametrize("k", range(12))
    def test_written_into_and_still_a_device(self, tmp_path, capsys, k):
        argv, suffix = _writers(tmp_path)[k]
        _skip_missing(argv)
        node = device(tmp_path, "out" + suffix)
        code, out, err = run(capsys, *argv, "--out", node)
        assert code in ((0, 1) if argv[0] == "validate" else (0,)), err  # 1: runs disagree
        assert is_device(node)
        assert f"wrote {node}" in out
        assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]

    @pytest.mark.parametrize("k", range(12))
    def test_full_device_is_one_line(self, tmp_path, capsys, k):
        argv, suffix = _writers(tmp_path)[k]
        _skip_missing(argv)
        node = device(tmp_path, "out" + suffix, FULL)
        code, out, err = run(capsys, *argv, "--out", node)
        assert code == 2 and err.count("\n") == 1, err
        assert err.endswith(f"{node}: cannot be written (No space left on device)\n"), err
        assert is_device(node)

    def test_design_table_and_figure_into_devices(self, tmp_path, capsys):
        pytest.importorskip("matplotlib")
        (tmp_path / "grid.toml").write_text(GRID)
        nodes = [device(tmp_path, n) for n in ("best.csv", "all.json", "front.png")]
        code, out, err = run(capsys, "design", tmp_path / "grid.toml", "--minimize",
                             "cost_per_period", "--workers", "1", "--out", nodes[0],
                             "--table", nodes[1], "--figure", nodes[2])
        assert code == 0, err
        assert all(is_device(n) for n in nodes)

    def test_reproduce_carry_over_table_and_figure_into_devices(self, tmp_path, capsys):
        pytest.importorskip("matplotlib")
        table, figure = device(tmp_path, "t.md"), device(tmp_path, "f.png")
        code, out, err = run(capsys, "reproduce", "carry-over", "--review-periods", "10",
                             "--holding", "1", "--figure", figure, "--out", table)
        assert code == 0, err
        assert is_device(table) and is_device(figure)

    @pytest.mark.parametrize("argv", [
        ["chain", EXAMPLE, "--review-period", "4"],
        ["reproduce", "all", "--review-periods", "10", "--holding", "1"],
    ])
    def test_a_folder_output_refuses_a_device(self, tmp_path, capsys, argv):
        node = device(tmp_path, "out")
        code, out, err = run(capsys, *argv, "--out", node)
        assert code == 2 and err.count("\n") == 1, err
        assert "exists and is not a folder" in err
        assert is_device(node)


class TestRefused:
    def test_folder(self, tmp_path, capsys):
        code, _, err = run(capsys, "solve", EXAMPLE, "--out", tmp_path)
        assert code == 2
        assert err == f"slamarkov solve: error: {tmp_path}: is a folder; give a file name\n"

    def test_socket(self, tmp_path, capsys):
        path = tmp_path / "s.txt"
        sock = socket.socket(socket.AF_UNIX)
        try:
            sock.bind(str(path))
            code, _, err = run(capsys, "solve", EXAMPLE, "--out", path)
        finally:
            sock.close()
        assert code == 2
        assert err == f"slamarkov solve: error: {path}: is a socket; give a file name\n"
        assert stat.S_ISSOCK(os.lstat(path).st_mode)

    def test_fifo_without_reader(self, tmp_path, capsys):
        path = tmp_path / "p.txt"
        os.mkfifo(path)
        code, _, err = run(capsys, "solve", EXAMPLE, "--out", path)
        assert code == 2
        assert err == (f"slamarkov solve: error: {path}: is a named pipe with no reader; give a "
                       "file name\n")
        assert stat.S_ISFIFO(os.lstat(path).st_mode)

    def test_fifo_with_reader_is_written(self, tmp_path):
        path = tmp_path / "p.txt"
        os.mkfifo(path)
        got = []
        opened = threading.Event()

        def reader():
            # the read end stays open from the start (so the writer finds a reader); a read
            # before the writer opens sees end-of-file, so read until data then end-of-file
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
            opened.set()
            data, deadline = b"", time.monotonic() + 10
            try:
                while time.monotonic() < deadline:
                    try:
                        chunk = os.read(fd, 4096)
                    except BlockingIOError:  # a writer, nothing written yet
                        chunk = None
                    if chunk:
                        data += chunk
                    elif chunk == b"" and data:  # the writer closed after writing
                        break
                    else:
                        time.sleep(0.005)
            finally:
                os.close(fd)
            got.append(data)

        t = threading.Thread(target=reader)
        t.start()
        opened.wait(10)
        atomic_write(path, "through the pipe\n")
        t.join(10)
        assert got == [b"through the pipe\n"] and stat.S_ISFIFO(os.lstat(path).st_mode)

    def test_under_a_file(self, tmp_path):
        (tmp_path / "f").write_text("x")
        with pytest.raises(OutputError, match=r"cannot be written \(.*f is not a folder\)$"):
            check_output(tmp_path / "f" / "out.txt")


class TestLongNames:
    @pytest.mark.parametrize("n", [241, 248, 251, 255])
    def test_legal_names_are_written(self, tmp_path, capsys, n):
        path = tmp_path / ("n" * (n - 4) + ".txt")
        code, out, err = run(capsys, "solve", EXAMPLE, "--out", path)
        assert code == 0, err
        assert path.read_text().startswith("lump-sum SLA")
        assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]

    @pytest.mark.parametrize("n", [241, 255])
    def test_legal_folder_names_are_written(self, tmp_path, capsys, n):
        path = tmp_path / ("d" * n)
        code, out, err = run(capsys, "chain", EXAMPLE, "--review-period", "4", "--out", path)
        assert code == 0, err
        assert (path / "Q.npz").exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]

    def test_a_sweep_table_with_a_long_name(self, tmp_path, capsys):
        (tmp_path / "grid.toml").write_text(GRID)
        path = tmp_path / ("t" * 251 + ".csv")
        code, out, err = run(capsys, "sweep", tmp_path / "grid.toml", "--out", path,
                             "--workers", "1", "--no-progress")
        assert code == 0, err
        assert sorted(p.name for p in tmp_path.iterdir()) == ["grid.toml", path.name]

    @pytest.mark.parametrize("argv", [["solve", EXAMPLE], ["chain", EXAMPLE],
                                      ["reproduce", "all"]])
    def test_too_long_is_one_line(self, tmp_path, capsys, argv):
        path = tmp_path / ("n" * 256)
        code, _, err = run(capsys, *argv, "--out", path)
        assert code == 2 and err.count("\n") == 1, err
        assert err.rstrip().endswith(f"{path}: cannot be written (File name too long)") or \
            err.rstrip().endswith(f"{path} cannot be written (File name too long)"), err

    def test_sibling_names_fit_and_differ(self):
        a = sibling_name("a" * 255, ".", ".partial-123-", reserve=8)
        b = sibling_name("a" * 254 + "b", ".", ".partial-123-", reserve=8)
        assert len(a) + 8 <= 255 and len(b) + 8 <= 255 and a != b
        assert sibling_name("a" * 255, ".", ".partial-123-", reserve=8) == a


class TestSymlinks:
    def test_link_to_a_folder_writes_the_folder(self, tmp_path, capsys):
        target = tmp_path / "target"
        target.mkdir()
        link = tmp_path / "LINK"
        link.symlink_to(target, target_is_directory=True)
        for _ in range(2):  # a new folder, then a replaced one
            code, _, err = run(capsys, "chain", EXAMPLE, "--review-period", "4", "--out", link)
            assert code == 0, err
            assert link.is_symlink() and (target / "Q.npz").exists()
            assert sorted(p.name for p in tmp_path.iterdir()) == ["LINK", "target"]

    def test_link_to_a_file_writes_the_file(self, tmp_path, capsys):
        target = tmp_path / "report.txt"
        target.write_text("old")
        link = tmp_path / "r.txt"
        link.symlink_to(target)
        code, _, err = run(capsys, "solve", EXAMPLE, "--out", link)
        assert code == 0, err
        assert link.is_symlink() and target.read_text().startswith("lump-sum SLA")

    def test_stale_link_from_a_killed_writer_is_removed(self, tmp_path):
        target = tmp_path / "target"
        target.mkdir()
        stale = tmp_path / ".out.partial-999999999-abcdefgh"  # no such process
        stale.symlink_to(target, target_is_directory=True)
        with atomic_dir(tmp_path / "out") as tmp:
            (tmp / "a.txt").write_text("a")
        assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "target"]
