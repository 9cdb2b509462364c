"""Files the routes send (PDF, XML, CSV, ZIP): as downloads that browsers neither sniff, nor
run, nor keep in shared caches."""

from fastapi import Response

DOCUMENT_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "private, no-store",
    "Content-Security-Policy": "default-src 'none'; sandbox",
}


def download(content: bytes, media_type: str, filename: str) -> Response:
    """``filename`` is ours (ASCII, no quotes): never a name a client chose."""
    return Response(
        content,
        media_type=media_type,
        headers={**DOCUMENT_HEADERS, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


def document_responses(media_type: str, description: str) -> dict[int | str, dict]:
    """The OpenAPI ``responses`` of a route answering one file."""
    return {200: {"content": {media_type: {}}, "description": description}}
