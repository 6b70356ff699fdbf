from __future__ import annotations
import os
import os.path as p, sys
from collections import abc


def test_x():
    import json
    from . import sibling
    from ..pkg.mod import thing as other
    from xml.etree import ElementTree

    if True:
        import email.mime
