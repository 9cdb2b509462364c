"""The sandbox payment provider: behaves like a real pagoPA-like provider, inside billing.

- Provider side (``create_position``, ``start_checkout``, ``status``): called by billing's use
  cases, each in its own transaction, as calls to a remote system would be.
- Hosted checkout page (``page``, ``submit``): the page a citizen's browser is sent to, with
  the payee, the description, the amount and the notice number, and the buttons "Paga" (with
  a test card), "Annulla" and "Carta rifiutata"; then back to the portal with
  ``?esito=ok|annullato|rifiutato``.
- Notifications: each outcome is stored in ``sandbox_notifications`` in the same transaction
  as the outcome itself, and a worker (``deliver_due``) posts it, HMAC-signed, to billing's
  notification endpoint, retrying with back-off until it is accepted: a restart loses none.

Not for production: its routes answer only where ``Settings.sandbox_active``.
"""

from __future__ import annotations

import hmac
import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import httpx
import structlog
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from billing.domain import signature
from billing.domain.cards import DECLINED_CARD, TEST_CARD, CardCheck, check_card
from billing.domain.money import format_euro
from billing.domain.receipts import format_date, rome_date
from billing.domain.return_urls import origin_of, with_query
from billing.models import SANDBOX_NOTIFY_CHANNEL, SandboxNotification, SandboxPosition, SandboxSession
from billing.provider import (
    Checkout,
    CollectedPayment,
    PaymentPosition,
    PositionStatus,
    ProviderUnavailable,
)
from billing.settings import Settings
from kit.clock import Clock
from kit.db import Database
from kit.errors import Forbidden, NotFound
from kit.uow import unit_of_work
from kit.wakeup import notify
from kit.worker import Backoff

log = structlog.get_logger(__name__)

Action = Literal["pay", "cancel", "fail"]
# What the portal reads in ``?esito=`` for each way a session ends.
ESITO = {"paid": "ok", "cancelled": "annullato", "failed": "rifiutato", "expired": "annullato"}
DECLINED_REASON = "Carta rifiutata dall'emittente"
PSP_NAME = "Sandbox PSP"
# A claimed notification is not picked up again for this long (a sender that died mid-send).
_LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class CheckoutView:
    """What the checkout page shows."""

    session_id: str
    csrf_token: str
    creditor_name: str
    creditor_tax_code: str
    description: str
    amount: str
    notice_number: str
    iuv: str
    due_date: str
    payer_tax_code: str
    payer_name: str | None
    test_card: str = TEST_CARD
    declined_card: str = DECLINED_CARD
    card_number: str = TEST_CARD
    error: str | None = None


@dataclass(frozen=True)
class PageResult:
    """The answer to the browser: the page (``view``), a closed-session notice
    (``title``/``message``), or a redirect back to the portal."""

    status_code: int = 200
    view: CheckoutView | None = None
    title: str | None = None
    message: str | None = None
    back_url: str | None = None
    redirect_to: str | None = None
    # The portal's origin, where the page's form may lead the browser (CSP form-action).
    return_origin: str | None = None


def _closed(status_code: int, title: str, message: str, back_url: str | None = None) -> PageResult:
    return PageResult(
        status_code=status_code,
        title=title,
        message=message,
        back_url=back_url,
        return_origin=origin_of(back_url) if back_url else None,
    )


SESSION_NOT_FOUND = ("checkout_session_not_found", "Sessione di pagamento non trovata.")


