"""The system's Chromium (Debian `chromium`) driven by Playwright, never a downloaded browser,
and axe-core from the npm packages `make install` put in deploy/web; plus an app served on a
real port in the test's event loop. Under CI=true a missing browser fails, never skips."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("PULSE_CHROMIUM", "/usr/bin/chromium")
AXE = ROOT / "deploy/web/node_modules/axe-core/axe.min.js"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def missing(what: str) -> None:
    message = f"{what}: run `make install` (installs it from Debian/npm where missing)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def check_installed() -> None:
    if not shutil.which(CHROMIUM):
        missing(f"no Chromium at {CHROMIUM}")
    if not AXE.exists():
        missing(f"no axe-core at {AXE}")


@contextlib.asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    check_installed()
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


@contextlib.asynccontextmanager
async def served(app: FastAPI) -> AsyncIterator[str]:
    """`app` (its lifespan already running) on 127.0.0.1 at a free port; yields the base URL."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, lifespan="off", log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now."""
    await page.add_script_tag(path=str(AXE))
    violations: list[dict[str, Any]] = await page.evaluate(
        """async () => (await axe.run()).violations.map(v => ({
            id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))"""
    )
    return [v for v in violations if v["impact"] in ("serious", "critical")]
