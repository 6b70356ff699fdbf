import pytest
from pytest import mark

pytestmark = [pytest.mark.module_mark, pytest.mark.filterwarnings("ignore")]


@pytest.mark.slow
@mark.fast
def test_marked():
    pass


@pytest.mark.cls_mark
class TestMarked:
    pytestmark = pytest.mark.body_mark

    @pytest.mark.skipif(False, reason="never")
    def test_method(self):
        pass

    @pytest.mark.parametrize("a", [pytest.param(1, marks=[pytest.mark.xfail, pytest.mark.p1]), 2])
    def test_param_marks(self, a):
        pass
