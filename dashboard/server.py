"""The dashboard's server: Streamlit's app (dashboard/app.py) behind the login gate (dashboard/gate.py), with
the security headers (dashboard/headers.py) on every answer, the gate's included.

`streamlit run dashboard/server.py` finds `app` and serves it with Streamlit's own server (uvicorn), with
every flag and config option as before. Building the App at import is what an ASGI entry module is for:
it only records the script's path and the middleware; Streamlit starts when the server does.
"""

from __future__ import annotations

import streamlit as st
from starlette.middleware import Middleware

from dashboard.gate import LoginGate
from dashboard.headers import SecurityHeaders

# The first is the outermost: the headers go on the gate's own answers too.
app = st.App("app.py", middleware=[Middleware(SecurityHeaders), Middleware(LoginGate)])
