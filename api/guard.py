"""Pure ASGI guard in front of the app: a caller or a body the app would refuse is refused before the body is read.

FastAPI reads and parses a request body before any dependency runs, so the API-key check in
`api.auth` alone would come after a 100 MB JSON body was parsed or an upload spooled to disk.
"""

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.auth import ADMIN_REQUIRED, key_from_headers
from rag.access import KeyRing
from rag.errors import AuthenticationError

# Open to anyone: the web page (it asks for the key itself), the API docs and /health (status only).
PUBLIC_PATHS = frozenset({"/", "/health", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
PUBLIC_PREFIX = "/static/"
UPLOAD_PATH = "/documents"
_MB = 1024 * 1024


class BodyTooLargeError(HTTPException):
    """Raised from `receive` once a streamed body passes its limit; FastAPI answers it with this 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"请求体过大：超过上限 {_size(limit)}。")


def _size(n: int) -> str:
    return f"{n / _MB:.1f} MB" if n >= _MB else f"{n / 1024:.0f} KB"


class RequestGuard:
    """401 for a protected route without a known key, 403 for an upload without an admin key, 413 for a body
    over its limit (by Content-Length, or while a chunked body streams in): uploads get `upload_limit`, the rest
    `json_limit`."""

    def __init__(self, app: ASGIApp, keyring: KeyRing, json_limit: int, upload_limit: int) -> None:
        self.app = app
        self.keyring = keyring
        self.json_limit = json_limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, headers = scope["path"], Headers(scope=scope)
        upload = scope["method"] == "POST" and path == UPLOAD_PATH
        if not self.keyring.open and path not in PUBLIC_PATHS and not path.startswith(PUBLIC_PREFIX):
            try:
                access = self.keyring.authenticate(key_from_headers(headers))
            except AuthenticationError as error:
                response = JSONResponse({"detail": str(error)}, 401, headers={"WWW-Authenticate": "Bearer"})
                await response(scope, receive, send)
                return
            if upload and not access.admin:
                await JSONResponse({"detail": ADMIN_REQUIRED}, 403)(scope, receive, send)
                return
        limit = self.upload_limit if upload else self.json_limit
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            what = "上传内容" if upload else "请求体"
            detail = f"{what}过大：{_size(int(length))}，上限 {_size(limit)}。"
            await JSONResponse({"detail": detail}, 413)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError(limit)
            return message

        await self.app(scope, limited_receive, send)
