import pytest


@pytest.mark.parametrize("x", [1, 2])
@pytest.mark.parametrize("y", ["a", "b"])
def test_stacked(x, y):
    pass


@pytest.mark.parametrize("x", [1], ids=["i"])
@pytest.mark.slow
@pytest.mark.parametrize("y,z", [(1, 2), (3, 4)])
def test_stacked_with_mark(x, y, z):
    pass
