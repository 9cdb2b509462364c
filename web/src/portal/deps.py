"""Page dependencies: who may open a page, and the service clients bound to it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from portal import auth
from portal.api import ApiProblem, ServiceUnavailable
from portal.auth import Forbidden, LoginRequired, SessionUser, current_user
from portal.clients.billing import BillingClient
from portal.clients.certification import CertificationClient
from portal.clients.identity import IdentityClient
from portal.clients.subscriptions import SubscriptionsClient
from portal.clients.vehicles import VehiclesClient


async def load_session_user(request: Request) -> None:
    """Every request with a session first asks identity for the profile of the login behind it
    (refreshing the access token if needed). Ended (logout, password reset, e-mail change) or
    expired logins leave an anonymous request and an emptied session; no page shows a name or
    anything personal on the strength of the cookie alone."""
    request.state.user = None
    request.state.profile = None
    request.state.session_unverified = False
    request.state.session_ended = None
    if not auth.has_session(request):
        return
    try:
        auth.update_profile(request, await IdentityClient(request).me())
    except LoginRequired as ended:
        request.session.clear()
        # A page that needs the user says why they must log in again.
        request.state.session_ended = ended.message
    except ApiProblem:
        # Identity no longer knows the account: nothing of it is shown.
        request.session.clear()
    except ServiceUnavailable:
        # Not known either way: pages that need the user say the service is unavailable.
        request.state.session_unverified = True


def require_user(request: Request) -> SessionUser:
    user = current_user(request)
    if user is None:
        if getattr(request.state, "session_unverified", False):
            raise ServiceUnavailable("identity did not confirm the session")
        ended = getattr(request.state, "session_ended", None)
        raise LoginRequired(ended) if ended else LoginRequired()
    return user


def require_staff(user: Annotated[SessionUser, Depends(require_user)]) -> SessionUser:
    if not user.is_staff:
        raise Forbidden()
    return user


def require_admin(user: Annotated[SessionUser, Depends(require_user)]) -> SessionUser:
    if user.role != "admin":
        raise Forbidden(
            "Questa pagina è riservata agli amministratori del servizio: il tuo account non ha "
            "i permessi per consultarla."
        )
    return user


def require_citizen(user: Annotated[SessionUser, Depends(require_user)]) -> SessionUser:
    """Requests are made by citizens for themselves: staff accounts have none."""
    if user.is_staff:
        raise Forbidden(
            "Questa pagina è riservata ai cittadini: gli account del Comune non presentano "
            "richieste. Usa la console operatore."
        )
    return user


CurrentUser = Annotated[SessionUser, Depends(require_user)]
CitizenUser = Annotated[SessionUser, Depends(require_citizen)]
StaffUser = Annotated[SessionUser, Depends(require_staff)]
AdminUser = Annotated[SessionUser, Depends(require_admin)]

Identity = Annotated[IdentityClient, Depends(IdentityClient)]
Certification = Annotated[CertificationClient, Depends(CertificationClient)]
Vehicles = Annotated[VehiclesClient, Depends(VehiclesClient)]
Subscriptions = Annotated[SubscriptionsClient, Depends(SubscriptionsClient)]
Billing = Annotated[BillingClient, Depends(BillingClient)]
