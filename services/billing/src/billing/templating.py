"""The service's Jinja2 templates (the receipt, the sandbox's checkout page), autoescaped."""

from functools import cache

import jinja2


@cache
def templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("billing", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
