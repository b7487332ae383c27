"""API-key authentication: `Authorization: Bearer <key>` or `X-API-Key: <key>`.

With no keys configured every caller has open access (local use), and the server says so.
"""

from collections.abc import Callable, Mapping

from fastapi import Depends, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param

from rag.access import Access, KeyRing
from rag.errors import PermissionDeniedError

_bearer = HTTPBearer(auto_error=False, description="API 密钥")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="API 密钥")
ADMIN_REQUIRED = "此 API 密钥只能查阅文档，不能上传、替换或删除（需要管理员密钥）。"


def presented_key(
    bearer: HTTPAuthorizationCredentials | None = Security(_bearer),  # noqa: B008
    header: str | None = Security(_header),
) -> str | None:
    return bearer.credentials if bearer else header


def key_from_headers(headers: Mapping[str, str]) -> str | None:
    """The key as `presented_key` reads it, for `api.guard`, which runs before any dependency."""
    scheme, credentials = get_authorization_scheme_param(headers.get("authorization"))
    if scheme.lower() == "bearer" and credentials:
        return credentials
    return headers.get("x-api-key")


def auth_dependencies(keyring: KeyRing) -> tuple[Callable[..., Access], Callable[..., Access]]:
    """(caller, admin): the caller's access, and the same but refused unless it may manage documents."""

    def caller(key: str | None = Depends(presented_key)) -> Access:
        return keyring.authenticate(key)

    def admin(access: Access = Depends(caller)) -> Access:  # noqa: B008
        if not access.admin:
            raise PermissionDeniedError(ADMIN_REQUIRED)
        return access

    return caller, admin
