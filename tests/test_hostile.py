"""Hostile and careless input (issue 14): every finding of the probe as a test, and the probes
that held where the suite had no test for them.

Black-box on purpose, so the tests outlive the restructure of src/: the CLI runs as a
subprocess (through ``cli`` below, the one place that decides how the product is started and
which embedder it uses), the chat runs as a real ``clusterqa serve`` on a free loopback port
driven with httpx, and every corpus is a few tiny files written here (builders in
``tests/hostile_inputs.py``). Resource bombs run under a wall-clock limit and a memory limit,
so a regression fails the test instead of the machine.

Assertions name files and keywords, not whole sentences: where the issue leaves the wording
(or a policy) to the fix, the test checks the safe default the issue asks for.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests import hostile_inputs as hostile

SRC = Path(__file__).resolve().parents[1] / "src"
CLI_TIMEOUT = 120.0  # seconds; an ordinary command takes a few
BOMB_TIMEOUT = 60.0  # seconds a resource bomb may take before the test calls it a hang
BOMB_MAX_RSS_MB = 2048  # memory a resource bomb may take before the test calls it a blow-up
SERVE_STARTUP = 90.0  # seconds for `clusterqa serve` to open its port


# --- running the product ----------------------------------------------------------------------


CRASH = "error: unexpected"  # how the CLI reports an exception it did not expect (exit 3)


@dataclass(repr=False)
class Run:
    """A finished (or stopped) CLI run; its repr is the whole story, for assertion messages."""

    args: list[str]
    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    killed: str | None = None  # "time" or "memory" when the test had to stop it
    peak_rss_mb: int = 0

    def __str__(self) -> str:
        stopped = f", stopped for {self.killed} (peak {self.peak_rss_mb} MB)" if self.killed \
            else ""
        return (f"`clusterqa {' '.join(self.args)}` -> exit {self.returncode} after "
                f"{self.seconds:.1f}s{stopped}\n--- stdout\n{self.stdout[-3000:]}"
                f"\n--- stderr\n{self.stderr[-3000:]}")

    __repr__ = __str__

    def failed_lines(self) -> list[str]:
        return [ln for ln in self.stderr.splitlines() if ln.lstrip().startswith("failed")]


def cli(args: list[str], cwd: Path, env: dict[str, str | None] | None = None, *,
        data_dir: Path | None = None, timeout: float = CLI_TIMEOUT,
        max_rss_mb: int | None = None, wait: bool = True) -> Run | subprocess.Popen:
    """Run ``clusterqa --data-dir DATA ARGS`` in ``cwd`` as its own process.

    This is the one place that decides how the product is started: from this checkout's src/,
    with no CLUSTERQA_* variable of the developer's shell, and with the deterministic fake
    embedder (none of these tests needs the real model). ``env`` adds variables (None removes
    one). ``data_dir`` defaults to ``cwd/data``. With ``wait=False`` the process is returned
    running (for ``serve``). Otherwise it is stopped after ``timeout`` seconds, or once it
    holds more than ``max_rss_mb`` MB, and ``Run.killed`` says which.
    """
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CLUSTERQA_")}
    # This checkout's src/ and tests/ (the fake embedder's launcher) come first.
    full_env["PYTHONPATH"] = os.pathsep.join(
        [str(SRC), str(SRC.parent)] + [p for p in [os.environ.get("PYTHONPATH")] if p])
    full_env.update({"HF_HUB_OFFLINE": "1", "GRADIO_ANALYTICS_ENABLED": "False",
                     "HF_HUB_DISABLE_TELEMETRY": "1", "FAKE_EMBED_DELAY": "0"})
    for key, value in (env or {}).items():
        if value is None:
            full_env.pop(key, None)
        else:
            full_env[key] = value
    argv = [sys.executable, "-m", "tests.fake_cli", "--data-dir",
            str(data_dir or cwd / "data"), *args]
    logs = Path(tempfile.mkdtemp(prefix="clusterqa-cli-"))
    with (logs / "out").open("wb") as out, (logs / "err").open("wb") as err:
        proc = subprocess.Popen(argv, cwd=cwd, env=full_env, stdout=out, stderr=err,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    proc.logs = logs  # type: ignore[attr-defined]
    if not wait:
        return proc
    started = time.monotonic()
    killed, peak = None, 0
    while proc.poll() is None:
        peak = max(peak, _rss_mb(proc.pid))
        if max_rss_mb is not None and peak > max_rss_mb:
            killed = "memory"
        elif time.monotonic() - started > timeout:
            killed = "time"
        if killed:
            _kill_group(proc)
            break
        time.sleep(0.1)
    proc.wait()
    run = Run(args, proc.returncode, (logs / "out").read_bytes().decode("utf-8", "replace"),
              (logs / "err").read_bytes().decode("utf-8", "backslashreplace"),
              time.monotonic() - started, killed, peak)
    shutil.rmtree(logs, ignore_errors=True)
    return run


def _kill_group(proc: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
    """Signal the process (and its session: it was started as a session leader), but only
    while it is ours: once reaped, its pid may belong to someone else."""
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, sig)


def _proc_status(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return 0


def _rss_mb(pid: int) -> int:
    return _proc_status(pid, "VmRSS") // 1024


def logs_of(proc: subprocess.Popen) -> str:
    """What a background process printed so far (the end of stdout and stderr)."""
    logs: Path = proc.logs  # type: ignore[attr-defined]
    if not logs.exists():
        return ""
    return ((logs / "out").read_text(errors="replace")[-2000:] + "\n"
            + (logs / "err").read_text(errors="replace")[-4000:])


def stop(proc: subprocess.Popen) -> str:
    """Stop a background process (SIGTERM, then SIGKILL) and return what it printed."""
    _kill_group(proc, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        proc.wait()
    text = logs_of(proc)
    shutil.rmtree(proc.logs, ignore_errors=True)  # type: ignore[attr-defined]
    return text


# --- the running chat -------------------------------------------------------------------------


@dataclass
class Chat:
    base: str
    port: int
    proc: subprocess.Popen
    project: Path


@contextmanager
def serve(project: Path, env: dict[str, str | None] | None = None) -> Iterator[Chat]:
    """`clusterqa serve` on a free loopback port, with uploads kept in the project folder."""
    port = hostile.free_port()
    env = {"GRADIO_TEMP_DIR": str(project / "gradio-tmp"), **(env or {})}
    proc = cli(["serve", "--port", str(port)], project, env, wait=False)
    try:
        if not hostile.wait_for_port(port, SERVE_STARTUP, alive=lambda: proc.poll() is None):
            pytest.fail(f"`clusterqa serve` did not open port {port} (exit {proc.poll()}):\n"
                        f"{logs_of(proc)}")
        yield Chat(f"http://127.0.0.1:{port}", port, proc, project)
    finally:
        stop(proc)


def api_ask(base: str, question: str, client: httpx.Client | None = None) -> dict:
    """The app's public /ask API (what gradio_client calls): the JSON of `ask --json`."""
    if client is None:
        with httpx.Client() as fresh:
            return api_ask(base, question, fresh)
    http = client
    started = http.post(f"{base}/gradio_api/call/ask", json={"data": [question, None, None]},
                        timeout=30)
    started.raise_for_status()
    event_id = started.json()["event_id"]
    with http.stream("GET", f"{base}/gradio_api/call/ask/{event_id}", timeout=60) as stream:
        event = None
        for line in stream.iter_lines():
            if line.startswith("event:"):
                event = line[6:].strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                payload = json.loads(line[5:])
                if event == "error":
                    raise AssertionError(f"/ask failed for {question!r}: {payload}")
                return payload[0]
    raise AssertionError(f"/ask gave no result for {question!r}")


