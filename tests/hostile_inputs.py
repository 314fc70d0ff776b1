"""Builders of hostile and careless inputs for tests/test_hostile.py (issue 14).

Everything here writes real files (or serves real bytes on 127.0.0.1); nothing imports
clusterqa, so the builders stay valid however the product's modules are arranged.
"""

from __future__ import annotations

import http.server
import io
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# Three tiny documents, each with one fact no other document states.
GOOD_DOCS = {
    "north/alpha.md": ("Alpha notes", "north",
                       "Zorbcorp is a Gateshead drone maker founded by Ada Quill in 2019."),
    "north/beta.md": ("Beta notes", "north",
                      "Quillsoft is a Sunderland games studio that employs forty people."),
    "south/gamma.md": ("Gamma notes", "south",
                       "Brightwave is a Brighton fintech that raised five million pounds in 2023."),
}


def front_matter_doc(path: Path, title: str, region: str, body: str, *, kind: str = "note",
                     extra: str = "") -> Path:
    """A Markdown document with YAML front matter; ``title`` is written as a YAML string."""
    path.parent.mkdir(parents=True, exist_ok=True)
    quoted = title.replace("\\", "\\\\").replace('"', '\\"')
    path.write_text(f'---\ntitle: "{quoted}"\nregion: {region}\nkind: {kind}\n{extra}---\n\n'
                    f"{body}\n", encoding="utf-8")
    return path


def raw_doc(path: Path, front: str, body: str) -> Path:
    """A Markdown document whose front matter is given verbatim (for malformed fields)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"---\n{front.strip()}\n---\n\n{body}\n", encoding="utf-8")
    return path


def tiny_corpus(root: Path) -> Path:
    """``root/corpus`` with the three GOOD_DOCS; returns the corpus folder."""
    corpus = root / "corpus"
    for rel, (title, region, body) in GOOD_DOCS.items():
        front_matter_doc(corpus / rel, title, region, body)
    return corpus


# --- resource bombs ----------------------------------------------------------------------


def huge_one_line_doc(path: Path, megabytes: int = 45) -> Path:
    """A Markdown document whose body is one line of ``megabytes`` MiB of short sentences:
    under the 50 MB file limit, but one paragraph far beyond what a sentence splitter can
    take in one piece."""
    sentence = "Zorbcorp builds drones in Gateshead. "
    size = megabytes * 2**20
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as f:
        f.write('---\ntitle: "One long line"\nregion: north\n---\n\n')
        block = sentence * (2**20 // len(sentence))
        written = 0
        while written < size:
            f.write(block)
            written += len(block)
        f.write("\n")
    return path


def yaml_alias_bomb_doc(path: Path, levels: int = 7) -> Path:
    """A few hundred bytes of front matter whose title expands, through nested YAML aliases,
    to a list that prints as tens of millions of characters ("billion laughs")."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        refs = ", ".join([f"*l{i - 1}"] * 9)
        lines.append(f"l{i}: &l{i} [{refs}]")
    lines.append(f"title: *l{levels - 1}")
    lines.append("region: north")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\n" + "\n".join(lines) + "\n---\n\nLaughter is a Leeds comedy club.\n",
                    encoding="utf-8")
    return path


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx_bomb(path: Path, expanded_megabytes: int = 220) -> Path:
    """A DOCX that is small on disk but whose word/document.xml inflates to
    ``expanded_megabytes`` MiB of paragraphs (a zip bomb in Office clothing)."""
    import docx  # python-docx builds the rest of a valid package

    template = io.BytesIO()
    docx.Document().save(template)
    template.seek(0)
    paragraph = (b"<w:p><w:r><w:t>Bombcorp makes nothing at all in Wigan, again and again."
                 b"</w:t></w:r></w:p>")
    head = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<w:document xmlns:w="{_W}"><w:body>').encode()
    tail = b"</w:body></w:document>"
    block = paragraph * (2**20 // len(paragraph))
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(template) as src, \
            zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for item in src.infolist():
            if item.filename == "word/document.xml":
                info = zipfile.ZipInfo(item.filename, date_time=item.date_time)
                info.compress_type = zipfile.ZIP_DEFLATED
                with out.open(info, "w", force_zip64=True) as f:
                    f.write(head)
                    for _ in range(expanded_megabytes):
                        f.write(block)
                    f.write(tail)
            else:
                out.writestr(item, src.read(item.filename))
    return path


# --- network ------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def slow_drip_server(interval: float = 2.0) -> Iterator[tuple[str, threading.Event]]:
    """An HTTP server on 127.0.0.1 that answers every GET with a 200 and then one byte of
    HTML every ``interval`` seconds, forever: no single read ever times out. Yields the page's
    URL and an event set once a client has started reading."""
    stop = threading.Event()
    started = threading.Event()

    class Drip(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(10**9))
            self.end_headers()
            started.set()
            try:
                while not stop.is_set():
                    self.wfile.write(b"<")
                    self.wfile.flush()
                    stop.wait(interval)
            except OSError:  # the client gave up: fine
                pass

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Drip)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/drip.html", started
    finally:
        stop.set()
        server.shutdown()
        server.server_close()


def wait_for_port(port: int, timeout: float, alive=lambda: True) -> bool:
    """True once something accepts connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and alive():
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.2)
    return False


@contextmanager
def static_server(pages: dict[str, tuple[int, str, bytes]]) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 answering GET ``path`` with (status, content type, body)
    from ``pages`` (404 for anything else). Yields the base URL."""

    class Static(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, ctype, body = pages.get(self.path, (404, "text/plain", b"not found"))
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Static)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
