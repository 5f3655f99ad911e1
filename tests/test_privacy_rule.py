"""The small-number rule itself (privacy.suppress), on frames written out here: what is hidden, what is left,
and that the result keeps the frame's rows, index and column order with the flags and labels after them.

The door and the pages rest on this one function; these cases pin its behaviour so that a faster way of
building the result cannot change what a user sees."""
import pandas as pd

from warehouse.queries import privacy


def _frame(index=None):
    return pd.DataFrame({
        "county": ["A", "A", "A", "B", "B"],
        "children": pd.array([3, 12, 40, 0, 9], dtype="Int64"),
        "rate": [0.1, 0.2, 0.3, 0.0, 0.5],
        "name": ["街道一", "街道二", "街道三", "街道四", "街道五"],
    }, index=index)


def test_small_counts_their_complements_and_what_derives_from_them_are_hidden():
    out = privacy.suppress(_frame(), ["children"], derived={"rate": "children"}, groups=[["county"]], t=5)
    assert list(out.columns) == ["county", "children", "rate", "name", "children_suppressed", "children_label"]
    # 3 is small; in county A it is the only hidden cell, so the smallest other (12) goes too; B has none
    assert out["children_suppressed"].tolist() == [True, True, False, False, False]
    assert out["children_label"].tolist() == ["<5", "*", "40", "0", "9"]
    assert out["children"].isna().tolist() == [True, True, False, False, False]
    assert out["rate"].isna().tolist() == [True, True, False, False, False]
    assert out["name"].tolist() == _frame()["name"].tolist()  # untouched columns stay as they were


def test_the_whole_frame_is_one_group_by_default():
    out = privacy.suppress(_frame(), ["children"], t=5)
    # one small cell (3): the smallest other non-zero cell of the frame (9, in county B) is hidden too
    assert out["children_label"].tolist() == ["<5", "12", "40", "0", "*"]


def test_only_rows_that_count_people_are_judged():
    df = _frame()
    out = privacy.suppress(df, ["children"], only={"children": df["county"] == "B"}, groups=[], t=5)
    assert not out["children_suppressed"].any()  # 3 is in county A, where the column counts no people


def test_a_count_hidden_before_stays_hidden_with_its_label():
    df = _frame()
    df["children_suppressed"] = [False, False, True, False, False]
    df["children_label"] = ["3", "12", "*", "0", "9"]
    out = privacy.suppress(df, ["children"], groups=[], t=2)
    assert out["children_label"].tolist()[2] == "*" and pd.isna(out["children"].iloc[2])
    assert list(out.columns) == list(df.columns)  # flags it had are updated in place, not added again


def test_rows_index_and_dtypes_are_kept_even_when_the_index_repeats():
    df = _frame(index=[7, 7, 3, 3, 1])
    out = privacy.suppress(df, ["children"], groups=[["county"]], t=5)
    assert out.index.tolist() == [7, 7, 3, 3, 1]
    assert out["children_label"].tolist() == ["<5", "*", "40", "0", "9"]
    assert str(out["children"].dtype) == "Int64" and out["children_suppressed"].dtype == bool
    assert df["children"].tolist() == [3, 12, 40, 0, 9]  # the caller's frame is not changed
