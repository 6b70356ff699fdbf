import pytest

pytestmark = pytest.mark.parametrize("m", [10, 20])


@pytest.mark.parametrize("c", ["\xe9", pytest.param(1, id="1"), 1], ids=["e", None, "1"])
class TestShared:
    @pytest.mark.parametrize("f", [True])
    def test_first(self, c, f, m):
        pass

    def test_second(self, c, m):
        pass


def test_module_level(m):
    pass
