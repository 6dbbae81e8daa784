"""The FastAPI app: routes, error envelope, authorization middleware."""

from __future__ import annotations

from fastapi import Depends, FastAPI

from backend.api.context import ApiContext
from backend.api.deps import BodyLimitMiddleware, authorize
from backend.api.errors import install_error_handlers
from backend.api.openapi import install_openapi
from backend.api.routes import admin, auth, floor, game, health, queue, social

ROUTERS = (health, auth, queue, floor, game, social, admin)


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
    install_openapi(app)
    return app
