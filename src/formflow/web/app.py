"""The desk as a WSGI application: routes, the security gate in front of them, and the page handlers.

Every request passes :meth:`DeskApp.gate` first (loopback ``Host``/``Origin``, session cookie,
form token on POST; see :mod:`formflow.web.security`). Form ids and record numbers from
URLs are looked up in the definitions and the store (a record number is matched against
``SAFE_NUMBER`` first); nothing from a URL is ever joined into a path.
"""

from __future__ import annotations

import functools
import mimetypes
import re
import time
import traceback
from pathlib import Path
from urllib.parse import quote, unquote

import jinja2

import formflow.render
from formflow.adapters.audit import AuditLog
from formflow.adapters.keptforms import form_made_under
from formflow.adapters.pins import PinStore
from formflow.definitions.forms import form_labels
from formflow.engine.records import BUILT_IN, CORRECT
from formflow.web import feecall, fees, letters, pages, paper, residents
from formflow.web import fields as fx
from formflow.web.checks import check_action, check_new
from formflow.web.desk import Desk
from formflow.web.http import HTTPError, Request, Response, Routes
from formflow.web.security import CSRF_FIELD, SECURITY_HEADERS, WHO_COOKIE, Guard
from formflow.web.signin import SignIn
from formflow.web.submit import Processor

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
#: The renderer's vendored Chinese font: the pages' last fallback, for computers without a Chinese system font.
FONTS = Path(formflow.render.__file__).resolve().parent / "fonts"
_STATIC_TYPES = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml",
                 ".otf": "font/otf", ".png": "image/png", ".ico": "image/x-icon"}
#: Seconds the status page keeps refreshing for a record's PDF (the renderer writes it after the pass).
PDF_WAIT = 30
_NAME = r"([a-z][a-z0-9_]*)"
_FORM_POST = re.compile(rf"/forms/{_NAME}")
_NUMBER = r"([^/]+)"


