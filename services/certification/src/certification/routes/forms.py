"""The self-certification form ("Scarica il modulo qui")."""

from typing import Annotated

from fastapi import APIRouter, Query, Response

from certification.routes.deps import RuntimeDep
from certification.service import forms
from kit.deps import Citizen, UnitOfWorkDep
from kit.problems import problem_responses

router = APIRouter(tags=["certificazioni"])


@router.get(
    "/form",
    summary="Modulo di autocertificazione di residenza (PDF) già compilato",
    response_class=Response,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "Il modulo in PDF"},
        **problem_responses(404),  # the sector chosen does not exist
    },
)
async def self_certification_form(
    user: Citizen,
    session: UnitOfWorkDep,
    rt: RuntimeDep,
    sector_code: Annotated[str | None, Query(max_length=50, description="Codice del settore scelto")] = None,
) -> Response:
    form = await forms.self_certification(session, rt, user.user_id, sector_code)
    return Response(
        form.content,
        media_type=form.content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{form.filename}"',
            "Cache-Control": "no-store",
        },
    )
