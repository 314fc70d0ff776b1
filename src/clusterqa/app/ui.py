"""The Gradio chat: the only module that imports gradio. Thin: all work is in the Assistant.

- answers stream in sentence by sentence; each [n] links to (and on hover names) its card;
- cards show title, publisher, region, kind, page and link, the supporting sentence marked,
  and expand to the whole passage; abstentions are marked "not an answer";
- region filter (from what is ingested), example questions (from the documents' front
  matter), clear, export as Markdown, thumbs up/down stored in the data dir;
- a named API, ``/ask``, returning the same JSON as ``clusterqa ask --json``.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

# Before gradio is imported: no analytics or version checks leave the machine.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import gradio as gr

from clusterqa.app.assistant import Assistant, Conversation
from clusterqa.app.feedback import Exports, FeedbackLog
from clusterqa.app.render import answer_html, answer_markdown, escape_text
from clusterqa.errors import ClusterQAError
from clusterqa.settings import ServerSettings, Settings
from clusterqa.store import StoreLayout
from clusterqa.types import Answer

ALL_REGIONS = "All regions"
MAX_HISTORY = 5  # earlier questions the API replays to answer a follow-up
CSS = """
.cq-answer { line-height: 1.55; }
.cq-asked { font-size: 0.85em; color: #6b7280; margin-bottom: 4px; }
.cq-notice { font-size: 0.85em; color: #92400e; margin-bottom: 4px; }
.cq-unsupported { font-size: 0.85em; color: #6b7280; }
.cq-ref { font-weight: 600; text-decoration: none; }
.cq-abstain { border-left: 4px solid #d97706; padding: 6px 10px; background: #fffbeb; }
.cq-label { margin-top: 10px; font-size: 0.85em; text-transform: uppercase; color: #6b7280; }
.cq-card { border: 1px solid #e5e7eb; border-radius: 8px; padding: 8px 10px; margin-top: 6px; }
.cq-card:target { outline: 3px solid #2563eb; }
.cq-nearest { border-style: dashed; opacity: 0.9; }
.cq-head { font-weight: 600; }
.cq-meta, .cq-source { font-size: 0.85em; color: #6b7280; }
.cq-passage { font-size: 0.92em; margin-top: 4px; }
.cq-passage mark { background: #fef08a; }
.cq-excerpt:has(+ details[open]) { display: none; }
.cq-items { border-collapse: collapse; margin-bottom: 8px; font-size: 0.92em; }
.cq-items th, .cq-items td { border: 1px solid #e5e7eb; padding: 3px 8px; text-align: left; }
"""
# Gradio's autoscroll keeps the chat at its bottom, which for an answer with source cards is
# the last card. Instead, bring each new question to the top of the chat as soon as there is
# room, so its answer reads from the start; after that the reader scrolls as they like.
FOLLOW_QUESTIONS = """() => {
  const chat = document.querySelector('#chat');
  if (!chat || chat.dataset.cqFollow) return;
  chat.dataset.cqFollow = '1';
  let placed = 0;
  const scroller = (el) => {
    for (let box = el.parentElement; box && box !== chat; box = box.parentElement) {
      if (/auto|scroll/.test(getComputedStyle(box).overflowY)) return box;
    }
    return null;
  };
  new MutationObserver(() => {
    const asked = chat.querySelectorAll('[data-testid="user"]');
    if (asked.length <= placed) { placed = Math.min(placed, asked.length); return; }
    const last = asked[asked.length - 1];
    const box = scroller(last);
    if (!box) return;
    const offset = last.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
    box.scrollTop += offset;
    const now = last.getBoundingClientRect().top - box.getBoundingClientRect().top - 8;
    if (Math.abs(now) < 2) placed = asked.length;
  }).observe(chat, {childList: true, subtree: true, characterData: true});
}"""


class ChatApp:
    """The app's behaviour, kept apart from the layout so it reads (and tests) on its own."""

    def __init__(self, assistant: Assistant, settings: Settings) -> None:
        self.assistant = assistant
        self.settings = settings
        layout = StoreLayout(settings.data_dir)
        self.feedback_log = FeedbackLog(layout)
        self.exports = Exports(layout)
        # Recent answers by their chat message, so feedback can store the citations too.
        self._answers: dict[str, Answer] = {}

    # --- data for the page ------------------------------------------------------------------

    def region_choices(self) -> list[str]:
        return [ALL_REGIONS, *self.assistant.regions()]

    def examples(self, limit: int = 6) -> list[str]:
        """Example questions from the documents' front matter (``examples:``), taken from each
        region in turn so every region shows up."""
        by_region: dict[str, list[str]] = {}
        for doc in self.assistant.view().documents.values():
            by_region.setdefault(doc.region or "", []).extend(doc.meta.examples)
        picked: list[str] = []
        queues = [list(qs) for _, qs in sorted(by_region.items())]
        while len(picked) < limit and any(queues):
            for queue in queues:
                if queue and len(picked) < limit:
                    q = queue.pop(0)
                    if q not in picked:
                        picked.append(q)
        return picked

    def status_markdown(self) -> str:
        status = self.assistant.status()
        regions = ", ".join(f"{escape_text(r.region)} {_count(r.documents, 'document')} / "
                            f"{_count(r.chunks, 'chunk')}" for r in status.regions)
        return (f"**{_count(status.documents, 'document')}, {_count(status.chunks, 'chunk')}** "
                f"loaded — {regions}. Last ingested: {_when(status.last_ingested)}.")

    # --- answering ----------------------------------------------------------------------------

    def respond(self, question: str, history: list[dict], region: str | None,
                conversation: Conversation | None = None):
        """Stream an answer into the chat: partial text first, then the cards. The chat is
        one conversation: a follow-up is answered as its rewrite, which the answer shows."""
        question = (question or "").strip()
        history = list(history or [])
        conversation = conversation if isinstance(conversation, Conversation) else \
            Conversation()
        if not history:
            conversation.turns.clear()  # a cleared chat starts a new conversation
        if not question:
            yield "", history, gr.skip(), gr.skip(), gr.skip(), conversation
            return
        region = None if region in (None, "", ALL_REGIONS) else region
        turn = sum(1 for m in history if m.get("role") == "user") + 1
        # The question is shown as typed: no Markdown or HTML of the user's comes alive.
        history.append({"role": "user", "content": escape_text(question)})
        history.append({"role": "assistant", "content": "…"})
        yield "", history, gr.skip(), gr.skip(), gr.skip(), conversation
        try:
            text = ""
            for delta in self.assistant.stream_ask(question, region, conversation):
                if delta.answer is None:
                    text += delta.text
                    history[-1] = {"role": "assistant",
                                   "content": answer_html(_Pending(text), turn, text)}
                    yield gr.skip(), history, gr.skip(), gr.skip(), gr.skip(), conversation
                else:
                    answer = delta.answer
        except ClusterQAError as exc:
            history[-1] = {"role": "assistant", "content": html.escape(f"Error: {exc}")}
            yield gr.skip(), history, gr.skip(), gr.skip(), gr.skip(), conversation
            return
        content = answer_html(answer, turn)
        history[-1] = {"role": "assistant", "content": content}
        self._answers[content] = answer
        while len(self._answers) > 1000:
            self._answers.pop(next(iter(self._answers)))
        items = (gr.update(value=str(self.exports.write_items(answer)), interactive=True,
                           visible=True) if answer.items else
                 gr.update(value=None, interactive=False, visible=False))
        yield (gr.skip(), history, answer_markdown(answer),
               gr.update(value=str(self.exports.write(answer)), interactive=True), items,
               conversation)

    def api_ask(self, question: str, region: str | None = None,
                history: list[str] | None = None) -> dict[str, Any]:
        """The JSON of `clusterqa ask --json`, for scripts using the running app. ``history``
        (earlier questions, oldest first) makes ``question`` a turn of that conversation, as
        `clusterqa ask --json --conversation -` does; the answer then carries ``asked``."""
        try:
            if not history:
                return self.assistant.ask(question, region or None).to_json()
            conversation = Conversation()
            for earlier in history[-MAX_HISTORY:]:
                self.assistant.ask_in(conversation, str(earlier), region or None)
            return self.assistant.ask_in(conversation, question, region or None).to_json()
        except ClusterQAError as exc:
            raise gr.Error(str(exc)) from exc

    def feedback(self, history: list[dict], like: gr.LikeData) -> None:
        """Thumbs up/down, stored with question, answer and citations (JSON Lines).

        ``liked`` is true or false, or null when the user clicks their choice again to take
        it back (gradio then sends an empty value): the latest line for an answer counts."""
        index = like.index if isinstance(like.index, int) else like.index[0]
        try:
            answer = self._answers.get(_text(history[index]))
        except (IndexError, TypeError, AttributeError):
            answer = None
        if answer is None:
            # Not an answer this server gave (or one long forgotten): the browser sends the
            # history, and a script can send any; only what the server answered is stored.
            return
        value = like.liked
        liked = None if value in ("", None) else value if isinstance(value, str) else bool(value)
        self.feedback_log.record(liked, answer)


class _Pending:
    """Stands in for an answer while it streams (no citations to link yet)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.citations: list = []
        self.abstained = False


def _text(message: dict) -> str:
    content = message.get("content", "")
    if isinstance(content, list):  # gradio 6 normalises content to a list of parts
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content)


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def _when(stamp: str | None) -> str:
    """An ISO time as people read it: 26 Nov 2026, 14:15 UTC."""
    if not stamp:
        return "never"
    try:
        moment = datetime.fromisoformat(stamp).astimezone(UTC)
    except ValueError:
        return escape_text(stamp)
    return moment.strftime("%-d %b %Y, %H:%M UTC")


def build(assistant: Assistant, settings: Settings) -> gr.Blocks:
    app = ChatApp(assistant, settings)
    with gr.Blocks(title="clusterqa") as demo:
        gr.Markdown("## clusterqa — ask the *12 Clusters of Tech* reports\n"
                    "Answers quote the reports and articles; every `[n]` links to its source.")
        status = gr.Markdown(app.status_markdown(), elem_id="status")
        with gr.Row():
            region = gr.Dropdown(app.region_choices(), value=ALL_REGIONS, label="Region",
                                 elem_id="region", scale=1)
        chat = gr.Chatbot(elem_id="chat", height=560, buttons=["copy"], show_label=False,
                          autoscroll=False,
                          feedback_options=("Like", "Dislike"), sanitize_html=True,
                          placeholder="Ask about firms, places, figures and deals in the "
                                      "reports.")
        with gr.Row():
            question = gr.Textbox(placeholder="e.g. which Teesside firms make games?",
                                  show_label=False, elem_id="question", scale=5, autofocus=True)
            send = gr.Button("Ask", variant="primary", elem_id="send", scale=1)
        examples = app.examples()
        if examples:
            gr.Examples(examples, inputs=question, label="Try")
        with gr.Row():
            clear = gr.ClearButton([question, chat], value="Clear conversation", elem_id="clear")
            download = gr.DownloadButton("Export answer (.md)", elem_id="export", value=None,
                                         interactive=False)
            items = gr.DownloadButton("Items (.csv)", elem_id="items-csv", value=None,
                                      interactive=False, visible=False)
        with gr.Accordion("Last answer as Markdown", open=False):
            markdown = gr.Code(language="markdown", elem_id="markdown", interactive=False)

        conversation = gr.State(None)
        outputs = [question, chat, markdown, download, items, conversation]
        for trigger in (question.submit, send.click):
            trigger(app.respond, [question, chat, region, conversation], outputs,
                    api_visibility="private").then(app.status_markdown, None, status,
                                                   api_visibility="private")
        clear.click(lambda: ("", gr.update(value=None, interactive=False),
                             gr.update(value=None, interactive=False, visible=False)), None,
                    [markdown, download, items], api_visibility="private")
        chat.like(app.feedback, [chat], None, api_visibility="private")
        demo.load(lambda: (app.status_markdown(), gr.update(choices=app.region_choices())),
                  None, [status, region], api_visibility="private")
        demo.load(None, None, None, js=FOLLOW_QUESTIONS, api_visibility="private")
        gr.api(app.api_ask, api_name="ask")
    return demo


def launch(assistant: Assistant, settings: Settings, *, block: bool = True,
           port: int | None = None) -> gr.Blocks:
    auth = login(settings.server)
    demo = build(assistant, settings)
    demo.queue(default_concurrency_limit=4)
    demo.launch(server_name=settings.server.host, server_port=port or settings.server.port,
                auth=auth, prevent_thread_lock=True, quiet=not block, css=CSS,
                footer_links=["api"], max_file_size=MAX_UPLOAD,
                allowed_paths=[str(StoreLayout(settings.data_dir).exports)])
    _without_uploads(demo)
    if block:
        demo.block_thread()
    return demo


# The chat takes no files: gradio's upload endpoint is removed (see _without_uploads), and
# this cap stands behind it should a gradio version route uploads elsewhere.
MAX_UPLOAD = "1kb"


def _without_uploads(demo: gr.Blocks) -> None:
    """Remove gradio's file upload route: open to any web site in the default set-up (no
    login), it stored whatever was posted and served it back."""
    routes = demo.app.router.routes
    routes[:] = [r for r in routes if not getattr(r, "path", "").endswith("/upload")]


def login(server: ServerSettings) -> Callable[[str, str], Awaitable[bool]] | None:
    """The chat's login check, or None when no login is set. A username without a password
    (or the reverse) is refused: it used to turn the login off without a word. After a few
    wrong passwords in a row each answer waits longer (up to 10 s), so guessing is slow."""
    if not server.username and not server.password:
        return None
    if not server.username or not server.password:
        missing = "password" if server.username else "username"
        raise ClusterQAError(f"server.{missing} is not set: a login needs both a username and "
                             "a password; refusing to start the chat without one")
    user, secret = server.username, server.password.get_secret_value()
    failures = 0

    async def check(username: str, password: str) -> bool:
        nonlocal failures
        if hmac.compare_digest(username.encode(), user.encode()) and \
                hmac.compare_digest(password.encode(), secret.encode()):
            failures = 0
            return True
        failures += 1
        if failures > 3:
            await asyncio.sleep(min(2.0 ** (failures - 4), 10.0))
        return False

    return check
