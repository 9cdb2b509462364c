"""Page dependencies: who may open a page, and the service clients bound to it."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from starlette.requests import Request

from portal.auth import Forbidden, LoginRequired, SessionUser, current_user
from portal.clients.billing import BillingClient
from portal.clients.certification import CertificationClient
from portal.clients.identity import IdentityClient
from portal.clients.subscriptions import SubscriptionsClient
from portal.clients.vehicles import VehiclesClient


def require_user(request: Request) -> SessionUser:
    user = current_user(request)
    if user is None:
        raise LoginRequired()
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