class DeskApp:
    """The WSGI callable of one running desk."""

    def __init__(self, desk: Desk, guard: Guard, processor: Processor):
        self.desk = desk
        self.guard = guard
        self.processor = processor
        self.signin = SignIn(PinStore(desk.root))
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                                      undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        r = self.routes = Routes()
        r.add("GET", r"/", self.start)
        r.add("GET", r"/records", self.record_list)
        r.add("GET", rf"/forms/{_NAME}", self.form_page)
        r.add("POST", rf"/forms/{_NAME}", self.form_submit)
        r.add("POST", rf"/forms/{_NAME}/check", self.form_check)
        r.add("GET", rf"/records/{_NUMBER}", self.record_page)
        r.add("GET", rf"/records/{_NUMBER}/pdf", self.record_pdf)
        r.add("POST", rf"/records/{_NUMBER}/actions/{_NAME}", self.action_submit)
        r.add("POST", rf"/records/{_NUMBER}/actions/{_NAME}/check", self.action_check)
        r.add("GET", r"/submitted/([A-Za-z0-9_-]{1,40})", self.submitted)
        r.add("GET", r"/todo/([^/]+)", self.todo_file)
        r.add("POST", r"/who", self.choose_person)
        r.add("POST", r"/who/out", self.sign_out)
        r.add("POST", rf"/duties/{_NAME}/done", self.duty_done)
        residents.register(self)
        paper.register(self)
        fees.register(self)
        letters.register(self)
        feecall.register(self)

    # -- WSGI ---------------------------------------------------------------------------------------

    def __call__(self, environ: dict, start_response):
        request = None
        try:
            request = Request(environ)
            response = self.gate(request)
        except HTTPError as exc:
            response = self.error_page(exc.status, exc.message, request)
        except Exception as exc:  # noqa: BLE001 - a bug must not take the desk down; say so, log the rest
            self.desk.log("".join(traceback.format_exception(exc)))
            response = self.error_page(500, "程序内部出错，详细信息已输出到运行服务台程序的窗口，请告诉主管", request)
        headers = [("Content-Type", response.content_type), ("Content-Length", str(len(response.body))),
                   ("Cache-Control", "no-store"), *SECURITY_HEADERS, *response.headers]
        start_response(response.status_line(), headers)
        return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else response.body]

    def gate(self, request: Request) -> Response:
        """The checks in front of every page (see :mod:`formflow.web.security`), then the route."""
        environ = request.environ
        if not self.guard.host_ok(environ):
            raise HTTPError(403, "只接受本机浏览器（127.0.0.1）的访问")
        if request.path.startswith("/static/"):
            return self.static(request.path.removeprefix("/static/"))
        token = request.query.first("token")
        if token and request.method in ("GET", "HEAD"):
            if self.guard.redeem(token):
                response = Response.redirect(request.path)  # the same page, the spent token out of sight
                response.headers.append(("Set-Cookie", self.guard.session_cookie()))
                return response
            if not self.guard.signed_in(environ):
                raise HTTPError(403, "此链接已经用过。请关闭服务台程序后重新启动，用新显示的链接打开。")
            return Response.redirect(request.path)
        if not self.guard.signed_in(environ):
            raise HTTPError(403, "请用启动服务台程序时显示（或自动打开）的链接进入服务台。")
        if request.method == "POST" and not self.guard.post_ok(environ, request.form.first(CSRF_FIELD)):
            raise HTTPError(403, "请求被拒绝：缺少或错误的表单令牌（请刷新页面后重试）")
        if request.method == "POST" and self.pin_mode and not request.path.startswith("/who"):
            # Signed by who is signed in, whatever the page sent as 经办人.
            person = self.person(request)
            if person is None:
                form_id = _FORM_POST.fullmatch(request.path)
                if form_id and form_id.group(1) in self.desk.defs().forms:  # a session ended while typing a form:
                    return self.signed_out_form(request, form_id.group(1))  # keep what was typed
                raise HTTPError(403, "请先在页面右上角登录（选择姓名，输入密码）；长时间无操作会自动退出")
            request.form[fx.BY] = [person.name]
        handler, args = self.routes.match(request.method, request.path)
        return handler(request, *args)

    # -- helpers ------------------------------------------------------------------------------------

    def signed_out_form(self, request: Request, form_id: str) -> Response:
        """A new form posted after the session ended: the same page again with what was typed, saying why."""
        defs, form = self.form_of(form_id)
        check = check_new(defs, form, request.form, self.desk.now())
        why = "登录已过期（长时间无操作会自动退出）：请在页面右上角重新登录，再点“提交”；填写的内容都还在本页"
        check.general.insert(0, why)
        check.texts.insert(0, why)
        return self.form_page(request, form_id, check, 403)

    @property
    def pin_mode(self) -> bool:
        """Whether people sign in with a PIN (``desk.sign_in: pin``)."""
        return self.desk.defs().settings.sign_in == "pin"

    def person(self, request: Request):
        """The staff member at this browser: signed in with a PIN (a live session), or, without sign-in, the name
        chosen from the roster; ``None`` otherwise."""
        settings = self.desk.defs().settings
        if settings.sign_in == "pin":
            return self.signin.person(request.cookies.get(WHO_COOKIE, ""), settings)
        return settings.person(unquote(request.cookies.get(WHO_COOKIE, "")))

    def render(self, template: str, request: Request | None, status: int = 200, **context) -> Response:
        """A page: ``template`` with the context every page shares."""
        defs = self.desk.defs()
        person = self.person(request) if request is not None and self.guard.signed_in(request.environ) else None
        signed = request is not None and self.guard.signed_in(request.environ)
        html = self.env.get_template(template).render(
            office=defs.settings.office, csrf=self.guard.csrf if signed else "", signed_in=signed,
            person=person, staff=[s for s in defs.settings.staff if s.active], roles=defs.settings.roles,
            pin_mode=defs.settings.sign_in == "pin",
            path=request.path if request is not None else "/", definition_error=self.desk.definition_error,
            **context)
        return Response(html.encode("utf-8"), status)

    def error_page(self, status: int, message: str, request: Request | None) -> Response:
        """The Chinese error page (a JSON answer for the live checks)."""
        if request is not None and request.path.endswith("/check"):
            return Response.json({"ok": False, "error": message}, status)
        try:  # a refused request gets a page without the form token or the person's name
            return self.render("error.html", None if status == 403 else request, status, code=status, message=message)
        except Exception:  # noqa: BLE001 - the error page must always answer
            return Response(f"{status} {message}".encode(), status, "text/plain; charset=utf-8")

    def static(self, name: str) -> Response:
        """A file of ``static/`` (or the fallback font); only plain names, only known types."""
        folder, _, base = name.rpartition("/")
        root = {"": STATIC, "fonts": FONTS}.get(folder)
        kind = _STATIC_TYPES.get(Path(base).suffix.lower())
        if root is None or kind is None or base.startswith(".") or base not in _listing(root):
            raise HTTPError(404, "没有这个文件")
        headers = [("Cache-Control", "max-age=3600")] if folder == "fonts" else []
        return Response((root / base).read_bytes(), 200, kind, headers)

    def form_of(self, form_id: str):
        defs = self.desk.defs()
        if form_id not in defs.forms:
            raise HTTPError(404, "没有这个表单")
        return defs, defs.forms[form_id]

    def record_of(self, number: str):
        record = self.desk.record(number)
        if record is None:
            raise HTTPError(404, "没有这条记录（请核对记录编号）")
        defs = self.desk.defs()
        if record.form not in defs.forms or record.form not in defs.workflows:
            raise HTTPError(404, "这条记录的表单或流程已不在定义中")
        return defs, record

    def remember(self, response: Response, name: str) -> Response:
        """Remember the clerk's choice of person on this browser (without sign-in; with it, the session is who)."""
        if not self.pin_mode:
            response.headers.append(("Set-Cookie", f"{WHO_COOKIE}={quote(name)}; Path=/; SameSite=Strict"))
        return response

    # -- pages --------------------------------------------------------------------------------------

    def start(self, request: Request) -> Response:
        defs = self.desk.defs()
        now = self.desk.now()
        context = pages.start_context(defs, self.desk.app(), now, self.person(request),
                                      everyone=request.query.first("all") == "1")
        mine, others = pages.todo_links(self.desk.todo_files(), self.person(request))
        return self.render("start.html", request, now=pages.short(now, defs.settings), todo_files=mine,
                           other_todo_files=others, todo_label=pages.todo_file_label, **context)

    def record_list(self, request: Request) -> Response:
        defs = self.desk.defs()
        query = request.query
        app = self.desk.app()
        context = pages.records_context(defs, app, functools.partial(self.desk.newest_first, app),
                                        query.first("form") or "", query.first("state") or "", query.first("q") or "",
                                        query.first("page") or "")
        return self.render("records.html", request, **context)

    def form_page(self, request: Request, form_id: str, check=None, status: int = 200) -> Response:
        defs, form = self.form_of(form_id)
        if check is None:
            values = fx.defaults(form, defs.settings)
            me = self.person(request)
            for f in form.iter_fields():  # `default: me`: the person signed in at this desk
                if f.type == "staff" and f.default == "me":
                    values[f.name] = me.name if me else ""
            hidden = fx.hidden(form, values, {}, defs.settings, self.desk.now())
            controls = pages.Controls(values, {}, hidden, defs.settings, labels=form_labels(form))
            chosen, general, texts = (self.person(request).name if self.person(request) else ""), [], []
        else:
            controls = pages.Controls(check.posted.raw, dict(check.problems), check.shown_hidden, defs.settings,
                                      labels=form_labels(form))
            chosen, general, texts = check.doc["by"], check.general, check.texts
        return self.render("form.html", request, status, form=form, sections=pages.form_sections(defs, form),
                           c=controls, chosen=chosen, general=general, texts=texts, fx=fx)

    def form_check(self, request: Request, form_id: str) -> Response:
        defs, form = self.form_of(form_id)
        return Response.json(check_new(defs, form, request.form, self.desk.now()).as_json())

    def form_submit(self, request: Request, form_id: str) -> Response:
        defs, form = self.form_of(form_id)
        check = check_new(defs, form, request.form, self.desk.now())
        if not check.ok:
            return self.form_page(request, form_id, check, 422)
        ticket = self.processor.submit(check.doc, f"web-{form.id}", "form", form.id)
        return self.remember(Response.redirect(f"/submitted/{ticket.id}"), check.doc["by"])

    def record_page(self, request: Request, number: str, failed=None, status: int = 200) -> Response:
        defs, record = self.record_of(number)
        now = self.desk.now()
        person = self.person(request)
        context = pages.record_context(defs, record, now, person, form_made_under(defs, record, now))
        view, form = context["view"], context["form"]
        if failed is not None:  # the action tried stays on the page with what was typed, beside its refusal
            context["actions"] = pages.with_failed(defs, record, view, person, context["actions"], failed[0])
        controls = {a.key: pages.action_controls(defs, form, view, a, now) for a in context["actions"]}
        failed_key = ""
        if failed is not None:
            failed_key, check = failed
            context["failed"] = check
        if failed_key in controls:
            controls[failed_key] = pages.Controls(
                {**controls[failed_key].values, **{k: v for k, v in check.posted.raw.items()}},
                dict(check.problems), check.shown_hidden, defs.settings, prefix=f"a-{failed_key}", labels=form_labels(form),
                required=controls[failed_key].required)
        children = self.desk.store().children(record.number)
        return self.render("record.html", request, status, controls=controls, failed_key=failed_key,
                           pdf=self.desk.record_pdf(record) is not None, children=children, fx=fx,
                           notice=letters.has_notice(record),
                           now=pages.short(now, defs.settings), **context)

    def record_pdf(self, request: Request, number: str) -> Response:
        _, record = self.record_of(number)
        path = self.desk.record_pdf(record)
        if path is None:
            raise HTTPError(404, "这条记录的 PDF 还没有生成")
        return Response(path.read_bytes(), 200, "application/pdf",
                        [("Content-Disposition", f"inline; filename*=UTF-8''{quote(path.name)}")])

    def action_check(self, request: Request, number: str, action: str) -> Response:
        defs, record = self.record_of(number)
        return Response.json(check_action(defs, record, action, request.form, self.desk.now()).as_json())

    def action_submit(self, request: Request, number: str, action: str) -> Response:
        defs, record = self.record_of(number)
        workflow = defs.workflows[record.form]
        if action not in workflow.actions and not (action == CORRECT and workflow.corrections is not None):
            raise HTTPError(404, "流程中没有这个操作")
        check = check_action(defs, record, action, request.form, self.desk.now())
        if not check.ok:
            return self.record_page(request, number, (action, check), 422)
        ticket = self.processor.submit(check.doc, f"{record.number}-{action}", "action", record.number, action)
        return self.remember(Response.redirect(f"/submitted/{ticket.id}"), check.doc["by"])

    def submitted(self, request: Request, ticket_id: str) -> Response:
        ticket = self.processor.ticket(ticket_id)
        if ticket is None:
            raise HTTPError(404, "找不到这次提交（服务台重启后，请在首页或记录列表中查看）")
        defs = self.desk.defs()
        outcome = self.processor.outcome(ticket)
        links = []
        for number in outcome.records:
            record = self.desk.record(number)
            if record is not None:
                links.append({"number": number, "pdf": self.desk.record_pdf(record) is not None,
                              "form": defs.forms[record.form].title if record.form in defs.forms else record.form})
        waiting_pdf = (outcome.status == "stored" and defs.settings.record_pdfs
                       and not all(link["pdf"] for link in links) and time.monotonic() - ticket.created < PDF_WAIT)
        title = defs.forms[ticket.target].title if ticket.kind == "form" and ticket.target in defs.forms else ""
        if ticket.kind == "duty":
            title = defs.duties[ticket.target].label if ticket.target in defs.duties else ticket.target
        action = ""
        if ticket.kind == "action":
            record = self.desk.record(ticket.target)
            workflow = defs.workflows.get(record.form) if record else None
            action = (workflow.actions[ticket.action].label if workflow and ticket.action in workflow.actions
                      else BUILT_IN.get(ticket.action, ""))
        return self.render("submitted.html", request, ticket=ticket, outcome=outcome, links=links, title=title,
                           action=action, refresh=outcome.status == "pending" or waiting_pdf,
                           watcher=self.processor.busy_owner)

    def todo_file(self, request: Request, name: str) -> Response:
        path = self.desk.todo_file(name)
        if path is None:
            raise HTTPError(404, "没有这个文件")
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if kind.startswith("text/"):
            kind += "; charset=utf-8"
        return Response(path.read_bytes(), 200, kind,
                        [("Content-Disposition", f"inline; filename*=UTF-8''{quote(name)}")])

    def duty_done(self, request: Request, key: str) -> Response:
        """A recurring duty marked done by the person at this desk (the engine checks their role)."""
        defs = self.desk.defs()
        duty = defs.duties.get(key)
        if duty is None:
            raise HTTPError(404, "没有这项周期性工作")
        person = self.person(request)
        if person is None:
            raise HTTPError(403, "请先在页面右上角登录（选择姓名，输入密码）" if self.pin_mode
                            else "请先在页面右上角“我是”中选择您的姓名")
        doc = {"duty": key, "by": person.name, "at": self.desk.now().isoformat(timespec="seconds")}
        ticket = self.processor.submit(doc, f"duty-{key}", "duty", key)
        return Response.redirect(f"/submitted/{ticket.id}")

    def sign_out(self, request: Request) -> Response:
        person = self.person(request)
        if person is not None:
            settings = self.desk.defs().settings
            AuditLog(self.desk.root / "data", settings.station).append("signed_out", person.name, "desk")
        self.signin.sign_out(request.cookies.get(WHO_COOKIE, ""))
        response = Response.redirect("/")
        response.headers.append(("Set-Cookie", f"{WHO_COOKIE}=; Path=/; SameSite=Strict; HttpOnly; Max-Age=0"))
        return response

    def choose_person(self, request: Request) -> Response:
        name = request.form.first("person").strip()
        back = request.form.first("next", "/")
        if not back.startswith("/") or back[1:2] in ("/", "\\"):  # (browsers read /\x as //x)
            back = "/"
        if self.pin_mode:  # switching person asks for that person's PIN
            settings = self.desk.defs().settings
            outcome = self.signin.attempt(name, request.form.first("pin"), settings)
            audit = AuditLog(self.desk.root / "data", settings.station)
            if not outcome.token:
                audit.append("locked" if "锁定" in outcome.message else "sign_in_failed", name[:30], "desk",
                             reason=outcome.message[:200])
                return self.render("error.html", request, 403, code=403, message=outcome.message, back=back)
            audit.append("signed_in", name, "desk")
            self.signin.sign_out(request.cookies.get(WHO_COOKIE, ""))  # who was signed in here before: ended
            response = Response.redirect(back)
            response.headers.append(("Set-Cookie", f"{WHO_COOKIE}={outcome.token}; Path=/; SameSite=Strict; HttpOnly"))
            return response
        response = Response.redirect(back)
        if self.desk.defs().settings.person(name) is not None:
            self.remember(response, name)
        return response


def _listing(folder: Path) -> set[str]:
    try:
        return {p.name for p in folder.iterdir() if p.is_file()}
    except OSError:
        return set()
