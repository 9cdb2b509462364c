"""One typed client per service: every API path and every body shape the portal uses lives in
these modules, never in the pages. A client is bound to the page being served (FastAPI builds
it from the request, see `portal.deps`) and calls the service anonymously or as the logged-in
user; it answers in the service's shapes or raises `ApiProblem` / `ServiceUnavailable`."""
