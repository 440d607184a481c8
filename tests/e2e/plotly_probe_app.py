"""A page that draws the cockpit's figure builders with hostile names (branch, staff, village, event,
customer, relationship kind) in axis labels, hover text, annotations, legend entries and node labels;
one bar chart with a raw name as the control that shows the check can see a link. Run by
test_plotly_names_as_text.py."""

import sys
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.e2e.plotly_probe_figures import NAMES, probe_figures  # noqa: E402

st.set_page_config(layout="wide")
with st.container(key="control"):
    st.plotly_chart(go.Figure(go.Bar(x=[1], y=[NAMES[0]], orientation="h")), key="control_chart")
with st.container(key="probe"):
    for position, (title, figure) in enumerate(probe_figures()):
        st.caption(title)
        st.plotly_chart(figure, key=f"probe_{position}")
