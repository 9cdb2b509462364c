"""The self-certification form as a PDF (HTML template → WeasyPrint). Rendering takes tens of
milliseconds of CPU: callers run it in a thread."""

from __future__ import annotations

from functools import cache

import jinja2
from weasyprint import HTML

from certification.domain.form import SelfCertificationForm


@cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("certification", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )


def self_certification_html(form: SelfCertificationForm) -> str:
    return _templates().get_template("self_certification.html").render(form=form)


def self_certification_pdf(form: SelfCertificationForm) -> bytes:
    return HTML(string=self_certification_html(form)).write_pdf()
