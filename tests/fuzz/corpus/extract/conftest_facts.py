import pytest

pytest_plugins = ["myplugin"]

collect_ignore = ["setup.py", "build"]
collect_ignore += ["docs"]
collect_ignore_glob = ["*_old.py"]


def pytest_collection_modifyitems(config, items):
    pass


@pytest.hookimpl(tryfirst=True)
def pytest_collect_file(parent, file_path):
    return None


def pytest_make_parametrize_id(config, val, argname):
    return None
