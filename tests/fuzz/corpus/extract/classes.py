class TestA:
    def test_method(self):
        pass

    @staticmethod
    def test_static():
        pass

    @classmethod
    def test_class_method(cls):
        pass

    def helper(self):
        pass

    class TestNested:
        def test_inner(self):
            pass

        class TestDeeper:
            def test_deepest(self):
                pass

    class NotATestClass:
        def test_hidden(self):
            pass


class Helper:
    def test_not_collected(self):
        pass


class TestB(object):
    def test_b(self):
        pass
