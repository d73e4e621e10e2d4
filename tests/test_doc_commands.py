"""Every command line the documentation shows runs as written (issue 23, item 1).

The command lines are read from the ``bash`` blocks of README.md and docs/*.md, from inline code
spans that are whole commands (`` `slamarkov reproduce published` ``), and from every command's
``--help`` text (its lines that start with ``slamarkov``). Each runs in a fresh temporary folder
holding what the documentation tells a user to have: ``examples/`` (a clone's), the contract
file and grid file the page shows (``contract.toml``, ``grid.toml``), a monitor log
(``log.csv``), and any file an earlier command of the same page writes with ``--out`` (that
command runs first). A line passes when it exits with the code its comment documents
(``# exit 1: ...``), 0 otherwise.

Lines that are not the product's commands (``pip``, ``pytest``, ``sphinx-build``, benchmarks)
and lines that need what a test cannot have (a Dask cluster at a placeholder address) are not
run: they are listed in :data:`NOT_RUN` with the reason, and a test fails when a documented line
is left out without one, so nothing is skipped silently. The commands that take seconds are
marked ``slow`` (still run by default).
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
import shutil
from pathlib import Path

import pytest

from slamarkov.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

#: line prefixes that are not the product's commands, and why they do not run here
NOT_RUN = {
    "pip install": "installs the package (the test runs the installed package)",
    "python -m pytest": "the test suite itself",
    "sphinx-build": "builds the documentation site (CI's docs job)",
    "python benchmarks/": "benchmarks print timings (CI's benchmark job)",
}
#: inline code spans that name a command or a flag in a sentence, not a line to type
PHRASES = {
    "slamarkov reproduce": "model.md names the command",
    "slamarkov solve --exact": "README's sentence on ContinuousUniform's static policy "
                               "(test_the_sentence_on_solve_exact runs it)",
}
#: documented commands that need what a test cannot have
NEEDS_CLUSTER = "--scheduler tcp://host:8786"

#: commands that take seconds: marked slow (still run by default)
SLOW = ("reproduce all", "reproduce carry-over", "--simulate 18445", "--runs 18445",
        "sweep grid.toml", "design grid.toml", "reproduce ready-rate --scheme lump-sum --format",
        "reproduce ready-rate --scheme linear", "reproduce cost", "reproduce saving",
        "reproduce stock")

#: a monitor log: 6 periods of the example contract (T = 10), 5 of them ready
LOG = "period,ready,demand\n1,1,4\n2,1,6\n3,0,11\n4,1,3\n5,1,5\n6,1,2\n"


def _commands_of(text: str) -> list[tuple[str, int]]:
    """(command, expected exit code) of every line of the bash blocks and whole-command code
    spans of a page, continuation lines joined, ``&&`` chains split."""
    found = []
    for block in re.findall(r"```bash\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            found.extend(_split(line))
    subcommands = _subcommands()
    for span in re.findall(r"`((?:python -m slamarkov(?:\.cli)? |slamarkov )[^`]+)`", text):
        words = span.split()
        name = words[3] if words[0] == "python" else words[1]
        bare = len(words) == (4 if words[0] == "python" else 2)  # names a command in a sentence
        if name in subcommands and span not in PHRASES and not bare:
            found.extend(_split(span))
    return found


def _split(line: str) -> list[tuple[str, int]]:
    code, *comment = re.split(r"\s+#(?=\s|$)", line, maxsplit=1)
    comment = comment[0] if comment else ""
    code = code.strip()
    if not code or code.startswith("#"):
        return []
    m = re.match(r"\s*exit (\d+)", comment)
    expected = int(m.group(1)) if m else 0
    return [(part.strip(), expected) for part in code.split("&&")]


def _subcommands() -> set:
    parser = build_parser()
    subs = [a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction"]
    return set(subs[0].choices)


def _help_commands() -> list[tuple[str, int]]:
    """Lines of the commands' --help texts that start with ``slamarkov`` (examples)."""
    parser = build_parser()
    texts = [parser.format_help()]
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            for sub in dict.fromkeys(action.choices.values()):
                texts.append(sub.format_help())
                for a in sub._actions:
                    if a.__class__.__name__ == "_SubParsersAction":
                        texts += [s.format_help() for s in dict.fromkeys(a.choices.values())]
    found, subcommands = [], _subcommands()
    for text in texts:
        for line in text.splitlines():
            words = line.split()
            if len(words) > 2 and words[0] == "slamarkov" and words[1] in subcommands:
                found.extend(_split(line.strip()))
    return found


def documented() -> list[tuple[str, str, int]]:
    """(page, command, expected exit code) of every documented command line, in page order."""
    out = []
    for page in PAGES:
        for cmd, code in _commands_of(page.read_text(encoding="utf-8")):
            out.append((page.name, cmd, code))
    for cmd, code in _help_commands():
        out.append(("--help", cmd, code))
    first = {}
    for page, cmd, code in out:  # a line shown on two pages runs once (the first page's files)
        first.setdefault(cmd, (page, cmd, code))
    return list(first.values())


def _runnable(cmd: str) -> bool:
    return cmd.startswith(("slamarkov ", "python -m slamarkov"))


