import sys

collect_ignore = ["a.py"]
if sys.version_info < (3, 10):
    collect_ignore.append("py310_only.py")


def pytest_ignore_collect(collection_path, config):
    return None
