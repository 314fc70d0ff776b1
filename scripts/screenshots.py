"""Screenshots of the chat for the README, taken from the running app in headless Chromium.

    python scripts/screenshots.py [--out docs/screenshots]

Ingests corpus/ (only what changed), serves the app on a free loopback port, asks an answered
and an unanswerable question, saves one PNG of each, and prints how soon the first words of
each answer appeared in the browser.
"""

from __future__ import annotations

import argparse
import socket
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from clusterqa import Assistant, Ingestor, Settings
from clusterqa.app.ui import launch

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
SHOTS = {"answer.png": "which Teesside firms make games?",
         "abstention.png": "What is SoPost's annual revenue?"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    settings = Settings.load()
    Ingestor(settings).ingest()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assistant = Assistant.from_settings(settings)
    assistant.ask("Who founded Sage?")  # warm up: the first query pays torch's start-up
    demo = launch(assistant, settings, block=False, port=port)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True,
                                        args=ARGS)
            for name, question in SHOTS.items():
                page = browser.new_page(viewport={"width": 1200, "height": 1400})
                page.route(lambda u: not u.startswith("http://127.0.0.1"), lambda r: r.abort())
                page.goto(f"http://127.0.0.1:{port}/")
                page.wait_for_selector("#question textarea")
                page.fill("#question textarea", question)
                started = time.perf_counter()
                page.press("#question textarea", "Enter")
                # First words: the bot message holds answer text (not the "…" placeholder).
                page.wait_for_function(
                    "() => [...document.querySelectorAll('#chat [data-testid=\"bot\"]')]"
                    ".some(b => b.innerText.trim().length > 3)", timeout=60_000)
                first_words = time.perf_counter() - started
                page.wait_for_selector("#chat .cq-sources", timeout=60_000)
                print(f"{question!r}: first words after {first_words:.2f} s, whole answer "
                      f"after {time.perf_counter() - started:.2f} s (browser, warm app)")
                page.wait_for_timeout(700)
                # Show the question and the start of the answer, not the bottom of the cards.
                page.evaluate("document.querySelector('#chat [data-testid=\"user\"]')"
                              ".scrollIntoView()")
                page.locator("#chat").screenshot(path=str(args.out / name))
                print(f"saved {args.out / name}")
            browser.close()
    finally:
        demo.close()


if __name__ == "__main__":
    main()
