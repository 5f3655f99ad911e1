"""The served app: `streamlit run server.py` (Streamlit's ASGI mode). app.py stays the script.

Adds, in front of Streamlit, the sign-in routes that set the HttpOnly session cookie and the guard on
downloads, uploads and framing (auth/web.py).
"""

from contextlib import asynccontextmanager

import streamlit as st
from starlette.middleware import Middleware

from auth import web


@asynccontextmanager
async def _lifespan(_app):
    from streamlit import runtime

    from ui.upload import sweep_uploads

    web.track_media(runtime.get_instance().media_file_mgr)
    sweep_uploads()  # uploads (names, raw IDs) left by sessions that ended while the server was down
    yield


app = st.App("app.py", routes=web.routes, middleware=[Middleware(web.Guard)], lifespan=_lifespan)
