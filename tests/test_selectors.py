import numpy as np
import pytest

from physsynth.errors import SelectorError
from physsynth.fem.selectors import parse_predicate

P = np.array([[0.0, 0.0, 0.0], [0.1, 0.0, 0.05], [0.0, 0.09, 0.1], [0.06, 0.08, 0.02]])


@pytest.mark.parametrize(
    "text,expected",
    [
        ("z<=0.001", [True, False, False, False]),
        ("r>=0.089", [False, True, True, True]),
        ("0.04 < z", [False, True, True, False]),
        ("x>0.05 and z<0.03", [False, False, False, True]),
        ("x>0.05 & z<0.03 | z>0.09", [False, False, True, True]),
        ("z<0.01 or x>0.09 and z>0.04", [True, True, False, False]),
        ("R>=0.1", [False, True, True, True]),
        ("x==0.1", [False, True, False, False]),
    ],
)
def test_predicates(text, expected):
    np.testing.assert_array_equal(parse_predicate(text)(P), expected)


@pytest.mark.parametrize(
    "text", ["__import__('os').system('true')", "z <= ", "z <= abc", "q > 1", "x > 1 z < 2", "1 < 2", "z ** 2 > 1"]
)
def test_bad_predicates_are_refused(text):
    with pytest.raises(SelectorError):
        parse_predicate(text)
