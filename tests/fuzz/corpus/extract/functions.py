import pytest


def test_one():
    pass


async def test_async():
    pass


def helper():
    pass


def testing_prefix_also_matches():
    pass


def Test_capital_is_not_a_function_test():
    pass


test_data = [1, 2, 3]
