class TestOff:
    __test__ = False

    def test_x(self):
        pass


class CheckOn:
    __test__ = True

    def test_y(self):
        pass


def test_z():
    pass
