#!/usr/bin/env python3
"""A small model server speaking the Open Inference Protocol v2 (KServe V2) REST API.

Standard library only (Python 3.11+). It serves one linear or logistic regression model
read from a JSON file, and can inject faults (errors, latency, never ready, slow start,
crashes) so Sluice's data plane, rollouts and rollbacks can be exercised.

    python3 examples/server/v2_server.py --model-file PATH --port N \
        --name MODEL --version VERSION [--host 127.0.0.1]

Exit codes: 0 after SIGTERM/SIGINT, 1 when it cannot listen, 2 for a bad model file,
bad fault variable or bad arguments, 3 for an injected crash (crashAfterRequests).
See examples/README.md for the model file format and the fault knobs.
"""

from __future__ import annotations

import argparse
import http.server
import json
import math
import os
import random
import re
import signal
import socket
import sys
import threading
import time
import urllib.parse

SERVER_NAME = "sluice-example-v2"
SERVER_VERSION = "1"
MAX_BODY = 16 * 1024 * 1024
IDLE_TIMEOUT_S = 75.0  # idle keep-alive connections are closed after this long
DRAIN_GRACE_S = 5.0  # on SIGTERM, in-flight requests get this long to finish
NUMERIC_DATATYPES = {
    "BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64",
    "FP16", "FP32", "FP64",
}
MODEL_TYPES = ("logistic_regression", "linear_regression")
FAULT_DEFAULTS = {
    "errorRate": 0.0,
    "latencyMs": 0.0,
    "neverReady": False,
    "readyAfterMs": 0.0,
    "crashAfterRequests": 0,
}
FAULT_ENV = {
    "errorRate": "SLUICE_FAULT_ERROR_RATE",
    "latencyMs": "SLUICE_FAULT_LATENCY_MS",
    "neverReady": "SLUICE_FAULT_NEVER_READY",
    "readyAfterMs": "SLUICE_FAULT_READY_AFTER_MS",
    "crashAfterRequests": "SLUICE_FAULT_CRASH_AFTER",
}


def log(message: str) -> None:
    sys.stderr.write(f"v2_server: {message}\n")
    sys.stderr.flush()


# --------------------------------------------------------------------------- model


class ModelError(Exception):
    """A model file or fault setting that cannot be used."""


