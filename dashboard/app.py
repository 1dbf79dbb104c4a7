"""The dashboard's entry file: login when configured, then the page the browser asked for."""

import streamlit as st

from dashboard.auth import require_login

st.set_page_config(page_title="Image Processor", page_icon="🖼️", layout="wide")
require_login()

PAGES = [
    st.Page("pages/live.py", title="Live", icon="📡", default=True, url_path="live"),
    st.Page("pages/gallery.py", title="Gallery", icon="🖼️", url_path="gallery"),
    st.Page("pages/upload.py", title="Upload", icon="⬆️", url_path="upload"),
    st.Page("pages/send.py", title="Send test event", icon="📨", url_path="send"),
    st.Page("pages/logs.py", title="Logs", icon="📜", url_path="logs"),
    st.Page("pages/health.py", title="Health", icon="🩺", url_path="health"),
]
st.navigation(PAGES).run()
