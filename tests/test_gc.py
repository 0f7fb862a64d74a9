"""Fewer cyclic collections while a study loads, runs and is written; the user's setting after."""

from __future__ import annotations

import gc

import pytest

import geoplan
from geoplan._gc import THRESHOLDS, fewer_collections
from geoplan.config import parse_config
from geoplan.study import Study, run_study
from tests.test_study import _synthetic_config

USERS = (1_234, 5, 6)  # a notebook's own thresholds, to be found again after each call


@pytest.fixture
def users_thresholds():
    before = gc.get_threshold()
    gc.set_threshold(*USERS)
    yield
    gc.set_threshold(*before)


def test_the_thresholds_hold_inside_and_come_back_after_an_error(users_thresholds):
    with fewer_collections():
        assert gc.get_threshold() == THRESHOLDS
        with fewer_collections():  # nested: the outer block's setting after the inner
            pass
        assert gc.get_threshold() == THRESHOLDS
    assert gc.get_threshold() == USERS
    with pytest.raises(KeyError), fewer_collections():
        raise KeyError("a failure inside")
    assert gc.get_threshold() == USERS
    assert gc.isenabled()


def test_loading_running_and_writing_a_study_collect_less_and_restore(
    users_thresholds, tmp_path, monkeypatch
):
    import geoplan.outputs.run as run_module
    from geoplan._loader import Loader

    seen: dict[str, tuple[int, int, int]] = {}
    load, write_all = Loader.load, run_module.write_all

    def loading(self):
        seen["load"] = gc.get_threshold()
        return load(self)

    def writing(*args, **kwargs):
        seen["write"] = gc.get_threshold()
        return write_all(*args, **kwargs)

    monkeypatch.setattr(Loader, "load", loading)
    monkeypatch.setattr(run_module, "write_all", writing)
    config = parse_config(_synthetic_config(outputs={"maps": False}))
    study = Study.from_config(config)
    assert gc.get_threshold() == USERS
    result = run_study(study, on_step=lambda step: seen.setdefault(step, gc.get_threshold()))
    assert gc.get_threshold() == USERS
    geoplan.write_run(result, tmp_path / "run")
    assert gc.get_threshold() == USERS
    assert seen["load"] == seen["life_circles"] == seen["coverage"] == THRESHOLDS
    assert seen["write"] == THRESHOLDS
