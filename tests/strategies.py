"""Hypothesis strategies shared by the tests."""

from __future__ import annotations

from hypothesis import strategies as st

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(exclude_categories=("Cs",)), max_size=20)
)
"""Values every JSON-like codec should carry: no NaN, no lone surrogates, int64."""

json_documents = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(
            st.text(st.characters(exclude_categories=("Cs",)), max_size=8), children, max_size=5
        )
    ),
    max_leaves=30,
)
"""Arbitrary JSON-like documents (dict keys are str)."""

json_objects = st.dictionaries(
    st.text(st.characters(exclude_categories=("Cs",)), max_size=8), json_documents, max_size=6
)
