"""geoplan.models as a public package: the API on a plain matrix, the old name, the layer rule."""

from __future__ import annotations

import ast
import importlib
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import geoplan
from geoplan import models

PUBLIC = (
    "mclp",
    "lscp",
    "lscp_b",
    "p_median",
    "p_center",
    "capacitated_mclp",
    "capacitated_p_median",
    "equity_mclp",
    "Solution",
    "Reduction",
    "SolverName",
    "AUTO_EXACT_NONZEROS",
    "AUTO_BOUND_SECONDS",
)


def _matrix(seed=0, m=12, n=60, radius=0.3):
    rng = np.random.default_rng(seed)
    dist = np.linalg.norm(rng.random((m, 1, 2)) - rng.random((1, n, 2)), axis=2)
    return dist <= radius, rng.integers(0, 20, n).astype(float), dist


def test_the_package_is_public_and_exports_the_models():
    assert "models" in geoplan.__all__
    assert geoplan.models is models
    assert set(models.__all__) == set(PUBLIC)
    for name in PUBLIC:
        assert hasattr(models, name)


@pytest.mark.parametrize("solver", ["exact", "greedy", "auto"])
def test_mclp_on_a_dense_boolean_matrix_equals_the_sparse_one(solver):
    cover, w, _ = _matrix()
    dense = models.mclp(cover, w, 3, solver=solver)
    sparse = models.mclp(sp.csr_array(cover), w, 3, solver=solver)
    assert isinstance(dense, models.Solution)
    assert dense.chosen.tolist() == sparse.chosen.tolist()
    assert dense.objective == sparse.objective
    assert len(dense.chosen) == 3
    newly = np.any(cover[dense.chosen], axis=0)
    assert dense.objective == pytest.approx(w[newly].sum())
    assert dense.gap <= 1e-6 or solver == "greedy"


def test_every_model_runs_on_plain_matrices():
    cover, w, cost = _matrix(seed=1)
    groups = np.arange(cover.shape[1]) % 3
    results = [
        models.mclp(cover, w, 2),
        models.lscp(cover, w, target=0.5),
        models.p_median(cost, w, 2),
        models.p_center(cost, w, 2),
        models.capacitated_mclp(cover, w, 2, np.full(cover.shape[0], 50.0)),
        models.equity_mclp(cover, w, 2, groups),
        models.lscp_b(cover, w),
        models.capacitated_p_median(cost, w, 2, np.full(cover.shape[0], w.sum())),
    ]
    for sol in results:
        assert isinstance(sol, models.Solution)
        assert sol.chosen.size >= 1
        assert sol.status in ("optimal", "time limit", "heuristic")


def test_the_old_private_name_warns_and_gives_the_same_functions(monkeypatch):
    monkeypatch.delitem(sys.modules, "geoplan._models", raising=False)
    with pytest.warns(DeprecationWarning, match=r"geoplan\.models"):
        old = importlib.import_module("geoplan._models")
    del sys.modules["geoplan._models"]  # a later import warns again
    for name in PUBLIC:
        assert getattr(old, name) is getattr(models, name)
    assert set(old.__all__) == set(models.__all__)


def test_nothing_in_geoplan_imports_the_old_name():
    root = Path(geoplan.__file__).parent
    for path in root.rglob("*.py"):
        if path.name == "_models.py" and path.parent == root:
            continue
        for module in _imports(path):
            assert module != "geoplan._models", path


# highspy: HiGHS's own binding, for MILPs that start from the greedy sites (scipy's milp
# takes no starting solution)
ALLOWED = {
    "numpy",
    "scipy",
    "highspy",
    "geoplan._errors",
    "geoplan.settings",
    "geoplan.models",
}


def _imports(path):
    """Every module an ``import`` in ``path`` names (``from a import b``: ``a.b`` and ``a``)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                yield "geoplan.models"  # relative: inside the package
            elif node.module == "geoplan":
                yield from (f"geoplan.{alias.name}" for alias in node.names)
            else:
                yield node.module


def _allowed(module):
    top = module.split(".")[0]
    if top in sys.stdlib_module_names:
        return True
    return any(module == ok or module.startswith(ok + ".") for ok in ALLOWED)


def test_models_import_only_the_standard_library_numpy_scipy_highspy_and_the_ground_layer():
    package = Path(models.__file__).parent
    files = sorted(package.glob("*.py"))
    assert len(files) > 5
    bad = [(p.name, m) for p in files for m in _imports(p) if not _allowed(m)]
    assert bad == []


def test_the_layer_check_catches_a_forbidden_import(tmp_path):
    path = tmp_path / "x.py"
    path.write_text("import math\nfrom geoplan import network\nimport pandas\n")
    assert [m for m in _imports(path) if not _allowed(m)] == ["geoplan.network", "pandas"]
