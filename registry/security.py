"""Who is asking: the client's address as the rate limits see it."""

from django.conf import settings


def client_address(request) -> str:
    """The client's address: the connection's own, or behind PROXY_COUNT reverse proxies the entry of
    X-Forwarded-For that the outermost of them wrote (the entries left of it are whatever the client sent).

    The login's limit and the API's throttle both read it here, so that one address is one client for both.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    if settings.PROXY_COUNT <= 0:
        return remote
    forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    if not forwarded:
        return remote
    return forwarded[-min(settings.PROXY_COUNT, len(forwarded))]
