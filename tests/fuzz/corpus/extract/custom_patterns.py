# fst-config: python_functions=check_,*_spec python_classes=Suite,*Tests
def check_one():
    pass


def login_spec():
    pass


def test_not_matched():
    pass


class SuiteA:
    def check_method(self):
        pass


class LoginTests:
    def check_login(self):
        pass


class TestIgnored:
    def check_x(self):
        pass
