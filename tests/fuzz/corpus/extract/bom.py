import pytest


def test_after_bom():
    pass
