"""The dashboard's entry file: builds the pages and runs the one the browser asked for."""

import streamlit as st

st.set_page_config(page_title="Image Processor", page_icon="🖼️", layout="wide")

pages = [
    st.Page("pages/live.py", title="Live", icon="📡", default=True),
]
st.navigation(pages).run()
