"""An HTTP proxy between the scanner and the moto server that injects faults, per service and operation.

Faults are what production throws at a scanner: throttling (then recovery), HTTP 500/503,
AccessDenied, connection resets, responses slower than the read timeout, and a paginated listing
that fails on its second page.  Each answers in the wire format of the service's protocol (query
XML, EC2 XML, JSON, REST-XML, REST-JSON) so that botocore parses the error code as it would AWS's.
"""
from __future__ import annotations

import functools
import http.client
import json
import re
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

_SIGNING = re.compile(r"Credential=[^/]+/[^/]+/[^/]+/([^/]+)/aws4_request")
_XML_REST = {"s3", "s3control", "cloudfront", "route53"}


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    service: str
    operation: str | None  # from Action= or X-Amz-Target; None for REST protocols

    @property
    def protocol(self) -> str:
        if "x-amz-target" in self.headers:
            return "json"
        if self.operation is not None:
            return "ec2" if self.service == "ec2" else "query"
        return "rest-xml" if self.service in _XML_REST else "rest-json"

    def resolve(self) -> str | None:
        """The operation this request is, for every protocol (REST ones through the models)."""
        if self.operation is not None:
            return self.operation
        matches = [(specificity, op) for method, pattern, required, specificity, op in _rest_operations(self.service)
                   if method == self.method and pattern.match(self.path) and required <= set(self.query)]
        return max(matches)[1] if matches else None

    @property
    def next_page(self) -> bool:
        params = {k.lower() for k in self.query} | {k.lower() for k in _form(self.body)}
        text = self.body.decode("utf-8", "replace").lower()
        return bool(params & {"nexttoken", "marker", "continuation-token", "starting-token"}) or \
            '"nexttoken"' in text or '"marker"' in text


def _rest_operations(signing_name: str) -> list[tuple[str, re.Pattern[str], frozenset[str], int, str]]:
    """(method, path pattern, required query keys, specificity, operation) for every REST
    operation of the services signed as `signing_name`, from botocore's own service models."""
    return _rest_table().get(signing_name, [])


@functools.cache
def _rest_table() -> dict[str, list[tuple[str, re.Pattern[str], frozenset[str], int, str]]]:
    """`_rest_operations` for every signing name, built once from the models of the services the
    collectors declare — the scanner calls no other (its session refuses undeclared calls), and
    loading all of botocore's 400-odd models would take seconds."""
    import botocore.session

    import vendorguard.scanner.sources.aws.collectors  # noqa: F401 - registers every collector
    from vendorguard.scanner.sources.aws.units import declared_operations

    session = botocore.session.get_session()
    table: dict[str, list[tuple[str, re.Pattern[str], frozenset[str], int, str]]] = {}
    for name in sorted({service for service, _ in declared_operations()}):
        model = session.get_service_model(name)
        if model.protocol not in ("rest-json", "rest-xml"):
            continue
        signing = model.metadata.get("signingName") or model.metadata.get("endpointPrefix")
        for op_name in model.operation_names:
            http = model.operation_model(op_name).http
            path, _, query = http["requestUri"].partition("?")
            pattern = re.sub(r"\\\{[^}]+?\\\+\\\}", "(.+)", re.escape(path))
            pattern = re.sub(r"\\\{[^}]+?\\\}", "([^/]+)", pattern)
            required = frozenset(q.split("=")[0] for q in query.split("&") if q)
            literal = len(re.sub(r"\{[^}]+\}", "", path)) + 10 * len(required)
            table.setdefault(signing, []).append((http["method"], re.compile(f"^{pattern}/?$"), required, literal, op_name))
    return table


def _form(body: bytes) -> dict[str, list[str]]:
    try:
        return urllib.parse.parse_qs(body.decode())
    except UnicodeDecodeError:
        return {}


@dataclass
class Fault:
    """Inject `kind` into requests of `service` (AWS signing name) matching `operation` or `match`.

    kinds: throttle, http500, http503, access_denied, not_enabled (what a region not enabled for the
    account answers: the credentials are not valid there), reset, slow, page2.  `times` limits how
    often it fires (None: always) — throttle twice then recover, say.
    """

    service: str
    kind: str
    operation: str | None = None
    match: Callable[[Request], bool] | None = None
    times: int | None = None
    fired: int = 0
    slow_seconds: float = 3.0

    def applies(self, request: Request) -> bool:
        if request.service != self.service:
            return False
        if self.operation is not None and request.operation != self.operation:
            return False
        if self.match is not None and not self.match(request):
            return False
        return self.times is None or self.fired < self.times


