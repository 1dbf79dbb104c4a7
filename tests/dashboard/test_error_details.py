"""A page that crashes shows no traceback and no message over real HTTP: the served config
(.streamlit/config.toml, client.showErrorDetails) redacts them; the container's log keeps them."""

from __future__ import annotations

import asyncio
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.dashboard.served import serving

SECRET_DETAIL = "table=prod-events key=AKIA-NOT-FOR-VISITORS"


async def page_messages(url: str) -> list[ForwardMsg]:
    """Every message one run of the page sends the browser, until the script finishes."""
    async with websockets.connect(url.replace("http", "ws", 1) + "/_stcore/stream",
                                  subprotocols=["streamlit"]) as stream:  # type: ignore[list-item]
        rerun = BackMsg()
        rerun.rerun_script.query_string = ""
        await stream.send(rerun.SerializeToString())
        messages: list[ForwardMsg] = []
        while not any(m.WhichOneof("type") == "script_finished" for m in messages):
            message = ForwardMsg()
            message.ParseFromString(await asyncio.wait_for(stream.recv(), 20))
            messages.append(message)
        return messages


def test_a_crash_shows_no_traceback_and_no_message(tmp_path: Path) -> None:
    page = tmp_path / "crash.py"
    page.write_text(f"raise RuntimeError({SECRET_DETAIL!r})\n")
    with serving(tmp_path, script=str(page)) as url:
        messages = asyncio.run(page_messages(url))
        shown = [m.delta.new_element.exception for m in messages
                 if m.WhichOneof("type") == "delta" and m.delta.new_element.WhichOneof("type") == "exception"]
        assert shown, "the crash was not reported to the browser at all"
        assert not any(SECRET_DETAIL in str(e) or e.stack_trace for e in shown), shown
        assert SECRET_DETAIL in (tmp_path / "streamlit.log").read_text()
