"""Scopes and expiry of API tokens, enforced on every API request that still
carries `Authorization: Bearer` once the public reads have dropped theirs
(middleware.py): Wagtail's route decorators fix `BearerTokenAuth()`, which
knows neither, so they are enforced here, before any view runs.

- A token past its expiry: 401, whatever the operation.
- A token without a grant (made by Wagtail's own `api_tokens create`, which
  knows no scopes): 403.
- A token without the scope the operation needs (scopes.py): 403, even where
  its user may; where it has it, the user's own rights still apply (Wagtail
  checks them).
- An unknown or revoked token, or another scheme: left to Wagtail, which
  treats the request as anonymous.
"""

from django.utils import timezone
from wagtail.api.v3.errors import problem_response
from wagtail.models import APIToken

from security.clients import bearer_secret

from .middleware import API_PREFIX
from .scopes import required_scope

EXPIRED = (
    "Token gick ut {when}. Be en administratör om en ny (Inställningar → API-tokens eller "
    "manage.py create_api_token)."
)
NO_GRANT = (
    "Token har inga behörigheter. Be en administratör om en token med de behörigheter "
    "den ska ha (Inställningar → API-tokens eller manage.py create_api_token)."
)
MISSING_SCOPE = "Token saknar behörigheten {scope}, som behövs för detta."


def find_token(secret):
    """The active token with this secret and its grant, looked up as Wagtail's
    `BearerTokenAuth` does (every secret key that may have signed it)."""
    if not APIToken.validate_token_format(secret):
        return None
    return (
        APIToken.objects.select_related("grant")
        .filter(key_hash__in=APIToken.candidate_key_hashes(secret), revoked_at__isnull=True)
        .first()
    )


def refusal(token, scope, now=None):
    """The answer to a request with this token that needs `scope` (None: no
    scope), or None if the token may go on."""
    grant = getattr(token, "grant", None)
    if grant is None:
        return _refuse(403, NO_GRANT, 'Bearer error="insufficient_scope"')
    if grant.has_expired(now):
        when = timezone.localtime(grant.expires_at).isoformat(timespec="minutes")
        return _refuse(
            401,
            EXPIRED.format(when=when),
            'Bearer error="invalid_token", error_description="The token has expired"',
        )
    if scope is not None and not grant.allows(scope):
        return _refuse(
            403,
            MISSING_SCOPE.format(scope=scope),
            f'Bearer error="insufficient_scope", scope="{scope}"',
        )
    return None


def _refuse(status, detail, challenge):
    # RFC 6750's challenge: a client library knows a refresh from a refusal.
    response = problem_response(status=status, detail=detail)
    response["WWW-Authenticate"] = challenge
    return response


class TokenScopeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info.startswith(API_PREFIX):
            secret = bearer_secret(request)
            token = find_token(secret) if secret else None
            if token is not None:
                refused = refusal(token, required_scope(request.method, request.path_info))
                if refused is not None:
                    return refused
        return self.get_response(request)
