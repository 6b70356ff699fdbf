from unittest import mock
from unittest.mock import patch

import pytest


@mock.patch("os.getcwd")
def test_patched(getcwd):
    pass


@patch.object(pytest, "skip")
@pytest.mark.parametrize("x", [1, 2])
def test_patched_object(skip, x):
    pass


@patch.dict("os.environ", {"A": "1"})
def test_patched_dict():
    pass
