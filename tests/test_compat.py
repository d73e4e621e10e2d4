"""The public names of slamarkov 0.1 stay importable from where they were (issue 19).

tests/data/old_public_names.json lists every public name of every public module of 0.1 (read
off its sources before the regroup). A module that became a package of the same name
(``slamarkov.chain``, ``slamarkov.solve``, ...) still exports them; a module that moved
(``slamarkov.contract``, ``slamarkov.graph``, ...) serves them from their new home with a
DeprecationWarning naming it.
"""

from __future__ import annotations

import importlib
import json
import warnings
from pathlib import Path

import pytest

import slamarkov
from slamarkov._compat import LIFTED, MOVED

OLD = json.loads((Path(__file__).parent / "data" / "old_public_names.json").read_text())
CASES = [(module, name) for module, names in OLD.items() for name in names]


@pytest.mark.parametrize("module,name", CASES)
def test_every_name_of_0_1_is_importable(module, name):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        obj = getattr(importlib.import_module(module), name)
    assert obj is not None or name.isupper()
    warned = [w for w in caught if issubclass(w.category, DeprecationWarning)]
    if module in MOVED or (module in LIFTED and name not in vars(importlib.import_module(module))):
        assert len(warned) == 1 and "has moved to slamarkov." in str(warned[0].message)
    else:
        assert warned == [], (module, name)


def test_an_old_path_names_the_new_home():
    with pytest.warns(DeprecationWarning, match=r"slamarkov\.policy\.Policy has moved to "
                                                r"slamarkov\.chain\.policy\.Policy"):
        from slamarkov.policy import Policy
    assert Policy is slamarkov.Policy


def test_an_old_module_path_is_an_attribute_of_the_package():
    import slamarkov.contract

    with pytest.warns(DeprecationWarning):
        assert slamarkov.contract.Contract is slamarkov.Contract
    assert callable(slamarkov.monitor)  # the function, not the old module of the same name


def test_an_unknown_name_is_an_attribute_error():
    import slamarkov.graph

    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        slamarkov.graph.nothing_here  # noqa: B018


def test_the_package_itself_uses_no_old_path(tmp_path):
    # the pytest configuration turns such a warning into an error; here the check that it can
    with pytest.raises(DeprecationWarning):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            slamarkov.graph.policy_graph  # noqa: B018
