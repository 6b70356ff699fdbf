import pytest


@pytest.mark.parametrize("a", [1, 2])
def test_single(a):
    pass


@pytest.mark.parametrize("a,b", [(1, 2), (3, 4)])
def test_comma_string(a, b):
    pass


@pytest.mark.parametrize(" a , b ", [[1, 2]])
def test_spaces(a, b):
    pass


@pytest.mark.parametrize(["a", "b"], [(1, 2)])
def test_list_names(a, b):
    pass


@pytest.mark.parametrize(("a",), [(1,), (2,)])
def test_tuple_names(a):
    pass


@pytest.mark.parametrize("a,", [(1,), (2,)])
def test_trailing_comma(a):
    pass


@pytest.mark.parametrize(argnames="a", argvalues=(5, 6))
def test_keywords(a):
    pass


@pytest.mark.parametrize("a", [(1, 2), [3]])
def test_single_name_container_values(a):
    pass


@pytest.mark.parametrize("fix", ["x"], indirect=True)
def test_indirect(fix):
    pass