def ui_event(base: str, elem_id: str, trigger: str) -> tuple[int, int]:
    """(fn_index, component id) of the UI handler behind ``trigger`` on element ``elem_id``,
    read from the page's /config as the browser does."""
    config = httpx.get(f"{base}/config", timeout=30).json()
    ids = {c["id"]: c.get("props", {}).get("elem_id") for c in config["components"]}
    for dep in config["dependencies"]:
        for target, event in dep["targets"]:
            if ids.get(target) == elem_id and event == trigger:
                return dep["id"], target
    raise AssertionError(f"no {trigger} handler on #{elem_id}")


def queue_event(base: str, fn_index: int, trigger_id: int, data: list,
                event_data: dict | None = None) -> dict:
    """Send one UI event through gradio's queue, as the page does (or as any script can)."""
    session = uuid.uuid4().hex[:12]
    joined = httpx.post(f"{base}/gradio_api/queue/join", timeout=120, json={
        "data": data, "fn_index": fn_index, "trigger_id": trigger_id, "session_hash": session,
        "event_data": event_data})
    joined.raise_for_status()
    with httpx.stream("GET", f"{base}/gradio_api/queue/data", params={"session_hash": session},
                      timeout=120) as stream:
        for line in stream.iter_lines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return message
    raise AssertionError("the queue closed without completing the event")


def exported_file(done: dict) -> Path:
    """The Markdown export a finished chat answer offers for download (the file the
    browser fetches through file=)."""
    def files(value: object) -> Iterator[str]:
        if isinstance(value, dict):
            if isinstance(value.get("path"), str):
                yield value["path"]
            for v in value.values():
                yield from files(v)
        elif isinstance(value, list):
            for v in value:
                yield from files(v)

    paths = [p for p in files(done.get("output", {}).get("data")) if p.endswith(".md")]
    assert paths, f"the answer offers no export: {str(done)[:2000]}"
    return Path(paths[-1])


def chat_message(role: str, text: str) -> dict:
    return {"role": role, "content": [{"type": "text", "text": text}], "metadata": None,
            "options": None}


def sources_count(project: Path) -> int:
    listing = cli(["sources"], project)
    assert listing.returncode == 0, listing
    found = re.search(r"^(\d+) documents?\b", listing.stdout, re.M)
    assert found, listing
    return int(found.group(1))


