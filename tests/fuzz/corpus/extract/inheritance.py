class Base:
    def test_base_only(self):
        pass

    def test_overridden(self):
        pass


class TestChild(Base):
    def test_child(self):
        pass

    def test_overridden(self):
        pass


class TestGrandChild(TestChild):
    def test_grand(self):
        pass
