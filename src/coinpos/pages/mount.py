"""Mounts the pages and their static files on the app."""

from __future__ import annotations

from fastapi import FastAPI

from coinpos.pages import checkout, pos, wallet, web


def mount_pages(app: FastAPI) -> None:
    app.include_router(pos.router)
    app.include_router(checkout.router)
    app.include_router(wallet.router)
    app.mount(web.STATIC_PREFIX, web.static_files(), name="static")
