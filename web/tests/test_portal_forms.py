"""`submit`: the one way a page sends a form to a service."""

from portal.api import UNAVAILABLE_MESSAGE, ApiProblem, FieldError, ServiceUnavailable
from portal.forms import FormState, submit

LABELS = {"email": "Email", "password": "Password"}


async def _answer(value):
    return value


async def _refuse(problem):
    raise problem


async def _no_answer():
    raise ServiceUnavailable("/api/prova")


def _typed() -> FormState:
    return FormState(values={"email": "anna@example.it", "password": "Segreta123"})


async def test_an_accepted_form_gives_the_answer_and_no_message():
    form = _typed()
    sent = await submit(form, _answer({"id": 1}), LABELS)
    assert sent.ok and sent.result == {"id": 1}
    assert not form.has_errors


async def test_field_errors_go_next_to_their_field_and_the_others_in_the_summary():
    form = _typed()
    problem = ApiProblem(
        422,
        "validation_error",
        "I dati inviati non sono validi.",
        [
            FieldError("mail", "invalid", "Indirizzo non valido."),
            FieldError("privacy", "required", "Accetta l'informativa."),
        ],
    )
    sent = await submit(form, _refuse(problem), LABELS, aliases={"mail": "email"})
    assert not sent.ok and sent.status_code == 422 and sent.problem is problem
    assert form.errors == {"email": "Indirizzo non valido."}
    assert form.general == ["Accetta l'informativa."]
    assert form.values == {"email": "anna@example.it"}


async def test_a_problem_naming_no_field_puts_its_detail_in_the_summary():
    form = _typed()
    sent = await submit(form, _refuse(ApiProblem(409, "conflict", "Richiesta già presente.")), LABELS)
    assert sent.status_code == 409 and form.general == ["Richiesta già presente."] and form.errors == {}


async def test_a_page_can_place_a_problem_itself():
    form = _typed()

    def explain(problem, form):
        form.add("password", problem.detail)
        return True

    await submit(form, _refuse(ApiProblem(401, "invalid", "No.")), LABELS, explain=explain)
    assert form.errors == {"password": "No."} and form.general == []


async def test_no_answer_says_the_service_is_unavailable_and_keeps_the_values_but_not_passwords():
    form = _typed()
    sent = await submit(form, _no_answer(), LABELS)
    assert sent.unavailable and sent.status_code == 503
    assert form.general == [UNAVAILABLE_MESSAGE]
    assert form.values == {"email": "anna@example.it"}
