"""The dashboard's connections: one AWS client factory per server process, shared by sessions."""

from __future__ import annotations

import streamlit as st

from core.aws import AwsClients
from core.settings import Settings


@st.cache_resource(show_spinner=False)
def aws_clients() -> AwsClients:
    return AwsClients(Settings())