class Sandbox:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        clock: Clock,
        *,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.clock = clock
        # Where notifications go; built by the wiring point (``billing.main``).
        self.client = client
        self.backoff = Backoff(settings.sandbox_notify_retry_base_s, settings.sandbox_notify_retry_max_s)

    # --- Provider side ------------------------------------------------------------------------

    async def create_position(self, position: PaymentPosition) -> None:
        async with unit_of_work(self.db) as session:
            await session.exec(
                insert(SandboxPosition)
                .values(
                    notice_number=position.notice_number,
                    iuv=position.iuv,
                    creditor_tax_code=position.creditor_tax_code,
                    creditor_name=position.creditor_name,
                    amount_cents=position.amount_cents,
                    currency=position.currency,
                    description=position.description,
                    due_date=position.due_date,
                    payer_tax_code=position.payer_tax_code,
                    payer_name=position.payer_name,
                    status="open",
                    created_at=self.clock.now(),
                )
                .on_conflict_do_nothing(index_elements=["notice_number"])
            )

    async def start_checkout(self, notice_number: str, *, return_url: str, expires_at: datetime) -> Checkout:
        session_id = secrets.token_urlsafe(24)
        async with unit_of_work(self.db) as session:
            if await session.get(SandboxPosition, notice_number) is None:
                # As a real provider answers for a position it does not know: try again later.
                raise ProviderUnavailable(f"no sandbox position {notice_number}")
            session.add(
                SandboxSession(
                    id=session_id,
                    notice_number=notice_number,
                    return_url=return_url,
                    csrf_token=secrets.token_urlsafe(24),
                    status="open",
                    created_at=self.clock.now(),
                    expires_at=expires_at,
                )
            )
        return Checkout(
            session_id=session_id,
            redirect_url=f"{self.settings.sandbox_checkout_base}/{session_id}",
            expires_at=expires_at,
        )

    async def status(self, notice_number: str) -> PositionStatus:
        async with self.db.session() as session:
            position = await session.get(SandboxPosition, notice_number)
        if position is None or position.status != "paid":
            return PositionStatus(notice_number=notice_number, state="open")
        assert position.paid_at is not None and position.paid_session_id is not None
        return PositionStatus(
            notice_number=notice_number,
            state="paid",
            payment=CollectedPayment(
                session_id=position.paid_session_id,
                paid_at=position.paid_at,
                amount_cents=position.amount_cents,
                currency=position.currency,
                transaction_id=position.transaction_id,
            ),
        )

    # --- Hosted checkout page -----------------------------------------------------------------

    def _view(
        self,
        sess: SandboxSession,
        position: SandboxPosition,
        *,
        card_number: str = TEST_CARD,
        error: str | None = None,
    ) -> CheckoutView:
        return CheckoutView(
            session_id=sess.id,
            csrf_token=sess.csrf_token,
            creditor_name=position.creditor_name,
            creditor_tax_code=position.creditor_tax_code,
            description=position.description,
            amount=format_euro(position.amount_cents),
            notice_number=position.notice_number,
            iuv=position.iuv,
            due_date=format_date(position.due_date),
            payer_tax_code=position.payer_tax_code,
            payer_name=position.payer_name,
            card_number=card_number,
            error=error,
        )

    def _ended(self, sess: SandboxSession) -> PageResult:
        if sess.status == "expired":
            return _closed(
                410,
                "Sessione scaduta",
                "Il tempo per completare il pagamento è scaduto. Torna al portale e riprova.",
                with_query(sess.return_url, esito=ESITO["expired"]),
            )
        return PageResult(redirect_to=with_query(sess.return_url, esito=ESITO[sess.status]), status_code=303)

    async def page(self, session: AsyncSession, session_id: str) -> PageResult:
        sess = await session.get(SandboxSession, session_id)
        if sess is None:
            return _closed(404, "Sessione non trovata", "Questa sessione di pagamento non esiste.")
        position = await session.get(SandboxPosition, sess.notice_number)
        assert position is not None
        if sess.status == "open" and self.clock.now() >= sess.expires_at:
            sess.status = "expired"
            sess.completed_at = self.clock.now()
        if sess.status == "expired":
            return self._ended(sess)
        if sess.status == "open" and rome_date(self.clock.now()) > position.due_date:
            return _closed(
                409,
                "Avviso scaduto",
                "Il termine per il pagamento di questo avviso è scaduto.",
                with_query(sess.return_url, esito=ESITO["expired"]),
            )
        if sess.status != "open":
            return _closed(
                409,
                "Pagamento già concluso",
                "Questa sessione di pagamento è già conclusa.",
                with_query(sess.return_url, esito=ESITO[sess.status]),
            )
        return PageResult(view=self._view(sess, position), return_origin=origin_of(sess.return_url))

    async def submit(
        self, session: AsyncSession, session_id: str, *, csrf_token: str, action: Action, card_number: str
    ) -> PageResult:
        sess = (
            await session.exec(
                select(SandboxSession).where(SandboxSession.id == session_id).with_for_update()
            )
        ).scalar_one_or_none()
        if sess is None:
            raise NotFound(*SESSION_NOT_FOUND)
        if not hmac.compare_digest(sess.csrf_token.encode(), csrf_token.encode()):
            raise Forbidden(
                "csrf_invalid", "Il modulo di pagamento non è valido: ricarica la pagina e riprova."
            )
        now = self.clock.now()
        if sess.status == "open" and now >= sess.expires_at:
            sess.status, sess.completed_at = "expired", now
        if sess.status != "open":
            # A second click on an ended session leads to the same place as the first one.
            return self._ended(sess)
        position = (
            await session.exec(
                select(SandboxPosition)
                .where(SandboxPosition.notice_number == sess.notice_number)
                .with_for_update()
            )
        ).scalar_one()
        return_origin = origin_of(sess.return_url)
        if action == "cancel":
            return await self._finish(session, sess, position, "cancelled", now)
        if position.status == "paid":
            sess.status, sess.completed_at = "cancelled", now
            return _closed(
                409,
                "Avviso già pagato",
                "Questo avviso di pagamento risulta già pagato: non è stato addebitato nulla.",
                with_query(sess.return_url, esito=ESITO["paid"]),
            )
        if rome_date(now) > position.due_date:
            sess.status, sess.completed_at = "expired", now
            return _closed(
                409,
                "Avviso scaduto",
                "Il termine per il pagamento di questo avviso è scaduto: non è stato addebitato nulla.",
                with_query(sess.return_url, esito=ESITO["expired"]),
            )
        if action == "fail":
            return await self._finish(session, sess, position, "failed", now)
        card = check_card(card_number)
        if card is CardCheck.INVALID:
            view = self._view(
                sess,
                position,
                card_number=card_number[:30],
                error="Numero di carta non valido: controlla le cifre e riprova.",
            )
            return PageResult(status_code=422, view=view, return_origin=return_origin)
        if card is CardCheck.DECLINED:
            return await self._finish(session, sess, position, "failed", now)
        return await self._finish(session, sess, position, "paid", now)

    async def _finish(
        self,
        session: AsyncSession,
        sess: SandboxSession,
        position: SandboxPosition,
        outcome: Literal["paid", "cancelled", "failed"],
        now: datetime,
    ) -> PageResult:
        sess.status, sess.completed_at = outcome, now
        transaction_id = None
        if outcome == "paid":
            transaction_id = f"SBX-{secrets.token_hex(8).upper()}"
            position.status = "paid"
            position.paid_at = now
            position.paid_session_id = sess.id
            position.transaction_id = transaction_id
        payload = {
            "notification_id": str(uuid.uuid4()),
            "creditor_tax_code": position.creditor_tax_code,
            "notice_number": position.notice_number,
            "iuv": position.iuv,
            "session_id": sess.id,
            "outcome": outcome,
            "amount_cents": position.amount_cents,
            "currency": position.currency,
            "occurred_at": now.isoformat(),
            "transaction_id": transaction_id,
            "psp": PSP_NAME,
            "reason": DECLINED_REASON if outcome == "failed" else None,
        }
        session.add(
            SandboxNotification(
                notification_id=payload["notification_id"],
                notice_number=position.notice_number,
                body=json.dumps(payload, separators=(",", ":"), sort_keys=True),
                next_attempt_at=now,
                created_at=now,
            )
        )
        await notify(session, SANDBOX_NOTIFY_CHANNEL)
        log.info("sandbox.checkout_finished", notice_number=position.notice_number, outcome=outcome)
        return PageResult(status_code=303, redirect_to=with_query(sess.return_url, esito=ESITO[outcome]))

    # --- Notification sender ------------------------------------------------------------------

    async def deliver_due(self, batch: int = 20) -> bool:
        """Post every notification that is due; True when a full batch was claimed (more may be
        waiting). Each is claimed for a lease first, so no transaction stays open while it is
        sent, and one claimed by a sender that died is sent again after the lease."""
        assert self.client is not None, "the sandbox has no notification client"
        now = self.clock.now()
        table = SandboxNotification.__table__
        due = (
            select(table.c.id)
            .where(
                table.c.delivered_at.is_(None),
                table.c.abandoned_at.is_(None),
                table.c.next_attempt_at <= now,
            )
            .order_by(table.c.id)
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
        async with unit_of_work(self.db) as session:
            claimed = (
                await session.exec(
                    update(table)
                    .where(table.c.id.in_(due.scalar_subquery()))
                    .values(attempts=table.c.attempts + 1, next_attempt_at=now + _LEASE)
                    .returning(table.c.id, table.c.body, table.c.attempts, table.c.notice_number)
                )
            ).all()
        for row in sorted(claimed, key=lambda r: r.id):
            await self._send(row.id, row.body, row.attempts, row.notice_number)
        return len(claimed) >= batch

    async def _send(self, row_id: int, body: str, attempts: int, notice_number: str) -> None:
        assert self.client is not None
        raw = body.encode()
        header = signature.sign(self.settings.notification_secret, raw, int(self.clock.now().timestamp()))
        status: int | None = None
        error: str | None = None
        try:
            response = await self.client.post(
                self.settings.notification_path,
                content=raw,
                headers={"Content-Type": "application/json", signature.HEADER: header},
                timeout=self.settings.sandbox_notify_timeout_s,
            )
            status = response.status_code
            if not 200 <= status < 300:
                error = response.text[:500]
        except httpx.HTTPError as exc:
            error = repr(exc)[:500]
        now = self.clock.now()
        values: dict[str, object] = {"last_status": status, "last_error": error}
        if error is None:
            values["delivered_at"] = now
            log.info("sandbox.notification_delivered", notice_number=notice_number, attempts=attempts)
        elif attempts >= self.settings.sandbox_notify_max_attempts:
            values["abandoned_at"] = now
            log.error(
                "sandbox.notification_abandoned", notice_number=notice_number, attempts=attempts, error=error
            )
        else:
            values["next_attempt_at"] = now + timedelta(seconds=self.backoff.delay(attempts))
            log.warning(
                "sandbox.notification_failed", notice_number=notice_number, attempts=attempts, error=error
            )
        async with unit_of_work(self.db) as session:
            await session.exec(
                update(SandboxNotification).where(col(SandboxNotification.id) == row_id).values(**values)
            )

    async def close(self) -> None:
        if self.client is not None:
            await self.client.aclose()
