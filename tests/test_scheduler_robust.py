"""Issue 24 item 7: ``--scheduler`` addresses that are not there.

Each printed the right line and then stalled 20 s to print dask's ``Exception ignored in
Client.__del__ ... TimeoutError``; a server that accepts connections and never answers hung
for over 100 s. The address is now checked before any connection, the scheduler must answer
within the timeout (``CONNECT_TIMEOUT``, 10 s; said in ``--help``) before a client is made,
and nothing is left to print at exit.
"""

from __future__ import annotations

import contextlib
import gc
import io
import socket
import threading

import pytest
from contracts import study_contract, write_contract
from test_cli_solve import assert_one_line_error, run_cli

pytest.importorskip("distributed")

from slamarkov.cli import main  # noqa: E402
from slamarkov.core import executor  # noqa: E402
from slamarkov.errors import SweepError  # noqa: E402

@pytest.fixture
def grid(tmp_path):
    return write_contract(tmp_path, "grid.toml", study_contract("[4, 5]"))


@pytest.fixture
def silent_server():
    """A local socket that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held, stop = [], threading.Event()

    def accept():
        server.settimeout(0.1)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


@pytest.mark.parametrize("address, rule", [
    ("tcp://", "must be tcp://host:port with a host and a port 1..65535"),
    ("tls://", "must be tls://host:port"),
    ("tcp://host:99999", "a port 1..65535"),
    ("inproc://", "an inproc address names a scheduler in this process"),
    ("http://host:80", "the protocol must be tcp or tls"),
    ("ucx://", "the protocol must be tcp or tls"),
    ("garbage", "must be an address such as tcp://host:8786"),
])
def test_addresses_that_are_not_there_are_one_quiet_line(grid, tmp_path, address, rule):
    code, out, err = run_cli("sweep", grid, "--out", tmp_path / "s.csv", "--scheduler", address)
    assert_one_line_error(code, out, err, "--scheduler", rule)
    assert "Exception ignored" not in err and not (tmp_path / "s.csv").exists()


def test_a_silent_server_is_given_up_on_within_the_timeout(grid, tmp_path, silent_server,
                                                           monkeypatch):
    monkeypatch.setattr(executor, "CONNECT_TIMEOUT", 0.5)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["sweep", str(grid), "--out", str(tmp_path / "s.csv"), "--scheduler",
                     silent_server])
        gc.collect()  # a half-made client would complain here
    assert code == 2
    assert err.getvalue().splitlines() == [
        f"slamarkov sweep: error: --scheduler: cannot reach {silent_server} (no answer in 0.5 s)"]


def test_a_refused_connection_is_bounded(monkeypatch):
    with pytest.raises(SweepError, match=r"^--scheduler: cannot reach tcp://127\.0\.0\.1:1 "):
        executor.connect("tcp://127.0.0.1:1", timeout=0.5)


def test_help_says_the_timeout():
    code, out, _err = run_cli("sweep", "--help")
    assert code == 0 and "times out after 10 s" in " ".join(out.split())
    assert executor.CONNECT_TIMEOUT == 10
