import pytest


@pytest.mark.parametrize("a", [])
def test_empty(a):
    pass


@pytest.mark.parametrize("a,b", [])
@pytest.mark.parametrize("c", [1, 2])
def test_empty_stacked(a, b, c):
    pass
