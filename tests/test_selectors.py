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


def test_R_is_the_distance_from_the_origin_and_r_from_the_z_axis():
    """The point (0.06, 0.08, 0.02) is 0.1 m from the z axis and 0.102 m from the origin."""
    p = np.array([[0.06, 0.08, 0.02]])
    assert parse_predicate("r<=0.1000001")(p)[0] and not parse_predicate("R<=0.1000001")(p)[0]
    np.testing.assert_array_equal(parse_predicate("R>=0.1019")(p), [True])


@pytest.fixture(scope="module")
def box():
    import physsynth as ps
    from physsynth.mesh import Region

    mesh = ps.bar_mesh(0.1, 0.02, 0.01, (4, 1, 1))
    end = np.flatnonzero(mesh.points[:, 0] == 0.0)
    return ps.Mesh(mesh.points, mesh.cells, {"end": Region("end", 0, end), "top": Region("top", 0, end[:1])})


def test_resolve_names_what_a_selector_is(box):
    from physsynth.fem.selectors import resolve

    assert resolve(box, "end")[0] == "region"
    assert resolve(box, " boundary ")[0] == "keyword"
    assert resolve(box, "x<=0")[0] == "predicate"


@pytest.mark.parametrize("sel", ["ends", "Boundary", "all"])
def test_unknown_names_are_refused_with_the_regions(box, sel):
    from physsynth.fem.selectors import check_selectors

    with pytest.raises(SelectorError, match="regions: end, top"):
        check_selectors(box, [sel], keywords=("boundary",), option="--support")


@pytest.mark.parametrize("sel", [3, None, b"end"])
def test_selectors_must_be_text(box, sel):
    from physsynth.fem.selectors import check_selectors

    with pytest.raises(SelectorError, match="as text"):
        check_selectors(box, [sel])


def test_a_predicate_that_selects_no_node_is_refused_with_the_bounding_box(box):
    from physsynth.fem.selectors import check_selectors

    with pytest.raises(SelectorError, match="bounding box"):
        check_selectors(box, ["x<-0.001"])
    check_selectors(box, ["x<=0", "end", "all", "boundary"])  # each names something


def test_edge_midpoints_count_only_when_asked(box):
    """x == 0.0125 is halfway along the first cells: no node, only edge midpoints (P2 DOFs)."""
    from physsynth.fem.selectors import check_selectors

    with pytest.raises(SelectorError):
        check_selectors(box, ["x==0.0125"])
    check_selectors(box, ["x==0.0125"], midpoints=True)


def test_select_among_candidates(box):
    from physsynth.fem.selectors import select_among

    cand = np.arange(box.n_nodes)[::2]
    np.testing.assert_array_equal(select_among(box, "end", cand), np.intersect1d(box.regions["end"].nodes, cand))
    got = select_among(box, "x>=0.099", cand)
    assert np.all(box.points[got, 0] >= 0.099) and set(got) <= set(cand)
    with pytest.raises(SelectorError, match="regions: end, top"):
        select_among(box, "rim", cand, words=("surface",))
    with pytest.raises(SelectorError, match="selects none"):
        select_among(box, "x<-1", cand)
