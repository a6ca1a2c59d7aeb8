"""Annotated dependency aliases keep route signatures short."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from clipforge.bootstrap import Resources


async def get_resources(request: Request) -> Resources:
    # async on purpose: FastAPI runs a plain `def` dependency in a worker thread, a thread
    # hop on every request for what is an attribute read.
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]
