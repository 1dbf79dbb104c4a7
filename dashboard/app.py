"""The dashboard's entry file: login when configured (or refused when required and not), then the page the
browser asked for. dashboard/server.py serves it behind the login gate."""

from pathlib import Path

import streamlit as st

from dashboard.auth import require_login
from dashboard.resources import aws_clients
from dashboard.roles import LOGIN_OFF, send_refused, upload_refused, visitor

# The tab's icon is a file the dashboard serves itself: a :material/…: page icon makes every browser fetch it
# from fonts.gstatic.com, a request that leaves the machine (and fails offline).
ICON = Path(__file__).parent / "assets" / "favicon.png"
st.set_page_config(page_title="Image Processor", page_icon=str(ICON), layout="wide")
require_login(aws_clients().settings.require_login)
person = visitor()
if person.who != LOGIN_OFF:
    st.sidebar.caption(f"Role: {person.role.value}" + ("" if person.operates else " (read-only)"))

# Material icons, not emoji: Streamlit ships their font, while emoji draw as empty boxes on a machine
# without an emoji font.
# The scripts live in screens/, not pages/: a pages/ folder makes Streamlit serve its scripts directly
# on a deep link (e.g. /upload) until someone opens /, skipping this file and its login gate.
PAGES = [
    # The default page is served at / (it has no path of its own).
    st.Page("screens/live.py", title="Live", icon=":material/sensors:", default=True),
    st.Page("screens/gallery.py", title="Gallery", icon=":material/photo_library:", url_path="gallery"),
    st.Page("screens/logs.py", title="Logs", icon=":material/receipt_long:", url_path="logs"),
    st.Page("screens/health.py", title="Health", icon=":material/monitor_heart:", url_path="health"),
    st.Page("screens/audit.py", title="Audit", icon=":material/policy:", url_path="audit"),
]
# Pages that only act are an operator's. A viewer's deep link to one finds it refused (and recorded in the
# audit trail), not in the menu; each action asks for the role again itself (dashboard/roles.py).
if person.operates:
    ACTING = [
        st.Page("screens/upload.py", title="Upload", icon=":material/upload:", url_path="upload"),
        st.Page("screens/send.py", title="Send test event", icon=":material/send:", url_path="send"),
    ]
else:
    ACTING = [st.Page(upload_refused, title="Upload", url_path="upload", visibility="hidden"),
              st.Page(send_refused, title="Send test event", url_path="send", visibility="hidden")]
st.navigation(PAGES[:2] + ACTING + PAGES[2:]).run()
