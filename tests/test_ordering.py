"""xdist_group joining: which plan units run together, and on which worker."""

from __future__ import annotations

from pytest_fastest.ordering import xdist_groups
from pytest_fastest.plan import Unit


def _units(*costs: float) -> list[Unit]:
    return [
        Unit(f"/t/test_{i}.py", f"test_{i}.py", cost, worker=i % 2) for i, cost in enumerate(costs)
    ]


def test_files_linked_through_shared_names_form_one_group_led_by_the_costliest() -> None:
    units = _units(1.0, 3.0, 2.0, 5.0)
    groups = {
        "/t/test_0.py": ["db"],
        "/t/test_1.py": ["db", "net"],  # links db and net
        "/t/test_2.py": ["net"],
    }
    members = xdist_groups(groups, units)
    together = [units[1], units[0], units[2]]  # costliest first, then plan order
    assert members == {unit.path: together for unit in together}
    assert "/t/test_3.py" not in members


def test_a_group_within_one_file_or_outside_the_plan_changes_nothing() -> None:
    units = _units(1.0, 2.0)
    assert xdist_groups({"/t/test_0.py": ["db"], "/elsewhere/test_x.py": ["db"]}, units) == {}
    assert xdist_groups({}, units) == {}
