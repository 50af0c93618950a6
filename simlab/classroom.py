"""Serving notebook 05 to a class with Voilà: the one piece of server code the classroom needs.

Voilà's page shuts its kernel down when the tab closes or reloads: on ``beforeunload`` it posts to
``/voila/api/shutdown/<kernel id>`` with ``navigator.sendBeacon``, sending the ``_xsrf`` cookie's value
as the ``_xsrf`` form field. But Voilà 0.5 never sets that cookie (its page is rendered without
asking for an XSRF token), so the field is empty and the server answers ``403 '_xsrf' argument
missing from POST``: every closed or reloaded tab leaves its kernel (~150 MB) running until the
culler finds it.

:class:`XsrfCookieIdentityProvider` sets the cookie when the page is served, so the shutdown
request passes the server's normal XSRF check. CSRF protection is kept: a POST still needs a form
field equal to the cookie, which a page of another site can neither read nor set (the
"double-submit cookie" pattern tornado implements). The alternative, ``disable_check_xsrf``, lets
any web page a student visits post to the server, including shutting their kernels down.

The repository's ``voila.json`` installs it::

    {"Voila": {"identity_provider_class": "simlab.classroom.XsrfCookieIdentityProvider"}}

This module is imported by the Voilà server only; it is not part of ``import simlab``.
"""

from __future__ import annotations

from typing import Any

from jupyter_core.utils import ensure_async
from voila.voila_identity_provider import VoilaIdentityProvider

__all__ = ["XsrfCookieIdentityProvider"]


class XsrfCookieIdentityProvider(VoilaIdentityProvider):
    """Voilà's identity provider that also gives every page its ``_xsrf`` cookie.

    On each GET it asks the request handler for its XSRF token, which makes tornado set the
    ``_xsrf`` cookie on the response if the browser has none; nothing else changes (who the user
    is, token login, what is checked on POST).

    Examples
    --------
    >>> from traitlets.config import Config
    >>> provider = XsrfCookieIdentityProvider(config=Config(), token="")
    >>> provider.auth_enabled      # no token: Voilà's anonymous users, as before
    False
    """

    async def get_user(self, handler: Any) -> Any:
        user = await ensure_async(super().get_user(handler))
        if user is not None and handler.request.method == "GET":
            # tornado's xsrf_token reads handler.current_user; set it now (prepare() sets it again)
            handler.current_user = handler._jupyter_current_user = user
            handler.xsrf_token  # noqa: B018  (the property sets the cookie when the browser has none)
        return user
