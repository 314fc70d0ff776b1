"""A real Chroma server (`chroma run`): the token clusterqa sends, and a server that goes away
in the middle of an ingest. (The store, ingest, --rebuild, prune, recovery and ask tests run
against a server too: see the `store_settings` fixture.)"""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from clusterqa.errors import StoreUnavailableError
from clusterqa.ingest import Ingestor
from tests.conftest import corpus_doc_ids, fake_cli_env, free_port


class _TokenProxy(http.server.BaseHTTPRequestHandler):
    """Forwards to the Chroma server only requests bearing the right token, as a proxy in
    front of a real deployment would (Chroma 1.x's server checks none itself)."""

    upstream = ""
    token = "s3cret"

    def log_message(self, *args) -> None:
        pass

    def _forward(self) -> None:
        if self.headers.get("Authorization") != f"Bearer {self.token}":
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host",)}
        reply = httpx.request(self.command, self.upstream + self.path, content=body,
                              headers=headers, timeout=60)
        self.send_response(reply.status_code)
        for key, value in reply.headers.items():
            if key.lower() not in ("content-length", "transfer-encoding", "connection",
                                   "content-encoding"):
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(reply.content)))
        self.end_headers()
        self.wfile.write(reply.content)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _forward


def test_the_settings_token_is_sent_and_a_refusal_is_one_clear_error(fake_settings,
                                                                      chroma_server) -> None:
    """With chroma_token set, ingest works through a proxy that requires it; without, the
    proxy refuses and ingest says so in one line, naming the server."""
    store_settings = fake_settings.model_copy(update={"collection": "token-test"})
    handler = type("Proxy", (_TokenProxy,), {"upstream": chroma_server})
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{proxy.server_address[1]}"
    try:
        with_token = store_settings.model_copy(update={"chroma_url": url,
                                                       "chroma_token": SecretStr("s3cret")})
        assert Ingestor(with_token).ingest().ok
        without = store_settings.model_copy(update={"chroma_url": url, "chroma_token": None})
        with pytest.raises(StoreUnavailableError, match=f"cannot use the Chroma server at {url}"):
            Ingestor(without).ingest()
    finally:
        proxy.shutdown()


def _start(path: Path, port: int) -> subprocess.Popen:
    chroma = Path(sys.executable).with_name("chroma")
    proc = subprocess.Popen([str(chroma), "run", "--path", str(path), "--host", "127.0.0.1",
                             "--port", str(port)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).is_success:
                return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("chroma run did not start")


def wait_for_vectors(port: int, ingest: subprocess.Popen) -> None:
    """Until the server holds some of the ingest's vectors (it is then under way)."""
    import chromadb
    from chromadb.errors import NotFoundError

    client = chromadb.HttpClient(host="127.0.0.1", port=port)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and ingest.poll() is None:
        try:
            if client.get_collection("clusterqa").count():
                return
        except NotFoundError:  # not created yet
            pass
        time.sleep(0.1)
    raise AssertionError("the ingest wrote no vector within 120 s, or ended first")


@pytest.mark.slow
def test_a_server_that_goes_down_mid_ingest(tmp_path: Path, corpus_copy: Path) -> None:
    """Killed while an ingest writes to it: the ingest ends with one clear line (exit 2),
    nothing is committed half-way, and once the server is back the next ingest completes
    and the store is whole."""
    port = free_port()
    server_dir = tmp_path / "server"
    server = _start(server_dir, port)
    env = fake_cli_env(delay=0.3) | {"CLUSTERQA_CHROMA_URL": f"http://127.0.0.1:{port}",
                                     "CLUSTERQA_EMBEDDING__BATCH_SIZE": "1"}
    ingest = [sys.executable, "-m", "tests.fake_cli", "ingest"]
    try:
        proc = subprocess.Popen(ingest, cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        wait_for_vectors(port, proc)  # the first group is in; the rest are being embedded
        server.kill()
        server.wait()
        _, stderr = proc.communicate(timeout=120)
        assert proc.returncode == 2, stderr
        lines = [ln for ln in stderr.splitlines() if ln.strip()]
        assert len(lines) == 1 and f"cannot use the Chroma server at http://127.0.0.1:{port}" \
            in lines[0] and "Traceback" not in stderr
        server = _start(server_dir, port)
        again = subprocess.run(ingest, cwd=tmp_path, env=env | {"FAKE_EMBED_DELAY": "0"},
                               capture_output=True, text=True, timeout=300)
        assert again.returncode == 0, again.stderr
        listing = subprocess.run([sys.executable, "-m", "tests.fake_cli", "sources"],
                                 cwd=tmp_path, env=env, capture_output=True, text=True,
                                 timeout=120)
        assert f"{len(corpus_doc_ids(corpus_copy))} documents" in listing.stdout
        asked = subprocess.run([sys.executable, "-m", "tests.fake_cli", "ask",
                                "Who acquired Kontainers?"], cwd=tmp_path, env=env,
                               capture_output=True, text=True, timeout=120)
        assert asked.returncode == 0 and "Kontainers" in asked.stdout, asked.stderr
    finally:
        server.kill()
