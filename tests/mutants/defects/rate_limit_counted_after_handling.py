"""The rate limit is applied after the request was handled (a response middleware), so a throttled send still reaches Meta."""

from __future__ import annotations

REQUIREMENTS = ("RATE-LIMIT-NO-SIDE-EFFECT",)


def apply() -> None:
    from tests.mutants.seams import replace_component

    from fastapi.responses import JSONResponse

    import reference.app
    from reference.ratelimit import RateDecision

    original = reference.app.create_app

    def create_app(*args, **kwargs):
        app = original(*args, **kwargs)
        comps = app.state.components
        limiter = comps.rate_limiter

        class NotHere:  # the auth dependency no longer throttles...
            def hit(self, key):
                return RateDecision(True, limiter.limit, limiter.limit, 0)

        comps.rate_limiter = NotHere()

        @app.middleware("http")
        async def throttle_answer(request, call_next):  # ...the answer is replaced afterwards
            response = await call_next(request)
            values = request.headers.getlist("x-api-key")
            if request.url.path.startswith("/api/v1/") and len(values) == 1 and response.status_code != 401:
                key = comps.api_keys.authenticate(values[0].strip())
                decision = limiter.hit(key.id) if key is not None else None
                if decision is not None and not decision.allowed:
                    return JSONResponse({"detail": f"Rate limit exceeded: {decision.limit} requests per minute"},
                                        status_code=429, headers={"Retry-After": str(decision.retry_after)})
            return response

        return app

    replace_component(reference.app, "create_app", create_app)