class RequestError(Exception):
    """A request the server answers with an error status and a V2 error body."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _is_number(value) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:  # an integer too large for a float
        return False


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _softmax(zs: list[float]) -> list[float]:
    top = max(zs)
    es = [math.exp(z - top) for z in zs]
    total = sum(es)
    return [e / total for e in es]


class Model:
    """A linear model: `logistic_regression` (binary or multiclass) or `linear_regression`."""

    def __init__(self, path: str, doc):
        def bad(field: str, message: str) -> ModelError:
            return ModelError(f"{path}: {field}: {message}")

        if not isinstance(doc, dict):
            raise bad("(top level)", "expected a JSON object")
        kind = doc.get("type")
        if kind not in MODEL_TYPES:
            raise bad("type", f"expected one of {', '.join(repr(t) for t in MODEL_TYPES)}, got {kind!r}")
        self.kind = kind

        inputs = doc.get("inputs")
        if not isinstance(inputs, list) or not inputs:
            raise bad("inputs", "expected a non-empty list of feature names")
        for i, name in enumerate(inputs):
            if not isinstance(name, str) or not name:
                raise bad(f"inputs[{i}]", f"expected a non-empty string, got {name!r}")
        dupes = sorted({n for n in inputs if inputs.count(n) > 1})
        if dupes:
            raise bad("inputs", f"duplicate feature names: {', '.join(dupes)}")
        self.inputs: list[str] = inputs
        n_features = len(inputs)

        coef = doc.get("coef")
        if isinstance(coef, list) and coef and all(isinstance(r, list) for r in coef):
            rows = coef
            two_d = True
        elif isinstance(coef, list):
            rows = [coef]
            two_d = False
        else:
            raise bad("coef", "expected a list of numbers or a list of rows (one per class)")
        for r, row in enumerate(rows):
            where = f"coef[{r}]" if two_d else "coef"
            if len(row) != n_features:
                raise bad(where, f"expected {n_features} numbers (one per input), got {len(row)}")
            for c, value in enumerate(row):
                if not _is_number(value):
                    raise bad(f"{where}[{c}]", f"expected a finite number, got {value!r}")
        if kind == "linear_regression" and len(rows) != 1:
            raise bad("coef", "linear_regression takes one row of coefficients")
        self.coef: list[list[float]] = [[float(v) for v in row] for row in rows]

        intercept = doc.get("intercept", 0.0)
        if _is_number(intercept):
            intercepts = [float(intercept)]
        elif isinstance(intercept, list) and all(_is_number(v) for v in intercept):
            intercepts = [float(v) for v in intercept]
        else:
            raise bad("intercept", f"expected a finite number or a list of them, got {intercept!r}")
        if len(intercepts) != len(rows):
            raise bad("intercept", f"expected {len(rows)} number(s) (one per row of coef), got {len(intercepts)}")
        self.intercept = intercepts

        if kind == "logistic_regression":
            n_classes = 2 if len(rows) == 1 else len(rows)
            classes = doc.get("classes")
            if classes is None:
                classes = [str(i) for i in range(n_classes)]
            else:
                if not isinstance(classes, list) or len(classes) != n_classes:
                    raise bad("classes", f"expected a list of {n_classes} class labels, got {classes!r}")
                for i, label in enumerate(classes):
                    if not isinstance(label, str) or not label:
                        raise bad(f"classes[{i}]", f"expected a non-empty string, got {label!r}")
                if len(set(classes)) != len(classes):
                    raise bad("classes", "class labels must be distinct")
            self.classes: list[str] | None = classes
        else:
            if doc.get("classes") is not None:
                raise bad("classes", "only logistic_regression models have classes")
            self.classes = None

        self.faults = _parse_faults(path, doc.get("faults"))

    @property
    def n_features(self) -> int:
        return len(self.inputs)

    def describe(self) -> str:
        if self.classes is None:
            return f"{self.kind}, {self.n_features} inputs"
        return f"{self.kind}, {self.n_features} inputs, {len(self.classes)} classes"

    def predict(self, rows: list[list[float]]):
        """Returns (labels or values, probabilities or None) for the rows."""
        outputs = []
        probas = [] if self.classes is not None else None
        for x in rows:
            zs = [b + sum(w * v for w, v in zip(row, x)) for row, b in zip(self.coef, self.intercept)]
            if self.kind == "linear_regression":
                outputs.append(zs[0])
                continue
            if len(zs) == 1:
                p1 = _sigmoid(zs[0])
                ps = [1.0 - p1, p1]
            else:
                ps = _softmax(zs)
            if not all(math.isfinite(p) for p in ps):
                raise RequestError(400, "the inputs are too large: the prediction is not a finite number")
            best = max(range(len(ps)), key=lambda i: ps[i])
            outputs.append(self.classes[best])
            probas.append(ps)
        if self.classes is None and not all(math.isfinite(v) for v in outputs):
            raise RequestError(400, "the inputs are too large: the prediction is not a finite number")
        return outputs, probas


def _parse_faults(path: str, faults) -> dict:
    result = dict(FAULT_DEFAULTS)
    if faults is None:
        faults = {}
    if not isinstance(faults, dict):
        raise ModelError(f"{path}: faults: expected an object, got {faults!r}")
    for key, value in faults.items():
        if key not in FAULT_DEFAULTS:
            raise ModelError(f"{path}: faults.{key}: unknown fault; known: {', '.join(FAULT_DEFAULTS)}")
        result[key] = _check_fault(key, value, lambda msg, k=key: ModelError(f"{path}: faults.{k}: {msg}"))
    for key, var in FAULT_ENV.items():
        raw = os.environ.get(var)
        if raw is None or raw.strip() == "":
            continue
        raw = raw.strip()
        if key == "neverReady":
            lowered = raw.lower()
            if lowered in ("1", "true", "yes", "on"):
                value = True
            elif lowered in ("0", "false", "no", "off"):
                value = False
            else:
                raise ModelError(f"environment variable {var}: expected 1 or 0, got {raw!r}")
        else:
            try:
                value = int(raw) if key == "crashAfterRequests" else float(raw)
            except ValueError:
                kind = "an integer" if key == "crashAfterRequests" else "a number"
                raise ModelError(f"environment variable {var}: expected {kind}, got {raw!r}") from None
        result[key] = _check_fault(key, value, lambda msg, v=var: ModelError(f"environment variable {v}: {msg}"))
    return result


def _check_fault(key: str, value, error):
    if key == "neverReady":
        if not isinstance(value, bool):
            raise error(f"expected true or false, got {value!r}")
        return value
    if not _is_number(value):
        raise error(f"expected a finite number, got {value!r}")
    if key == "errorRate":
        if not 0.0 <= value <= 1.0:
            raise error(f"expected a fraction between 0 and 1, got {value!r}")
        return float(value)
    if key == "crashAfterRequests":
        if isinstance(value, float) and not value.is_integer():
            raise error(f"expected a whole number, got {value!r}")
        if value < 0:
            raise error(f"expected 0 (never) or more, got {value!r}")
        return int(value)
    if value < 0:
        raise error(f"expected 0 or more milliseconds, got {value!r}")
    return float(value)


def load_model(path: str) -> Model:
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise ModelError(f"{path}: cannot read the model file: {e.strerror or e}") from None
    try:
        doc = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError as e:
        raise ModelError(f"{path}: the model file is not UTF-8: {e}") from None
    except (ValueError, RecursionError) as e:
        raise ModelError(f"{path}: the model file is not valid JSON: {e}") from None
    return Model(path, doc)


# --------------------------------------------------------------------------- requests


def _flatten(data, where: str) -> list:
    out = []
    stack = [iter([data])]
    # Iterative flatten so deeply nested input cannot exhaust the recursion limit.
    while stack:
        try:
            item = next(stack[-1])
        except StopIteration:
            stack.pop()
            continue
        if isinstance(item, list):
            if len(stack) > 32:
                raise RequestError(400, f"{where}: data is nested too deeply")
            stack.append(iter(item))
        else:
            out.append(item)
    return out


def _tensor_values(tensor: dict, where: str) -> tuple[list[int], list[float]]:
    """Checks one V2 input tensor; returns its shape and its values as floats, row-major."""
    shape = tensor.get("shape")
    if not isinstance(shape, list) or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise RequestError(400, f"{where}: shape must be a list of non-negative integers, got {shape!r}")
    datatype = tensor.get("datatype")
    if datatype is None:
        raise RequestError(400, f"{where}: datatype is required (for example FP64)")
    if datatype not in NUMERIC_DATATYPES:
        raise RequestError(400, f"{where}: datatype {datatype!r} is not supported; expected a numeric type such as FP64")
    if "data" not in tensor:
        raise RequestError(400, f"{where}: data is required")
    values = _flatten(tensor["data"], where)
    expected = math.prod(shape)
    if len(values) != expected:
        raise RequestError(400, f"{where}: shape {shape} holds {expected} values but data has {len(values)}")
    floats = []
    for i, v in enumerate(values):
        if isinstance(v, bool):
            if datatype != "BOOL":
                raise RequestError(400, f"{where}: data[{i}] is a boolean but datatype is {datatype}")
            floats.append(1.0 if v else 0.0)
        elif _is_number(v):
            floats.append(float(v))
        else:
            raise RequestError(400, f"{where}: data[{i}] must be a finite number, got {v!r}")
    return shape, floats


def parse_infer_request(model: Model, body: bytes) -> tuple[list[list[float]], dict]:
    """Returns the rows of features and the parsed request."""
    try:
        doc = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
    except UnicodeDecodeError:
        raise RequestError(400, "the request body is not UTF-8") from None
    except RecursionError:
        raise RequestError(400, "the request body is nested too deeply") from None
    except ValueError as e:
        raise RequestError(400, f"the request body is not valid JSON: {e}") from None
    if not isinstance(doc, dict):
        raise RequestError(400, "the request body must be a JSON object with an \"inputs\" list")
    if "id" in doc and not isinstance(doc["id"], str):
        raise RequestError(400, f"id must be a string, got {doc['id']!r}")
    inputs = doc.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise RequestError(400, "inputs must be a non-empty list of tensors")
    for i, tensor in enumerate(inputs):
        if not isinstance(tensor, dict):
            raise RequestError(400, f"inputs[{i}] must be an object")
        if not isinstance(tensor.get("name"), str):
            raise RequestError(400, f"inputs[{i}]: name must be a string")

    names = [t["name"] for t in inputs]
    features = model.inputs
    n_features = len(features)

    # One tensor per feature when every name is a feature, unless a single tensor is
    # shaped [N, F] for a model of several features (then it is the whole matrix).
    first_shape = inputs[0].get("shape")
    matrix_shaped = isinstance(first_shape, list) and len(first_shape) == 2 and first_shape[1] == n_features
    per_feature = all(n in features for n in names) and not (len(inputs) == 1 and matrix_shaped and n_features > 1)
    if per_feature:
        # (b) one tensor per feature, each of shape [N] (or [N, 1]).
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise RequestError(400, f"input(s) given more than once: {', '.join(dupes)}")
        missing = [f for f in features if f not in names]
        if missing:
            raise RequestError(400, f"missing input(s) {', '.join(missing)}; the model takes {', '.join(features)}")
        columns = {}
        n_rows = None
        for tensor in inputs:
            where = f"input {tensor['name']!r}"
            shape, values = _tensor_values(tensor, where)
            if len(shape) == 1 or (len(shape) == 2 and shape[1] == 1):
                rows = shape[0]
            else:
                raise RequestError(400, f"{where}: shape must be [N] (one value per row), got {shape}")
            if n_rows is None:
                n_rows = rows
            elif rows != n_rows:
                raise RequestError(400, f"{where}: has {rows} rows but the other inputs have {n_rows}")
            columns[tensor["name"]] = values
        matrix = [[columns[f][r] for f in features] for r in range(n_rows or 0)]
        return matrix, doc

    if len(inputs) == 1:
        # (a) one tensor of shape [N, F], data flat row-major or nested.
        tensor = inputs[0]
        where = f"input {tensor['name']!r}"
        shape, values = _tensor_values(tensor, where)
        if len(shape) != 2 or shape[1] != n_features:
            raise RequestError(400, f"{where}: shape must be [N, {n_features}] (one column per feature: "
                               f"{', '.join(features)}), got {shape}")
        matrix = [values[r * n_features:(r + 1) * n_features] for r in range(shape[0])]
        return matrix, doc

    unknown = [n for n in names if n not in features]
    raise RequestError(400, f"unknown input(s) {', '.join(repr(n) for n in unknown)}; send one tensor "
                       f"of shape [N, {n_features}] or one tensor per feature named {', '.join(features)}")


# --------------------------------------------------------------------------- server


class State:
    def __init__(self, model: Model, name: str, version: str):
        self.model = model
        self.name = name
        self.version = version
        self.started = time.monotonic()
        self.lock = threading.Lock()
        self.infer_count = 0
        self.in_flight = 0
        self.idle = threading.Condition(self.lock)
        self.stopping = False

    def ready(self) -> tuple[bool, str]:
        faults = self.model.faults
        if self.stopping:
            return False, "the server is shutting down"
        if faults["neverReady"]:
            return False, "the model is never ready (fault injection: neverReady)"
        waited_ms = (time.monotonic() - self.started) * 1000.0
        if waited_ms < faults["readyAfterMs"]:
            return False, f"the model is not ready yet (fault injection: readyAfterMs={faults['readyAfterMs']:g})"
        return True, ""


MODEL_ROUTE = re.compile(r"^/v2/models/([^/]+)(?:/versions/([^/]+))?(/ready|/infer)?/?$")


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = f"{SERVER_NAME}/{SERVER_VERSION}"
    sys_version = ""
    timeout = IDLE_TIMEOUT_S
    error_content_type = "application/json"
    state: State  # set on the subclass made in serve()

    def version_string(self):
        return self.server_version

    def setup(self):
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_message(self, format, *args):  # noqa: A002 - quiet: no line per request
        pass

    # -- responses

    def has_unread_body(self) -> bool:
        if getattr(self, "body_consumed", False) or not hasattr(self, "headers") or self.headers is None:
            return False
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return True
        return (self.headers.get("Content-Length") or "0").strip() not in ("", "0")

    def send_json(self, status: int, obj, headers: dict | None = None) -> None:
        body = json.dumps(obj, separators=(",", ":"), allow_nan=False).encode("utf-8")
        if self.has_unread_body():
            # A body left unread would be parsed as the next request: close instead.
            self.close_connection = True
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-model-version", self.state.version)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if self.state.stopping or self.close_connection:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def send_error(self, code, message=None, explain=None):
        # Errors raised by http.server itself (bad request line, unsupported method, ...)
        # get a V2 error body instead of HTML.
        try:
            short, _ = self.responses.get(code, ("error", ""))
        except AttributeError:
            short = "error"
        self.close_connection = True
        if not hasattr(self, "command") or self.command is None:
            self.command = ""
        if code in (http.HTTPStatus.NOT_IMPLEMENTED, http.HTTPStatus.METHOD_NOT_ALLOWED) and self.command:
            message = f"method {self.command} is not supported"
        self.send_json(code, {"error": message or short})

    # -- request plumbing

    def read_body(self) -> bytes:
        self.body_consumed = True  # read now, or the connection is closed on error
        encoding = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in encoding:
            return self._read_chunked()
        length = self.headers.get("Content-Length")
        if length is None:
            raise RequestError(411, "a request body with a Content-Length header is required")
        try:
            n = int(length)
            if n < 0:
                raise ValueError
        except ValueError:
            raise RequestError(400, f"Content-Length {length!r} is not a valid length") from None
        if n > MAX_BODY:
            self.close_connection = True
            raise RequestError(413, f"the request body is {n} bytes; the limit is {MAX_BODY} bytes (16 MiB)")
        body = self.rfile.read(n)
        if len(body) != n:
            self.close_connection = True
            raise RequestError(400, "the request body ended early")
        return body

    def _read_chunked(self) -> bytes:
        parts = []
        total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                self.close_connection = True
                raise RequestError(400, "malformed chunked request body") from None
            if size == 0:
                while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts)
            total += size
            if total > MAX_BODY:
                self.close_connection = True
                raise RequestError(413, f"the request body exceeds the limit of {MAX_BODY} bytes (16 MiB)")
            chunk = self.rfile.read(size)
            if len(chunk) != size:
                self.close_connection = True
                raise RequestError(400, "the request body ended early")
            parts.append(chunk)
            self.rfile.readline(1024)

    def handle_expect_100(self):
        length = self.headers.get("Content-Length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY:
            self.send_json(413, {"error": f"the request body is {length} bytes; the limit is {MAX_BODY} bytes (16 MiB)"},
                           {"Connection": "close"})
            self.close_connection = True
            return False
        return super().handle_expect_100()

    def dispatch(self, method: str) -> None:
        state = self.state
        self.body_consumed = False
        with state.lock:
            state.in_flight += 1
        try:
            self.route(method)
        except RequestError as e:
            self.send_json(e.status, {"error": e.message}, e.headers)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception as e:  # a bug: answer 500 rather than drop the connection
            log(f"internal error: {type(e).__name__}: {e}")
            self.send_json(500, {"error": f"internal error: {type(e).__name__}"})
        finally:
            with state.lock:
                state.in_flight -= 1
                state.idle.notify_all()

    def do_GET(self):
        self.dispatch("GET")

    def do_HEAD(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def route(self, method: str) -> None:
        state = self.state
        path = urllib.parse.urlsplit(self.path).path
        if path in ("/v2", "/v2/"):
            self.only(method, "GET")
            self.send_json(200, {"name": SERVER_NAME, "version": SERVER_VERSION, "extensions": []})
            return
        if path == "/v2/health/live":
            self.only(method, "GET")
            self.send_json(200, {"live": True})
            return
        if path == "/v2/health/ready":
            self.only(method, "GET")
            ready, why = state.ready()
            self.send_json(200, {"ready": True}) if ready else self.send_json(503, {"ready": False, "error": why})
            return
        match = MODEL_ROUTE.match(path)
        if not match:
            raise RequestError(404, f"no route for {path}")
        name = urllib.parse.unquote(match.group(1))
        version = match.group(2)
        action = match.group(3)
        if name != state.name:
            raise RequestError(404, f"model {name!r} not found; this server serves {state.name!r}")
        if version is not None and urllib.parse.unquote(version) != state.version:
            raise RequestError(404, f"version {urllib.parse.unquote(version)!r} of model {name!r} not found; "
                               f"this server serves version {state.version!r}")
        if action is None:
            self.only(method, "GET")
            self.send_json(200, self.metadata())
        elif action == "/ready":
            self.only(method, "GET")
            ready, why = state.ready()
            if ready:
                self.send_json(200, {"name": state.name, "ready": True})
            else:
                self.send_json(503, {"name": state.name, "ready": False, "error": why})
        else:
            self.only(method, "POST")
            self.infer()

    def only(self, method: str, allowed: str) -> None:
        if method != allowed:
            allow = "GET, HEAD" if allowed == "GET" else allowed
            raise RequestError(405, f"method {self.command} is not allowed here; use {allowed}", {"Allow": allow})

    def metadata(self) -> dict:
        model = self.model
        if model.classes is None:
            outputs = [{"name": "predict", "datatype": "FP64", "shape": [-1]}]
        else:
            outputs = [
                {"name": "predict", "datatype": "BYTES", "shape": [-1]},
                {"name": "predict_proba", "datatype": "FP64", "shape": [-1, len(model.classes)]},
            ]
        return {
            "name": self.state.name,
            "versions": [self.state.version],
            "platform": "python-stdlib",
            "inputs": [{"name": "input-0", "datatype": "FP64", "shape": [-1, model.n_features]}],
            "outputs": outputs,
        }

    @property
    def model(self) -> Model:
        return self.state.model

    def infer(self) -> None:
        state = self.state
        faults = self.model.faults
        try:
            body = self.read_body()
            if faults["latencyMs"] > 0:
                time.sleep(faults["latencyMs"] / 1000.0)
            if faults["errorRate"] > 0 and random.random() < faults["errorRate"]:
                raise RequestError(500, f"injected fault: this request failed on purpose (errorRate={faults['errorRate']:g})")
            rows, request = parse_infer_request(self.model, body)
            labels, probas = self.model.predict(rows)
            n = len(rows)
            if self.model.classes is None:
                outputs = [{"name": "predict", "shape": [n], "datatype": "FP64", "data": labels}]
            else:
                c = len(self.model.classes)
                outputs = [
                    {"name": "predict", "shape": [n], "datatype": "BYTES", "data": labels},
                    {"name": "predict_proba", "shape": [n, c], "datatype": "FP64",
                     "data": [p for ps in probas for p in ps]},
                ]
            wanted = request.get("outputs")
            if wanted is not None:
                if not isinstance(wanted, list) or not all(isinstance(o, dict) and isinstance(o.get("name"), str) for o in wanted):
                    raise RequestError(400, "outputs must be a list of objects with a name")
                known = {o["name"] for o in outputs}
                unknown = [o["name"] for o in wanted if o["name"] not in known]
                if unknown:
                    raise RequestError(400, f"unknown output(s) {', '.join(repr(u) for u in unknown)}; "
                                       f"this model has {', '.join(sorted(known))}")
                names = [o["name"] for o in wanted]
                outputs = [o for o in outputs if o["name"] in names]
            response = {"model_name": state.name, "model_version": state.version}
            if "id" in request:
                response["id"] = request["id"]
            response["outputs"] = outputs
            self.send_json(200, response)
        except RequestError as e:
            self.send_json(e.status, {"error": e.message}, e.headers)
        finally:
            self.count_infer()

    def count_infer(self) -> None:
        limit = self.model.faults["crashAfterRequests"]
        with self.state.lock:
            self.state.infer_count += 1
            count = self.state.infer_count
        if limit and count >= limit:
            try:
                self.wfile.flush()
            except OSError:
                pass
            log(f"crashing after {count} infer request(s) (fault injection: crashAfterRequests={limit})")
            os._exit(3)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def serve(args) -> int:
    # Until the server runs, SIGTERM simply ends the process cleanly.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    try:
        model = load_model(args.model_file)
    except ModelError as e:
        log(f"error: {e}")
        return 2

    state = State(model, args.name, args.version)
    handler = type("BoundHandler", (Handler,), {"state": state})
    server_class = Server
    if ":" in args.host:
        server_class = type("Server6", (Server,), {"address_family": socket.AF_INET6})
    try:
        server = server_class((args.host, args.port), handler)
    except OSError as e:
        log(f"cannot listen on {args.host}:{args.port}: {e.strerror or e}")
        return 1

    def stop(signum, frame):
        if state.stopping:
            return
        state.stopping = True
        # shutdown() waits for serve_forever() to return, so it must run on another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    host, port = server.server_address[:2]
    active = {k: v for k, v in model.faults.items() if v != FAULT_DEFAULTS[k]}
    fault_text = "" if not active else " faults " + json.dumps(active, separators=(",", ":"))
    log(f"serving model {args.name!r} version {args.version!r} ({model.describe()}) "
        f"from {args.model_file} on http://{host}:{port}{fault_text}")

    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
    # Let requests already being answered finish (idle keep-alive connections do not count).
    deadline = time.monotonic() + DRAIN_GRACE_S
    with state.lock:
        while state.in_flight > 0 and time.monotonic() < deadline:
            state.idle.wait(timeout=max(0.0, deadline - time.monotonic()))
    log("stopped")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="A small Open Inference Protocol v2 (KServe V2) model server.")
    parser.add_argument("--model-file", required=True, help="the model JSON file")
    parser.add_argument("--port", required=True, type=int, help="the port to listen on (0: any free port)")
    parser.add_argument("--name", required=True, help="the model name in /v2/models/{name}")
    parser.add_argument("--version", required=True, help="the model version reported and accepted in routes")
    parser.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error(f"--port must be between 0 and 65535, got {args.port}")
    if not args.name or "/" in args.name:
        parser.error(f"--name must be non-empty and contain no '/', got {args.name!r}")
    if not args.version or "/" in args.version:
        parser.error(f"--version must be non-empty and contain no '/', got {args.version!r}")
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
