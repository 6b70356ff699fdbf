import pytest


# a comment
@pytest.mark.a
# between decorators
@pytest.mark.b
def test_decorated():
    pass


def test_plain():
    pass


class TestLines:
    @pytest.mark.c
    def test_method(self):
        pass

    @staticmethod
    def test_static():
        pass
