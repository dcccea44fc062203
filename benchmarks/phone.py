"""A slowed phone in Chromium, as the site's benchmarks measure it: 360 px, DevTools' Fast 3G profile (562.5 ms,
180,000 B/s down) and the CPU slowed 4x. Shared by ``static_search.py`` and ``search.py``."""

from __future__ import annotations

FAST_3G = {"offline": False, "latency": 562.5, "downloadThroughput": 180_000, "uploadThroughput": 84_375}


def throttled_page(browser, cache: bool = True):
    """A new phone-sized context and page with the network and CPU slowed; returns (context, page, CDP session)."""
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    session = context.new_cdp_session(page)
    session.send("Network.enable")
    if not cache:
        session.send("Network.setCacheDisabled", {"cacheDisabled": True})
    session.send("Network.emulateNetworkConditions", FAST_3G)
    session.send("Emulation.setCPUThrottlingRate", {"rate": 4})
    return context, page, session
