import pytest


@pytest.mark.parametrize(
    "v",
    [
        0, -1, +2, 0x1F, 0o17, 0b101, 1_000,
        123456789012345678901234567890,
        1.0, 0.1, -0.0, 1e16, 1e-05, 1.5e300, 2.5j, 1e400,
        "plain", "tab\there", "new\nline", "back\\slash", "é", "日本", "\U0001F600", "\x00\x7f",
        r"raw\d", "con" "cat", """triple""", "",
        b"bytes", b"\xff\x00\\", rb"\n",
        None, True, False,
        (1, 2), [1], {}, {"a": 1}, {1}, lambda: 1, ...,
    ],
)
def test_values(v):
    pass
