import pytest


@pytest.mark.parametrize("a", [1, 2, 3], ids=["one", "two", None])
def test_ids_list(a):
    pass


@pytest.mark.parametrize("a", [pytest.param(1, id="first"), pytest.param(2, marks=pytest.mark.slow), 3])
def test_param(a):
    pass


@pytest.mark.parametrize("a", [1, 1, "1", 2, "x", "x", "x0"])
def test_duplicates(a):
    pass


@pytest.mark.parametrize("a", [pytest.param(1, id="x"), pytest.param(2, id="x"), 3, "x0"])
def test_duplicate_param_ids(a):
    pass


@pytest.mark.parametrize("a", ["z", "y"], ids=[1, True])
def test_non_string_ids(a):
    pass


@pytest.mark.parametrize("a", ["LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL", "LLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLLL"])
def test_long_strings(a):
    pass
