"""``slamarkov chain --out``: the matrix files it writes (issue 12: sparse N, compression a flag)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from slamarkov import solve_dynamic
from slamarkov.chain import AbsorbingChain
from slamarkov.cli import main
from slamarkov.model.config import load_config

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "contract.toml"


def written(capsys, tmp_path, *flags):
    out = tmp_path / "chain"
    code = main(["chain", str(EXAMPLE), "--review-period", "12", "--out", str(out), *flags])
    _, err = capsys.readouterr()
    assert code == 0, err
    return out


@pytest.fixture
def chain():
    cfg = load_config(EXAMPLE, {"contract.review_period": 12})
    return AbsorbingChain(solve_dynamic(cfg.problem, **cfg.solver_options()).policy)


@pytest.mark.parametrize("flags, method", [((), zipfile.ZIP_STORED), (("--compress",), zipfile.ZIP_DEFLATED)])
def test_matrices_written_and_compression_is_a_flag(capsys, tmp_path, chain, flags, method):
    out = written(capsys, tmp_path, *flags)
    assert sorted(p.name for p in out.iterdir()) == ["B.npz", "N.npz", "Q.npz", "R.npz", "states.csv"]
    for name in ("Q.npz", "R.npz", "N.npz", "B.npz"):
        with zipfile.ZipFile(out / name) as z:
            assert {info.compress_type for info in z.infolist()} == {method}
    N = sparse.load_npz(out / "N.npz")
    B = sparse.load_npz(out / "B.npz")
    t = chain.n_transient
    np.testing.assert_allclose(N.toarray(), np.linalg.inv(np.eye(t) - chain.Q.toarray()), rtol=0, atol=1e-13)
    np.testing.assert_array_equal(B.toarray(), chain.absorption_matrix())
    assert (sparse.load_npz(out / "Q.npz") != chain.Q).nnz == 0


def test_help_names_the_default(capsys):
    with pytest.raises(SystemExit):
        main(["chain", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--compress" in text and "default: uncompressed" in text
