"""The FastAPI app: routes, error envelope, authorization middleware."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from backend.api.context import ApiContext
from backend.api.deps import BodyLimitMiddleware, authorize
from backend.api.errors import install_error_handlers
from backend.api.metrics import RequestMetricsMiddleware
from backend.api.openapi import install_openapi
from backend.api.routes import admin, auth, floor, game, health, metrics, queue, social

ROUTERS = (health, metrics, auth, queue, floor, game, social, admin)


def create_api(ctx: ApiContext, **fastapi_kwargs: object) -> FastAPI:
    app = FastAPI(
        title="Win Room",
        version="0.1.0",
        description="The Win Room API (CONTRACT §4). Live events: Socket.IO at /socket.io.",
        dependencies=[Depends(authorize)],
        **fastapi_kwargs,  # type: ignore[arg-type]
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    for module in ROUTERS:
        app.include_router(module.router)
    app.include_router(admin.pairing)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(RequestMetricsMiddleware)  # outermost: times the body limit too
    install_openapi(app)
    return app
