"""``GET /metrics``: the Prometheus text format (loopback, or ``WINROOM_METRICS_TOKEN``)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from backend import metrics
from backend.api.deps import CtxDep
from backend.api.metrics import METRICS_PATH, check_scraper

router = APIRouter(tags=["health"])


@router.get(METRICS_PATH, include_in_schema=False)
def metrics_text(request: Request, ctx: CtxDep) -> Response:
    check_scraper(request, ctx.settings.metrics_token)
    live = getattr(request.app.state, "live_metrics", None)
    return Response(metrics.render(live), media_type=metrics.CONTENT_TYPE)