def _error(request: Request, status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    """An error in the service's own wire format."""
    if request.protocol in ("json", "rest-json"):
        body = json.dumps({"__type": code, "message": message}).encode()
        return status, {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": code}, body
    if request.protocol == "ec2":
        body = (f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
                "<RequestID>fault</RequestID></Response>").encode()
    elif request.protocol == "query":
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message>"
                "</Error><RequestId>fault</RequestId></ErrorResponse>").encode()
    else:
        body = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>fault</RequestId></Error>".encode()
    return status, {"Content-Type": "text/xml"}, body


def _with_next_token(request: Request, status: int, headers: dict[str, str], body: bytes) -> bytes:
    """Make page one of a listing say there is a page two (which the proxy will then fail)."""
    if request.protocol in ("json", "rest-json"):
        data = json.loads(body or b"{}")
        data["NextToken"] = data["nextToken"] = "page-two"  # JSON and REST-JSON spellings
        return json.dumps(data).encode()
    text = body.decode()
    if request.protocol == "ec2":  # a child of the response element
        at, extra = text.rfind("</"), "<nextToken>page-two</nextToken>"
    else:  # query protocol: inside <OperationResult>
        text = re.sub(r"<IsTruncated>\w+</IsTruncated>|<Marker>[^<]*</Marker>|<Marker\s*/>", "", text)
        at, extra = text.rfind(f"</{request.operation}Result>"), "<IsTruncated>true</IsTruncated><Marker>page-two</Marker>"
    return (text[:at] + extra + text[at:]).encode()


class FaultProxy:
    """Start with `start()`; set `faults`; `stop()` when done.  `seen` lists every request."""

    def __init__(self, upstream: str) -> None:
        self.upstream = urllib.parse.urlparse(upstream)
        self.faults: list[Fault] = []
        self.seen: list[Request] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                proxy._serve(self)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.handle_error = lambda *args: None  # a reset or timeout we caused is not news
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FaultProxy":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _request(self, handler: BaseHTTPRequestHandler) -> Request:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length) if length else b""
        parsed = urllib.parse.urlparse(handler.path)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        match = _SIGNING.search(headers.get("authorization", ""))
        service = match.group(1) if match else "unknown"
        operation = None
        if "x-amz-target" in headers:
            operation = headers["x-amz-target"].split(".")[-1]
        else:
            action = _form(body).get("Action") or urllib.parse.parse_qs(parsed.query).get("Action")
            operation = action[0] if action else None
        return Request(handler.command, parsed.path, urllib.parse.parse_qs(parsed.query, keep_blank_values=True),
                       headers, body, service, operation)

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        request = self._request(handler)
        with self._lock:
            fault = next((f for f in self.faults if f.applies(request)), None)
            first_page = fault is not None and fault.kind == "page2" and not request.next_page
            if fault is not None and not first_page:
                fault.fired += 1
            self.seen.append(request)
        if first_page:
            # Page one goes through, claiming there is a page two; page two then fails.
            return self._forward(handler, request, rewrite=lambda s, h, b: _with_next_token(request, s, h, b))
        if fault is not None:
            return self._inject(handler, request, fault)
        self._forward(handler, request)

    def _inject(self, handler: BaseHTTPRequestHandler, request: Request, fault: Fault) -> None:
        if fault.kind == "reset":
            handler.close_connection = True
            handler.connection.shutdown(2)
            return
        if fault.kind == "slow":
            time.sleep(fault.slow_seconds)
            return self._forward(handler, request)
        status, headers, body = {
            "throttle": lambda: _error(request, 400, "ThrottlingException" if request.protocol in ("json", "rest-json")
                                       else "Throttling", "Rate exceeded"),
            "access_denied": lambda: _error(request, 403, "UnauthorizedOperation" if request.protocol == "ec2" else
                                            "AccessDeniedException" if request.protocol in ("json", "rest-json") else
                                            "AccessDenied", "injected: not authorized"),
            "not_enabled": lambda: _error(request, 401, "AuthFailure", "injected: not validated") if request.protocol == "ec2"
            else _error(request, 400, "UnrecognizedClientException", "injected: the security token is invalid")
            if request.protocol in ("json", "rest-json")
            else _error(request, 403, "InvalidClientTokenId", "injected: the security token is invalid"),
            "http500": lambda: _error(request, 500, "InternalError", "injected"),
            "http503": lambda: _error(request, 503, "ServiceUnavailable", "injected"),
            "page2": lambda: _error(request, 500, "InternalError", "injected: page two failed"),
        }[fault.kind]()
        self._reply(handler, status, headers, body)

    def _forward(self, handler: BaseHTTPRequestHandler, request: Request,
                 rewrite: Callable[[int, dict[str, str], bytes], bytes] | None = None) -> None:
        connection = http.client.HTTPConnection(self.upstream.hostname, self.upstream.port, timeout=60)
        try:
            connection.request(request.method, handler.path, body=request.body or None,
                               headers={k: v for k, v in handler.headers.items() if k.lower() != "content-length"}
                               | ({"Content-Length": str(len(request.body))} if request.body else {}))
            response = connection.getresponse()
            body = response.read()
            headers = {k: v for k, v in response.getheaders()
                       if k.lower() not in ("content-length", "transfer-encoding", "connection")}
            if rewrite is not None and response.status < 300:
                body = rewrite(response.status, headers, body)
            self._reply(handler, response.status, headers, body)
        finally:
            connection.close()

    def _reply(self, handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], body: bytes) -> None:
        handler.send_response(status)
        for key, value in headers.items():
            handler.send_header(key, value)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(body)
