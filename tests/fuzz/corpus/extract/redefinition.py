def test_a():
    pass


def test_b():
    pass


def test_a(x=1):
    pass


class TestC:
    def test_m(self):
        pass

    def test_m(self):
        pass


test_b = None
