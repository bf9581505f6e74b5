"""Hypothesis strategies shared by the drift tests: small, varied, fast."""

from __future__ import annotations

from hypothesis import strategies as st

# Bounded floats: the statistics are exact on them and overflow is not what these tests are about.
finite_floats = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
# Few distinct values: exercises ties, PSI's value bins and constant columns.
tied_floats = st.integers(min_value=0, max_value=14).map(float)

numeric_samples = st.one_of(
    st.lists(finite_floats, min_size=2, max_size=150),
    st.lists(tied_floats, min_size=2, max_size=150),
)
categories = st.sampled_from(["a", "b", "c", "d", "e", "f"])
categorical_samples = st.lists(categories, min_size=2, max_size=150)