def assert_bad_file_named_rest_ingested(run: Run, name: str, good: int = 3) -> None:
    """The ingest ended on its own, named ``name`` as failed, ingested the ``good`` files and
    exited 1 (README: "An ingest in which some files failed ingests the rest, names each
    failed file with the reason, and exits 1")."""
    assert run.killed is None, f"ingest had to be stopped: {run}"
    assert CRASH not in run.stderr, f"a crash, not a named file: {run}"
    assert any(name in line for line in run.failed_lines()), f"{name} not named: {run}"
    assert re.search(rf"\b{good} added\b", run.stdout), f"the good files not ingested: {run}"
    assert run.returncode == 1, run


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder holding a three-document corpus (north/alpha, north/beta,
    south/gamma); nothing ingested yet."""
    hostile.tiny_corpus(tmp_path)
    return tmp_path


def ingested(project: Path) -> Path:
    run = cli(["ingest", "corpus"], project)
    assert run.returncode == 0, run
    return project


# --- 1. --prune and canonical sources ---------------------------------------------------------


def test_prune_from_a_subfolder_keeps_documents_whose_files_exist(project: Path) -> None:
    """Finding 1: ingest from the project folder, then `ingest --prune alpha.md` from inside
    corpus/north. Every file still exists, so nothing may be removed: sources must be stored
    one canonical way, not relative to wherever ingest happened to run."""
    ingested(project)
    pruned = cli(["ingest", "--prune", "alpha.md"], project / "corpus" / "north",
                 data_dir=project / "data")
    assert pruned.returncode == 0, pruned
    removed = re.search(r"\b(\d+) removed\b", pruned.stdout)
    assert removed is None or removed.group(1) == "0", \
        f"--prune removed documents whose files exist: {pruned}"
    assert sources_count(project) == 3


def test_one_file_ingested_from_three_folders_is_one_document(project: Path) -> None:
    """Finding 1: the same file ingested from the project folder, from corpus/ and from
    corpus/north is one document, not one per working directory."""
    alpha = project / "corpus" / "north" / "alpha.md"
    for cwd in (project, project / "corpus", project / "corpus" / "north"):
        run = cli(["ingest", os.path.relpath(alpha, cwd)], cwd, data_dir=project / "data")
        assert run.returncode == 0, run
    assert sources_count(project) == 1


# --- 2. one bad file must not abort the ingest ------------------------------------------------


def test_a_file_name_that_is_not_utf8_is_named_and_skipped(project: Path) -> None:
    """Finding 2: a file whose name has non-UTF-8 bytes is named as failed (with a reason);
    the other files are ingested; exit 1. Today: UnicodeEncodeError, exit 3, nothing ingested."""
    folder = os.fsencode(project / "corpus" / "north")
    with open(folder + b"/caf\xe9-menu.md", "wb") as f:
        f.write(b"---\ntitle: Cafe menu\n---\n\nThe cafe sells drones to Gateshead.\n")
    run = cli(["ingest", "corpus"], project)
    assert_bad_file_named_rest_ingested(run, "-menu.md")


def test_a_50mb_one_line_document_is_named_and_skipped(project: Path) -> None:
    """Finding 2: a 45 MB document that is a single line (under the 50 MB file limit) is
    refused by name, within a minute and a bounded amount of memory, and the other files are
    ingested. Today the sentence splitter's regex hits NLTK's 5 s limit and TimeoutError
    ends the whole ingest (exit 3)."""
    hostile.huge_one_line_doc(project / "corpus" / "north" / "one-line.md")
    run = cli(["ingest", "corpus"], project, timeout=BOMB_TIMEOUT, max_rss_mb=BOMB_MAX_RSS_MB)
    assert_bad_file_named_rest_ingested(run, "one-line.md")


def test_a_yaml_alias_bomb_in_front_matter_is_named_and_skipped(project: Path) -> None:
    """Finding 2: half a kilobyte of front matter whose title expands through nested YAML
    aliases to hundreds of millions of characters is refused by name (aliases or oversized
    fields), quickly and in bounded memory; the other files are ingested. Today the title is
    expanded and ingest grows by gigabytes until it is killed."""
    bomb = hostile.yaml_alias_bomb_doc(project / "corpus" / "north" / "laughs.md", levels=8)
    assert bomb.stat().st_size < 1024
    run = cli(["ingest", "corpus"], project, timeout=BOMB_TIMEOUT, max_rss_mb=BOMB_MAX_RSS_MB)
    assert_bad_file_named_rest_ingested(run, "laughs.md")


def test_a_docx_zip_bomb_is_named_and_skipped(project: Path) -> None:
    """Finding 2: a DOCX of under 1 MB whose XML inflates to 220 MB is refused by name (the
    size limit must apply to what the file expands to, not only to the compressed file),
    quickly and in bounded memory; the other files are ingested. Today it is parsed: minutes
    and gigabytes."""
    bomb = hostile.docx_bomb(project / "corpus" / "north" / "bomb.docx", expanded_megabytes=220)
    assert bomb.stat().st_size < 2 * 2**20
    run = cli(["ingest", "corpus"], project, timeout=BOMB_TIMEOUT, max_rss_mb=BOMB_MAX_RSS_MB)
    assert_bad_file_named_rest_ingested(run, "bomb.docx")


# --- 3. URL ingest needs an overall deadline --------------------------------------------------


def test_a_slow_drip_url_is_given_up_within_a_deadline(project: Path) -> None:
    """Finding 3: a server that sends one byte every 2 s never trips a per-read timeout; URL
    ingest must still give up within its overall deadline (ingest.fetch_timeout_s, set to
    10 s here), name the URL as failed with the setting to raise, and ingest the files, so
    the ingest lock is not held for longer. It used to hold ingest, and the lock, for as long
    as the server dripped."""
    with hostile.slow_drip_server(interval=2.0) as (url, _started):
        run = cli(["ingest", "corpus", url], project, {"CLUSTERQA_INGEST__FETCH_TIMEOUT_S": "10"},
                  timeout=BOMB_TIMEOUT)
    assert_bad_file_named_rest_ingested(run, url)
    assert "fetch_timeout_s" in next(ln for ln in run.failed_lines() if url in ln), run
    assert run.seconds < 40, run


# --- 4. the chat must not leak on every ingest it sees ----------------------------------------


def _fds_and_threads(pid: int) -> tuple[int, int]:
    return len(os.listdir(f"/proc/{pid}/fd")), _proc_status(pid, "Threads")


def test_the_chat_does_not_leak_across_ingests(project: Path) -> None:
    """Finding 4: a running chat that sees ten ingests (edit a document, ingest, ask) keeps
    the same number of open files and threads, give or take a few. Today each new corpus
    version reopens the vector store without closing the old one: about two more open files
    and one more thread per ingest, for as long as the chat runs."""
    ingested(project)
    alpha = project / "corpus" / "north" / "alpha.md"
    original = alpha.read_text()
    with serve(project) as chat, httpx.Client() as http:

        def cycle(i: int) -> tuple[int, int]:
            alpha.write_text(original + f"\nIn round {i} Zorbcorp shipped {i + 2} drones.\n")
            run = cli(["ingest", "corpus"], project)
            assert run.returncode == 0, run
            answer = api_ask(chat.base, f"How many drones did Zorbcorp ship in round {i}?",
                             http)
            assert any("Zorbcorp" in c["text"] for c in answer["citations"]), answer
            return _fds_and_threads(chat.proc.pid)

        for i in range(2):  # warm up: worker threads, caches, the first reopen
            cycle(i)
        baseline = _fds_and_threads(chat.proc.pid)
        seen = [cycle(i) for i in range(2, 10)]
    # The least of the last three, so a collection that happens to run late is no excuse.
    fds = min(s[0] for s in seen[-3:]) - baseline[0]
    threads = min(s[1] for s in seen[-3:]) - baseline[1]
    assert fds <= 10 and threads <= 5, (
        f"after 8 ingests the chat holds {fds} more open files and {threads} more threads "
        f"(baseline {baseline}, per cycle {seen})")


# --- 5 to 7: the chat's endpoints ---------------------------------------------------------------

# A plain-text document (Markdown files lose their links when loaded; .txt keeps them) with a
# remote image in its title and a javascript: link in its one sentence.
PIXEL_DOC = ('---\ntitle: "Pixelmoor notes ![logo](https://tracker.example/pixel.gif)"\n'
             "region: north\n---\n\n"
             "Pixelmoor was founded by Ivy Marsh in Whitby, see [the launch notes]"
             "(javascript:alert(document.cookie)) for the story.\n")


@pytest.fixture(scope="module")
def open_chat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chat]:
    """One chat in the default set-up (no login) over the tiny corpus plus PIXEL_DOC."""
    root = tmp_path_factory.mktemp("open-chat")
    hostile.tiny_corpus(root)
    (root / "corpus" / "north" / "pixelmoor.txt").write_text(PIXEL_DOC)
    ingested(root)
    with serve(root) as chat:
        yield chat


def test_feedback_cannot_be_forged_or_unbounded(open_chat: Chat) -> None:
    """Finding 5: a script posts a "like" to the queue with a made-up history whose question
    is 10 million characters. Feedback must record what the server answered, bounded in size:
    the forged question is not stored, and feedback.jsonl does not grow by megabytes. Today
    the handler trusts the history and appends the whole 10 MB question."""
    fn_index, chat_id = ui_event(open_chat.base, "chat", "like")
    feedback = open_chat.project / "data" / "feedback.jsonl"
    before = feedback.stat().st_size if feedback.exists() else 0
    forged = "FORGED-QUESTION-" + "x" * 10_000_000
    history = [chat_message("user", forged), chat_message("assistant", "Nobody said this.")]
    with contextlib.suppress(httpx.HTTPStatusError):  # refusing the request is fine too
        queue_event(open_chat.base, fn_index, chat_id, [history],
                    {"index": 1, "value": "Nobody said this.", "liked": True})
    after = feedback.stat().st_size if feedback.exists() else 0
    stored = feedback.read_text(errors="replace") if feedback.exists() else ""
    assert "FORGED-QUESTION" not in stored, "a question nobody asked was stored as feedback"
    assert after - before < 64 * 1024, f"one request added {after - before:,} bytes"


def test_upload_endpoint_refuses_a_cross_origin_60mb_post(open_chat: Chat) -> None:
    """Finding 6: the app has no upload feature, so gradio's upload endpoint must be off or
    capped (max_file_size): a 60 MB multipart POST from another web site is refused and
    nothing is stored. Today it is stored and served back to anyone."""
    uploads = open_chat.project / "gradio-tmp"
    try:
        response = httpx.post(f"{open_chat.base}/gradio_api/upload",
                              headers={"Origin": "http://evil.example"},
                              files={"files": ("blob.bin", b"A" * (60 * 2**20),
                                               "application/octet-stream")}, timeout=120)
        served = ""
        if response.status_code == 200:
            path = response.json()[0]
            back = httpx.get(f"{open_chat.base}/gradio_api/file={path}", timeout=60)
            served = f"; GET file= returned {back.status_code} with {len(back.content):,} bytes"
        assert response.status_code >= 400, \
            f"upload accepted ({response.status_code}: {response.text[:200]}){served}"
        stored = list(uploads.rglob("blob.bin"))
        assert not stored, f"the refused upload was stored anyway: {stored}"
    finally:
        for blob in uploads.rglob("blob.bin"):
            blob.unlink()


def test_markdown_export_keeps_no_live_links_or_remote_images(open_chat: Chat) -> None:
    """Finding 8: the Markdown export of an answer citing a document with a remote image in
    its title and a javascript: link in its text must not carry them live: rendered by a
    Markdown viewer that trusts its input, the export has no <img> (a tracking pixel) and no
    javascript: href. Today both pass through verbatim."""
    from markdown_it import MarkdownIt

    fn_index, question_id = ui_event(open_chat.base, "question", "submit")
    done = queue_event(open_chat.base, fn_index, question_id,
                       ["Who founded Pixelmoor?", [], "All regions", None])
    assert done.get("success"), done
    text = exported_file(done).read_text(encoding="utf-8")
    assert "Pixelmoor" in text, text
    naive = MarkdownIt("commonmark")
    naive.validateLink = lambda url: True  # a viewer that does not filter links itself
    rendered = naive.render(text)
    live = [what for what, mark in (("a remote image", "<img"),
                                    ("a javascript: link", 'href="javascript:'))
            if mark in rendered]
    assert not live, f"{' and '.join(live)} live in the export:\n{text}"


def test_file_route_serves_exports_and_nothing_else(open_chat: Chat) -> None:
    """Held probe: gradio's file= route serves an answer's export, but not the manifest, the
    feedback, system files, nor anything reached by ../ (plain or URL-encoded) or by a
    relative path."""
    fn_index, question_id = ui_event(open_chat.base, "question", "submit")
    done = queue_event(open_chat.base, fn_index, question_id,
                       ["Who founded Zorbcorp?", [], "All regions", None])
    assert done.get("success"), done
    ok = httpx.get(f"{open_chat.base}/gradio_api/file={exported_file(done)}", timeout=30)
    assert ok.status_code == 200 and "**Q:**" in ok.text
    data = open_chat.project / "data"
    for path in ["/etc/passwd", f"{data}/manifest.sqlite", f"{data}/feedback.jsonl",
                 f"{data}/exports/../manifest.sqlite", f"{data}/exports/%2e%2e/manifest.sqlite",
                 f"{data}/exports/..%2fmanifest.sqlite", "data/manifest.sqlite",
                 f"{data}/chroma/chroma.sqlite3"]:
        got = httpx.get(f"{open_chat.base}/gradio_api/file={path}", timeout=30)
        assert got.status_code in (403, 404), f"file={path}: {got.status_code}"
        assert b"SQLite format 3" not in got.content and b"root:" not in got.content


def _listening_addresses(port: int) -> list[str]:
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:
                found.append(address)
    return found


def test_the_chat_listens_on_loopback_only(open_chat: Chat) -> None:
    """Held probe: with no host given, the chat's listening socket is bound to 127.0.0.1 (or
    ::1), never to every interface."""
    addresses = _listening_addresses(open_chat.port)
    loopback = {"0100007F", "00000000000000000000000001000000",
                "0000000000000000FFFF00000100007F"}
    assert addresses, "no listening socket found for the chat's port"
    assert set(addresses) <= loopback, f"bound to {addresses}"


def test_login_without_a_password_refuses_to_start(project: Path) -> None:
    """Finding 7: `server.username` set without a password must stop `clusterqa serve` with a
    message naming the missing password, not start an open chat. Today the login silently
    turns off."""
    ingested(project)
    port = hostile.free_port()
    proc = cli(["serve", "--port", str(port)], project,
               {"CLUSTERQA_SERVER__USERNAME": "press",
                "GRADIO_TEMP_DIR": str(project / "gradio-tmp")}, wait=False)
    config = None
    try:
        opened = hostile.wait_for_port(port, SERVE_STARTUP, alive=lambda: proc.poll() is None)
        if opened:
            config = httpx.get(f"http://127.0.0.1:{port}/config", timeout=10)
    finally:
        exited_alone = proc.poll()
        logs = stop(proc)
    assert not opened, (f"the chat started without a login (GET /config without a session "
                        f"-> {config.status_code if config else '?'})")
    assert exited_alone not in (0, None) and "password" in logs.lower(), logs


LOGIN = {"CLUSTERQA_SERVER__USERNAME": "press", "CLUSTERQA_SERVER__PASSWORD": "s3cret-words"}


def test_login_guards_every_data_route(project: Path) -> None:
    """Held probe: with a login set, every route that reads or writes data answers 401/403
    (or sends to the login page) without the session cookie; with it, /ask works."""
    ingested(project)
    export = project / "data" / "exports" / "answer-x.md"
    with serve(project, LOGIN) as chat:
        routes = [("GET", "/config", None), ("GET", "/gradio_api/info", None),
                  ("GET", "/gradio_api/openapi.json", None),
                  ("POST", "/gradio_api/call/ask",
                   {"data": ["Who founded Zorbcorp?", None, None]}),
                  ("POST", "/gradio_api/queue/join",
                   {"data": ["Who founded Zorbcorp?", None], "fn_index": 0,
                    "session_hash": "x"}),
                  ("GET", "/gradio_api/queue/data?session_hash=x", None),
                  ("POST", "/gradio_api/run/predict", {"data": []}),
                  ("GET", f"/gradio_api/file={export}", None),
                  ("POST", "/gradio_api/upload", None)]
        for method, route, body in routes:
            kwargs: dict = {"json": body} if body is not None else {}
            if route.endswith("/upload"):
                kwargs = {"files": {"files": ("a.txt", b"hello")}}
            got = httpx.request(method, chat.base + route, timeout=30, **kwargs)
            assert got.status_code in (401, 403) or (
                300 <= got.status_code < 400 and "login" in got.headers.get("location", "")
            ), f"{method} {route} without login: {got.status_code} {got.text[:200]}"
        with httpx.Client(base_url=chat.base) as http:
            login = http.post("/login", data={"username": "press",
                                              "password": "s3cret-words"})
            assert login.status_code == 200, login.text
            answer = api_ask(chat.base, "Who founded Zorbcorp?", http)
            assert "Ada Quill" in answer["answer"]


def test_repeated_wrong_logins_are_slowed_down(project: Path) -> None:
    """Finding 7: 40 wrong passwords in a row must not all be answered at full speed: after a
    few, the chat answers 429 or takes noticeably longer. Today all 40 come back in about
    two seconds."""
    ingested(project)
    with serve(project, LOGIN) as chat:
        slowed, slow_in_a_row = None, 0
        for attempt in range(40):
            started = time.monotonic()
            try:
                got = httpx.post(f"{chat.base}/login", timeout=5,
                                 data={"username": "press", "password": f"guess-{attempt}"})
                status = got.status_code
            except httpx.TimeoutException:
                status = "timeout"
            took = time.monotonic() - started
            assert status != 200, "a wrong password logged in"
            if status == 429:
                slowed = (attempt, status)
                break
            # Two slow answers in a row, so one hiccup of a busy machine is not mistaken
            # for a throttle.
            slow_in_a_row = slow_in_a_row + 1 if took >= 1.0 else 0
            if slow_in_a_row == 2:
                slowed = (attempt, status, round(took, 2))
                break
    assert slowed is not None, "40 wrong logins in a row were all answered at once"


# --- 8. document text must not reach terminals live ------------------------------------------

ESCAPES = "\x1b[2J"  # clear screen
HYPERLINK = "\x1b]8;;http://evil.example/\x1b\\"  # OSC 8 terminal hyperlink


def test_ask_prints_no_terminal_escape_sequences_from_documents(project: Path) -> None:
    """Finding 8: a document's escape sequences (clear screen, a terminal hyperlink) reach
    the terminal as inert text when `ask` prints a passage: no ESC byte of the document's in
    stdout. Today they are printed unchanged."""
    hostile.front_matter_doc(
        project / "corpus" / "north" / "escapes.md", "Escape notes", "north",
        f"Zorbcorp moved to {ESCAPES}Hexham in 2021 {HYPERLINK}after a vote\x1b]8;;\x1b\\.")
    ingested(project)
    run = cli(["ask", "Where did Zorbcorp move in 2021?"], project)
    assert run.returncode == 0, run
    assert "Hexham" in run.stdout, run
    assert "\x1b" not in run.stdout, f"escape sequences reach the terminal: {run.stdout!r}"


def test_sources_shows_titles_and_ids_verbatim_not_as_markup(project: Path) -> None:
    """Finding 8: `sources` prints titles and ids as text: a title with "[/bold]" is listed
    (not a crash), a file named "[bold]notes.md" is listed under its real id, and that id
    can be removed as listed. Today the first crashes (MarkupError, exit 3) and the second
    is shown as "north/notes.md"."""
    hostile.front_matter_doc(project / "corpus" / "north" / "closing.md",
                             "Closing tag [/bold] notes", "north",
                             "Flumox is a Durham robotics firm.")
    hostile.front_matter_doc(project / "corpus" / "north" / "[bold]notes.md", "Markup file",
                             "north", "Trundle is a Penrith bakery robot maker.")
    ingested(project)
    listing = cli(["sources"], project)
    assert listing.returncode == 0, listing
    assert "Closing tag [/bold] notes" in listing.stdout, listing
    ids = re.findall(r"\S*\[bold\]notes\.md", listing.stdout)
    assert ids, f"the id of [bold]notes.md is not listed as it is: {listing}"
    removed = cli(["sources", "remove", ids[0].strip("│ ")], project)
    assert removed.returncode == 0 and "[bold]notes.md" in removed.stdout, removed


# --- 9. corruption gets a diagnosis and a repair ----------------------------------------------


def _assert_diagnosed(run: Run, names: tuple[str, ...]) -> None:
    assert run.returncode == 2 and CRASH not in run.stderr, run
    assert any(n in run.stderr.lower() for n in names), f"does not say what is damaged: {run}"
    assert re.search(r"clusterqa [a-z]", run.stderr), f"no command that repairs it: {run}"


def test_a_truncated_manifest_is_diagnosed_with_a_repair(project: Path) -> None:
    """Finding 9: with manifest.sqlite cut in half, `sources`, `ask` and `ingest` each say
    the manifest is damaged and which clusterqa command repairs it (exit 2). Today:
    "unexpected DatabaseError", exit 3, on every command."""
    ingested(project)
    manifest = project / "data" / "manifest.sqlite"
    os.truncate(manifest, manifest.stat().st_size // 2)
    for args in (["sources"], ["ask", "Who founded Zorbcorp?"], ["ingest", "corpus"]):
        _assert_diagnosed(cli(args, project), ("manifest",))


def test_a_truncated_vector_store_is_diagnosed_with_a_repair(project: Path) -> None:
    """Finding 9: with chroma/chroma.sqlite3 cut in half, `ask` and `ingest` say the vector
    store is damaged and which clusterqa command repairs it (exit 2). Today: "unexpected
    InternalError ... database disk image is malformed", exit 3."""
    ingested(project)
    store = project / "data" / "chroma" / "chroma.sqlite3"
    os.truncate(store, store.stat().st_size // 2)
    for args in (["ask", "Who founded Zorbcorp?"], ["ingest", "corpus"]):
        _assert_diagnosed(cli(args, project), ("chroma", "vector"))


def test_an_empty_manifest_beside_vectors_is_damage_not_an_empty_corpus(project: Path) -> None:
    """Finding 9: a 0-byte manifest next to a store full of vectors is damage: `sources`
    says so instead of listing 0 documents, and `ingest` refuses instead of deleting every
    vector as an orphan. Safe default assumed: refuse (exit 2) naming the manifest and the
    repair. Today `sources` shows "0 documents" and ingest removes all the vectors."""
    ingested(project)
    (project / "data" / "manifest.sqlite").write_bytes(b"")
    listing = cli(["sources"], project)
    _assert_diagnosed(listing, ("manifest",))
    again = cli(["ingest", "corpus"], project)
    assert "orphan" not in again.stderr, f"ingest deleted the vectors as orphans: {again}"
    _assert_diagnosed(again, ("manifest",))


def test_a_missing_vector_store_is_reported_not_answered_from_bm25(project: Path) -> None:
    """Finding 9: with data/chroma deleted, `ask` says the vector store is missing and that
    `clusterqa ingest` restores it, rather than answering silently from BM25 alone; after
    that ingest, `ask` answers with no such warning. Today `ask` answers as if nothing were
    wrong."""
    ingested(project)
    shutil.rmtree(project / "data" / "chroma")
    run = cli(["ask", "Who founded Zorbcorp?"], project)
    assert any(n in run.stderr.lower() for n in ("chroma", "vector")), \
        f"answered from BM25 alone without a word: {run}"
    assert "clusterqa ingest" in run.stderr, run
    assert cli(["ingest", "corpus"], project).returncode == 0
    healed = cli(["ask", "Who founded Zorbcorp?"], project)
    assert healed.returncode == 0 and "Ada Quill" in healed.stdout, healed
    assert not any(n in healed.stderr.lower() for n in ("chroma", "vector")), healed


# --- 10. smaller findings -----------------------------------------------------------------------


def test_a_symlink_out_of_the_corpus_is_refused_by_name(project: Path) -> None:
    """Finding 10: a symlink in the corpus pointing outside it is not followed (safe default;
    following could be an explicit setting): it is named as failed with a reason about the
    link, its target's text is not ingested, and the other files are. Today the target is
    ingested and its text given in answers."""
    outside = project / "outside"
    hostile.front_matter_doc(outside / "secret.md", "Secret", "north",
                             "The vault code is Marmalade-4471.")
    (project / "corpus" / "north" / "elsewhere.md").symlink_to(outside / "secret.md")
    run = cli(["ingest", "corpus"], project)
    assert_bad_file_named_rest_ingested(run, "elsewhere.md")
    line = next(ln for ln in run.failed_lines() if "elsewhere.md" in ln)
    assert "link" in line.split("elsewhere.md", 1)[1].lower(), line
    answer = cli(["ask", "--json", "What is the vault code?"], project)
    assert "Marmalade-4471" not in answer.stdout, answer


def test_a_running_chat_forgets_a_recreated_data_dir(project: Path) -> None:
    """Finding 10: when the data dir is deleted and re-ingested without a document while the
    chat runs, the chat answers from the new store: the removed document is no longer cited,
    and a document of the new store is. Today it keeps its handle on the deleted manifest and
    goes on citing the removed document."""
    ingested(project)
    with serve(project) as chat:
        first = api_ask(chat.base, "Who founded Zorbcorp?")
        assert any(c["title"] == "Alpha notes" for c in first["citations"]), first
        shutil.rmtree(project / "data")
        (project / "corpus" / "north" / "alpha.md").unlink()
        run = cli(["ingest", "corpus"], project)
        assert run.returncode == 0, run
        after = api_ask(chat.base, "Who founded Zorbcorp?")
        beta = api_ask(chat.base, "Which Sunderland studio employs forty people?")
    cited = {c["title"] for c in after["citations"]}
    assert "Alpha notes" not in cited, f"the chat still cites a removed document: {after}"
    assert any(c["title"] == "Beta notes" for c in beta["citations"]), beta


def test_front_matter_fields_of_the_wrong_type_are_named(project: Path) -> None:
    """Finding 10: `region: 123` and `title: [a, b]` are errors naming the file and the
    field, not ingested as "123" and "['a', 'b']"; the other files are ingested."""
    north = project / "corpus" / "north"
    hostile.raw_doc(north / "glimwick.md", "title: Glimwick\nregion: 123",
                    "Glimwick is a Carlisle chip designer.")
    hostile.raw_doc(north / "trundle.md", "title: [a, b]\nregion: north",
                    "Trundle is a Penrith bakery robot maker.")
    run = cli(["ingest", "corpus"], project)
    assert run.returncode == 1 and CRASH not in run.stderr, run
    lines = run.failed_lines()
    assert any("glimwick.md" in ln and "region" in ln for ln in lines), run
    assert any("trundle.md" in ln and "title" in ln for ln in lines), run
    assert re.search(r"\b3 added\b", run.stdout), run


def test_nul_bytes_after_the_first_8kib_never_reach_answers(project: Path) -> None:
    """Finding 10: a text file with a NUL byte past the first 8 KiB (where the binary check
    looks) either is refused as binary or has the NUL removed: no answer or passage carries a
    NUL. Today the NUL is quoted in the answer."""
    filler = "Filler sentence about nothing in particular. " * 250
    (project / "corpus" / "north" / "snorkbit.txt").write_text(
        filler + "\n\nSnorkbit is a Kendal \x00satellite firm.\n")
    cli(["ingest", "corpus"], project)
    run = cli(["ask", "--json", "What does Snorkbit make?"], project)
    assert run.returncode == 0, run
    answer = json.loads(run.stdout)
    texts = [answer["answer"], *(c["text"] for c in answer["citations"])]
    assert not any("\x00" in t for t in texts), f"a NUL byte reached the answer: {answer}"


# --- probes that held, where the suite had no black-box test --------------------------------


def test_bad_files_are_named_with_reasons_and_the_rest_ingest(project: Path) -> None:
    """Held probe: empty, binary, non-UTF-8, unsupported, bad-YAML and truncated-PDF files are
    each named with a reason; the good files are ingested; exit 1."""
    north = project / "corpus" / "north"
    (north / "empty.md").write_bytes(b"")
    (north / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    (north / "latin1.txt").write_bytes(b"Caf\xe9 society in Leeds.")
    (north / "slides.pptx").write_bytes(b"PK\x03\x04")
    (north / "badyaml.md").write_text("---\ntitle: [unclosed\n---\n\nText.\n")
    (north / "cut.pdf").write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog")
    run = cli(["ingest", "corpus"], project)
    assert run.returncode == 1 and CRASH not in run.stderr, run
    expected = {"empty.md": "empty", "binary.txt": "binary", "latin1.txt": "utf-8",
                "slides.pptx": "unsupported", "badyaml.md": "yaml", "cut.pdf": ""}
    lines = run.failed_lines()
    for name, word in expected.items():
        assert any(name in ln and word in ln.lower() for ln in lines), f"{name}: {run}"
    assert re.search(r"\b3 added\b", run.stdout), run


def test_a_second_ingest_is_refused_while_one_runs(project: Path) -> None:
    """Held probe: while one ingest runs (held here by a URL that drips), a second ingest in
    another process is refused at once with a clear message (exit 2) and changes nothing."""
    with hostile.slow_drip_server(interval=1.0) as (url, reading):
        first = cli(["ingest", "corpus", url], project, wait=False)
        try:
            assert reading.wait(SERVE_STARTUP), logs_of(first)
            second = cli(["ingest", "corpus"], project)
        finally:
            stop(first)
    assert second.returncode == 2, second
    assert "another ingest" in second.stderr and CRASH not in second.stderr, second
    assert second.seconds < 30, second


def test_url_failures_are_named_and_the_rest_ingest(project: Path) -> None:
    """Held probe: a URL whose server refuses the connection, one answering 404 and one
    answering 500 are each named as failed with the reason; the files are ingested; exit 1."""
    closed = f"http://127.0.0.1:{hostile.free_port()}/gone.html"
    with hostile.static_server({"/boom.html": (500, "text/html", b"<p>boom</p>")}) as base:
        run = cli(["ingest", "corpus", closed, f"{base}/missing.html", f"{base}/boom.html"],
                  project)
    assert run.returncode == 1 and CRASH not in run.stderr, run
    lines = run.failed_lines()
    assert any(closed in ln for ln in lines), run
    assert any(f"{base}/missing.html" in ln and "404" in ln for ln in lines), run
    assert any(f"{base}/boom.html" in ln and "500" in ln for ln in lines), run
    assert re.search(r"\b3 added\b", run.stdout), run