def _argv(cmd: str) -> list[str]:
    words = shlex.split(cmd)
    if words[0] == "python":
        words = words[2:]  # python -m slamarkov[.cli]
    return words[1:]


def _page_files(page: str) -> dict:
    """The files a page tells its reader to write: the blocks it says to save ("Save this as
    `NAME`" before a block, "Save the file above as `NAME`" after one), then its contract file
    and its grid file."""
    files = {}
    path = ROOT / page if page == "README.md" else ROOT / "docs" / page
    if not path.exists():
        return files
    text = path.read_text(encoding="utf-8")
    for m in re.finditer(r"[Ss]ave\s+(this|the file above)\s+as\s+`([^`]+)`", text):
        if m.group(1) == "this":
            block = re.search(r"```\w*\n(.*?)```", text[m.end():], re.S)
        else:
            block = ([None] + list(re.finditer(r"```\w*\n(.*?)```", text[:m.start()], re.S)))[-1]
        if block is not None:
            files.setdefault(m.group(2), block.group(1))
    for block in re.findall(r"```toml\n(.*?)```", text, re.S):
        if "{start" in block or re.search(r"= \[\d", block):
            files.setdefault("grid.toml", block)
        elif "[contract]" in block:
            files.setdefault("contract.toml", block)
    return files


def _producer(page: str, name: str, cases: list, before: str | None = None):
    """The documented command that writes ``name`` with ``--out``: on ``page``, the nearest one
    shown before the line ``before`` (a reader runs a page top to bottom), else the page's
    first; else the first page's that shows it (a line shown on two pages is listed once)."""
    writes = [(i, p, cmd, code) for i, (p, cmd, code) in enumerate(cases)
              if _runnable(cmd) and re.search(rf"--out {re.escape(name)}(\s|$)", cmd)]
    at = next((i for i, (p, cmd, _) in enumerate(cases) if p == page and cmd == before),
              len(cases))
    same = [w for w in writes if w[1] == page]
    earlier = [w for w in same if w[0] < at]
    for _, _, cmd, code in (earlier[-1:] or same[:1] or writes[:1]):
        return cmd, code
    return None


def run(cmd: str):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(_argv(cmd))
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


CASES = documented()
RUN = [c for c in CASES if _runnable(c[1]) and NEEDS_CLUSTER not in c[1]]


def _param(case):
    page, cmd, code = case
    marks = [pytest.mark.slow] if any(s in cmd for s in SLOW) else []
    return pytest.param(page, cmd, code, id=f"{page}: {cmd[:70]}", marks=marks)


class TestTheListIsHonest:
    def test_the_sentence_on_solve_exact(self, tmp_path):
        # README: "slamarkov solve --exact refuse[s] it in one line" for ContinuousUniform
        text = (ROOT / "examples" / "contract.toml").read_text(encoding="utf-8")
        (tmp_path / "u.toml").write_text(text.replace('kind = "poisson"', 'kind = "uniform"')
                                         .replace("mean = 5", "low = 0\nhigh = 10"))
        code, out, err = run(f"slamarkov solve {tmp_path / 'u.toml'} --exact")
        assert code == 2 and err.count("\n") == 1 and "no exact solution" in err, err

    def test_every_page_has_its_commands_found(self):
        pages = {page for page, _, _ in CASES}
        assert {"README.md", "installation.md"} <= pages
        assert len(RUN) >= 40

    def test_every_line_not_run_is_declared(self):
        for page, cmd, _ in CASES:
            if _runnable(cmd):
                continue
            assert any(cmd.startswith(prefix) for prefix in NOT_RUN), (
                f"{page}: {cmd!r} is neither a slamarkov command nor declared in NOT_RUN")

    def test_only_the_cluster_line_is_left_out(self):
        left = [cmd for _, cmd, _ in CASES if _runnable(cmd) and NEEDS_CLUSTER in cmd]
        assert left == ["slamarkov reproduce all --out study/ --scheduler tcp://host:8786"]

    def test_the_extraction_reads_comments_and_continuations(self):
        text = ("```bash\nslamarkov a x \\\n    --y 1   # exit 1: inconsistent\n"
                "pip install . && slamarkov b\n```\nsee `slamarkov solve f.toml` and "
                "`slamarkov COMMAND --help`\n")
        assert _commands_of(text) == [("slamarkov a x      --y 1", 1), ("pip install .", 0),
                                      ("slamarkov b", 0), ("slamarkov solve f.toml", 0)]


@pytest.mark.parametrize("page, cmd, expected", [_param(c) for c in RUN])
def test_documented_command_runs(page, cmd, expected, tmp_path, monkeypatch):
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    for name, text in _page_files(page).items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    if not (tmp_path / "log.csv").exists():
        (tmp_path / "log.csv").write_text(LOG, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for name in re.findall(r"(?:--runs|--log|^slamarkov \w+) (\S+\.csv)", cmd) + re.findall(
            r"^slamarkov design (\S+\.csv)", cmd):
        if not (tmp_path / name).exists():
            made = _producer(page, name, CASES, cmd)
            assert made is not None, f"{page}: {cmd!r} needs {name}, which no command writes"
            code, out, err = run(made[0])
            assert code == made[1], (made[0], code, err)
    code, out, err = run(cmd)
    assert code == expected, f"{page}: {cmd!r} exited {code}, documented {expected}:\n{err}"
