"""Annotated dependency aliases keep route signatures short."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from clipforge.bootstrap import Resources


def get_resources(request: Request) -> Resources:
    resources: Resources = request.app.state.resources
    return resources


ResourcesDep = Annotated[Resources, Depends(get_resources)]
