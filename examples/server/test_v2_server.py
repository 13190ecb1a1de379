"""Tests for examples/server/v2_server.py (standard library only).

    python3 -m unittest examples/server/test_v2_server.py -v

Each test starts the server as a child process on a free loopback port and talks to it
over HTTP, the way Sluice's supervisor and data plane do.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "v2_server.py")
MODELS = os.path.join(os.path.dirname(HERE), "models")
# Deadlines for a hung child, never reached by a passing test: a loaded 2-core machine can
# take seconds to start an interpreter or to answer.
STARTUP_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 30.0
EXIT_TIMEOUT_S = 60.0

BINARY_MODEL = {
    "type": "logistic_regression",
    "inputs": ["amount", "merchant_risk", "hour", "distance_km"],
    "coef": [0.002, 3.0, -0.05, 0.01],
    "intercept": -4.0,
    "classes": ["legit", "fraud"],
}
ROWS = [[120.0, 0.2, 13.0, 8.0], [950.0, 0.9, 2.0, 420.0]]


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def binary_probability(row: list[float]) -> float:
    z = BINARY_MODEL["intercept"] + sum(w * x for w, x in zip(BINARY_MODEL["coef"], row))
    return sigmoid(z)


class Server:
    """A running v2_server.py child process."""

    def __init__(self, model: dict | str, name: str = "fraud-detector", version: str = "v2.1",
                 env: dict | None = None, port: int = 0):
        if isinstance(model, dict):
            fd, self.model_path = tempfile.mkstemp(suffix=".json", prefix="v2-model-")
            with os.fdopen(fd, "w") as f:
                json.dump(model, f)
            self.owns_model = True
        else:
            self.model_path = model
            self.owns_model = False
        self.name = name
        self.version = version
        # Before the child exists: its clock (time.monotonic, system-wide) starts after this.
        self.spawned_at = time.monotonic()
        child_env = {k: v for k, v in os.environ.items() if not k.startswith("SLUICE_FAULT_")}
        child_env.update(env or {})
        self.proc = subprocess.Popen(
            [sys.executable, SERVER, "--model-file", self.model_path, "--port", str(port),
             "--name", name, "--version", version, "--host", "127.0.0.1"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=child_env)
        self.startup_line = self._read_line()
        marker = "on http://127.0.0.1:"
        if marker not in self.startup_line:
            self.close()
            raise AssertionError(f"server did not start: {self.startup_line!r}")
        self.port = int(self.startup_line.split(marker, 1)[1].split()[0])

    def _read_line(self) -> str:
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stderr, selectors.EVENT_READ)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        data = b""
        while b"\n" not in data and time.monotonic() < deadline:
            if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                break
            chunk = os.read(self.proc.stderr.fileno(), 4096)
            if not chunk:
                break
            data += chunk
        sel.close()
        return data.decode("utf-8", "replace")

    def request(self, method: str, path: str, body=None, headers: dict | None = None,
                conn: http.client.HTTPConnection | None = None):
        """Returns (status, parsed JSON body, response headers)."""
        own = conn is None
        conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT_S)
        try:
            if body is not None and not isinstance(body, (bytes, str)):
                body = json.dumps(body)
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            raw = resp.read()
            self.assert_json(resp, raw)
            return resp.status, json.loads(raw), resp
        finally:
            if own:
                conn.close()

    @staticmethod
    def assert_json(resp, raw: bytes) -> None:
        if resp.getheader("Content-Type") != "application/json":
            raise AssertionError(f"Content-Type {resp.getheader('Content-Type')!r}")
        if int(resp.getheader("Content-Length")) != len(raw):
            raise AssertionError("Content-Length does not match the body")

    def infer(self, payload, path: str | None = None, **kw):
        return self.request("POST", path or f"/v2/models/{self.name}/infer", payload, **kw)

    def wait(self, timeout: float = EXIT_TIMEOUT_S) -> int:
        return self.proc.wait(timeout=timeout)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=EXIT_TIMEOUT_S)
        self.proc.stderr.close()
        if self.owns_model:
            os.unlink(self.model_path)


def matrix_request(rows, name="input-0", nested=True, **extra):
    data = rows if nested else [v for row in rows for v in row]
    return {"inputs": [{"name": name, "shape": [len(rows), len(rows[0])], "datatype": "FP64", "data": data}], **extra}


def per_feature_request(rows, features):
    return {"inputs": [{"name": f, "shape": [len(rows)], "datatype": "FP64", "data": [row[i] for row in rows]}
                       for i, f in enumerate(features)]}


class ServerTestCase(unittest.TestCase):
    def start(self, *args, **kwargs) -> Server:
        server = Server(*args, **kwargs)
        self.addCleanup(server.close)
        return server


class HealthAndMetadataTests(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(BINARY_MODEL)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def test_live_and_ready(self):
        s = self.server
        self.assertEqual(s.request("GET", "/v2/health/live")[:2], (200, {"live": True}))
        self.assertEqual(s.request("GET", "/v2/health/ready")[:2], (200, {"ready": True}))
        for path in ("/v2/models/fraud-detector/ready", "/v2/models/fraud-detector/versions/v2.1/ready"):
            status, body, resp = s.request("GET", path)
            self.assertEqual((status, body), (200, {"name": "fraud-detector", "ready": True}))
            self.assertEqual(resp.getheader("x-model-version"), "v2.1")

    def test_server_metadata(self):
        self.assertEqual(self.server.request("GET", "/v2")[:2],
                         (200, {"name": "sluice-example-v2", "version": "1", "extensions": []}))

    def test_model_metadata(self):
        for path in ("/v2/models/fraud-detector", "/v2/models/fraud-detector/versions/v2.1"):
            status, body, _ = self.server.request("GET", path)
            self.assertEqual(status, 200)
            self.assertEqual(body["name"], "fraud-detector")
            self.assertEqual(body["versions"], ["v2.1"])
            self.assertEqual(body["platform"], "python-stdlib")
            self.assertEqual(body["inputs"], [{"name": "input-0", "datatype": "FP64", "shape": [-1, 4]}])
            self.assertEqual([o["name"] for o in body["outputs"]], ["predict", "predict_proba"])

    def test_unknown_model_version_and_route(self):
        s = self.server
        status, body, _ = s.request("GET", "/v2/models/other")
        self.assertEqual(status, 404)
        self.assertIn("other", body["error"])
        self.assertEqual(s.infer(matrix_request(ROWS), path="/v2/models/other/infer")[0], 404)
        self.assertEqual(s.request("GET", "/v2/models/fraud-detector/versions/v9/ready")[0], 404)
        self.assertEqual(s.request("GET", "/nope")[0], 404)
        self.assertEqual(s.request("GET", "/v2/models/fraud-detector/infer")[0], 405)


class InferTests(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = Server(BINARY_MODEL)

    @classmethod
    def tearDownClass(cls):
        cls.server.close()

    def check_binary(self, body):
        expected = [binary_probability(r) for r in ROWS]
        outputs = {o["name"]: o for o in body["outputs"]}
        self.assertEqual(outputs["predict"]["shape"], [2])
        self.assertEqual(outputs["predict"]["datatype"], "BYTES")
        self.assertEqual(outputs["predict"]["data"], ["legit" if p < 0.5 else "fraud" for p in expected])
        proba = outputs["predict_proba"]
        self.assertEqual((proba["shape"], proba["datatype"]), ([2, 2], "FP64"))
        for i, p in enumerate(expected):
            self.assertAlmostEqual(proba["data"][2 * i], 1 - p, places=12)
            self.assertAlmostEqual(proba["data"][2 * i + 1], p, places=12)

    def test_matrix_request_nested_and_flat(self):
        for nested in (True, False):
            status, body, resp = self.server.infer(matrix_request(ROWS, nested=nested, id="req-1"))
            self.assertEqual(status, 200, body)
            self.assertEqual(resp.getheader("x-model-version"), "v2.1")
            self.assertEqual((body["model_name"], body["model_version"], body["id"]),
                             ("fraud-detector", "v2.1", "req-1"))
            self.check_binary(body)

    def test_per_feature_request(self):
        payload = per_feature_request(ROWS, BINARY_MODEL["inputs"])
        payload["inputs"].reverse()  # order of the tensors does not matter
        status, body, _ = self.server.infer(payload, path="/v2/models/fraud-detector/versions/v2.1/infer")
        self.assertEqual(status, 200, body)
        self.assertNotIn("id", body)
        self.check_binary(body)

    def test_bad_requests_are_400_and_name_the_problem(self):
        s = self.server
        cases = [
            (b"{not json", "not valid JSON"),
            ({"inputs": []}, "inputs"),
            (matrix_request([[1.0, 2.0, 3.0]]), "[N, 4]"),
            ({"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP64", "data": [1, 2, 3]}]}, "data has 3"),
            ({"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "BYTES", "data": ["a"] * 4}]}, "BYTES"),
            ({"inputs": [{"name": "amount", "shape": [1], "datatype": "FP64", "data": [1]},
                         {"name": "colour", "shape": [1], "datatype": "FP64", "data": [1]}]}, "colour"),
            ({"inputs": [{"name": "amount", "shape": [1], "datatype": "FP64", "data": [1]}]}, "merchant_risk"),
            ({"inputs": [{"name": "input-0", "shape": [1, 4], "datatype": "FP64", "data": [1, "x", 3, 4]}]}, "data[1]"),
        ]
        for payload, fragment in cases:
            with self.subTest(fragment=fragment):
                status, body, _ = s.infer(payload)
                self.assertEqual(status, 400, body)
                self.assertIn(fragment, body["error"])

    def test_keep_alive_survives_errors(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=REQUEST_TIMEOUT_S)
        try:
            self.assertEqual(self.server.infer(matrix_request(ROWS), conn=conn)[0], 200)
            self.assertEqual(self.server.infer(b"{bad", conn=conn)[0], 400)
            # A 404 before the body is read must not leave the body to be read as a request.
            self.assertEqual(self.server.infer(matrix_request(ROWS), path="/v2/models/x/infer", conn=conn)[0], 404)
            self.assertEqual(self.server.infer(matrix_request(ROWS), conn=conn)[0], 200)
        finally:
            conn.close()

    def test_body_over_16_mib_is_413(self):
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=REQUEST_TIMEOUT_S)
        try:
            conn.putrequest("POST", "/v2/models/fraud-detector/infer")
            conn.putheader("Content-Type", "application/json")
            conn.putheader("Content-Length", str(16 * 1024 * 1024 + 1))
            conn.endheaders()
            resp = conn.getresponse()
            self.assertEqual(resp.status, 413)
            self.assertIn("error", json.loads(resp.read()))
        finally:
            conn.close()


class ModelKindTests(ServerTestCase):
    def test_iris_multiclass_softmax(self):
        with open(os.path.join(MODELS, "iris-v1.json")) as f:
            model = json.load(f)
        s = self.start(os.path.join(MODELS, "iris-v1.json"), name="iris-classifier", version="v1")
        rows = [[5.1, 3.5, 1.4, 0.2], [6.0, 2.9, 4.5, 1.5], [6.7, 3.0, 5.2, 2.3]]
        status, body, _ = s.infer(matrix_request(rows))
        self.assertEqual(status, 200, body)
        outputs = {o["name"]: o for o in body["outputs"]}
        self.assertEqual(outputs["predict"]["data"], ["setosa", "versicolor", "virginica"])
        self.assertEqual(outputs["predict_proba"]["shape"], [3, 3])
        for r, row in enumerate(rows):
            zs = [b + sum(w * x for w, x in zip(ws, row)) for ws, b in zip(model["coef"], model["intercept"])]
            es = [math.exp(z) for z in zs]
            for c in range(3):
                self.assertAlmostEqual(outputs["predict_proba"]["data"][3 * r + c], es[c] / sum(es), places=12)

    def test_linear_regression(self):
        model = {"type": "linear_regression", "inputs": ["a", "b"], "coef": [2.0, -1.0], "intercept": 0.5}
        s = self.start(model, name="reg", version="1")
        status, body, _ = s.infer(per_feature_request([[1.0, 3.0], [4.0, 0.0]], ["a", "b"]))
        self.assertEqual(status, 200, body)
        self.assertEqual(body["outputs"], [{"name": "predict", "shape": [2], "datatype": "FP64", "data": [-0.5, 8.5]}])

    def test_explicit_port(self):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        s = self.start(BINARY_MODEL, port=port)
        self.assertEqual(s.port, port)
        self.assertEqual(s.request("GET", "/v2/health/live")[0], 200)

    def test_bad_model_file_exits_2_naming_file_and_field(self):
        bad = dict(BINARY_MODEL, coef=[1.0, 2.0])
        fd, path = tempfile.mkstemp(suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(bad, f)
        self.addCleanup(os.unlink, path)
        proc = subprocess.run([sys.executable, SERVER, "--model-file", path, "--port", "0",
                               "--name", "m", "--version", "1"], capture_output=True, text=True,
                              timeout=EXIT_TIMEOUT_S)
        self.assertEqual(proc.returncode, 2)
        self.assertIn(path, proc.stderr)
        self.assertIn("coef", proc.stderr)


class ExampleModelTests(unittest.TestCase):
    def test_every_example_model_loads(self):
        import importlib.util
        spec = importlib.util.spec_from_file_location("v2_server", SERVER)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        names = sorted(n for n in os.listdir(MODELS) if n.endswith(".json"))
        self.assertIn("fraud-v2.1.json", names)
        saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("SLUICE_FAULT_")}
        try:
            for name in names:
                with self.subTest(model=name):
                    model = module.load_model(os.path.join(MODELS, name))
                    expected = 0.5 if name == "fraud-bad.json" else 0.0
                    self.assertEqual(model.faults["errorRate"], expected)
        finally:
            os.environ.update(saved)


class FaultTests(ServerTestCase):
    def test_never_ready(self):
        s = self.start(BINARY_MODEL, env={"SLUICE_FAULT_NEVER_READY": "1"})
        self.assertEqual(s.request("GET", "/v2/health/live")[0], 200)
        self.assertEqual(s.request("GET", "/v2/health/ready")[0], 503)
        status, body, _ = s.request("GET", "/v2/models/fraud-detector/ready")
        self.assertEqual(status, 503)
        self.assertFalse(body["ready"])

    def test_ready_after(self):
        # Not ready for readyAfterMs after the server started, then ready. No probe has to
        # arrive within a time: one that comes late may see 200 already, and the time of the
        # first 200 (measured from before the child existed) is what must respect the delay.
        ready_after_s = 1.5
        s = self.start(dict(BINARY_MODEL, faults={"readyAfterMs": ready_after_s * 1000}))
        asked_at = time.monotonic()
        status, body, _ = s.request("GET", "/v2/health/ready")
        if status == 200:
            self.assertGreaterEqual(asked_at - s.spawned_at, ready_after_s, "ready before readyAfterMs")
        else:
            self.assertEqual((status, body["ready"]), (503, False))
            self.assertIn("readyAfterMs", body["error"])
            deadline = time.monotonic() + 60
            while status != 200 and time.monotonic() < deadline:
                time.sleep(0.05)
                status = s.request("GET", "/v2/health/ready")[0]
            self.assertEqual(status, 200, "never ready")
        self.assertGreaterEqual(time.monotonic() - s.spawned_at, ready_after_s)

    def test_error_rate_one_is_500(self):
        s = self.start(BINARY_MODEL, env={"SLUICE_FAULT_ERROR_RATE": "1"})
        status, body, _ = s.infer(matrix_request(ROWS))
        self.assertEqual(status, 500)
        self.assertIn("error", body)

    def test_environment_wins_over_file(self):
        s = self.start(dict(BINARY_MODEL, faults={"errorRate": 1.0}), env={"SLUICE_FAULT_ERROR_RATE": "0"})
        self.assertEqual(s.infer(matrix_request(ROWS))[0], 200)

    def test_latency(self):
        s = self.start(BINARY_MODEL, env={"SLUICE_FAULT_LATENCY_MS": "200"})
        began = time.monotonic()
        self.assertEqual(s.infer(matrix_request(ROWS))[0], 200)
        self.assertGreaterEqual(time.monotonic() - began, 0.2)

    def test_crash_after_one_request_exits_3(self):
        s = self.start(dict(BINARY_MODEL, faults={"crashAfterRequests": 1}))
        self.assertEqual(s.infer(matrix_request(ROWS))[0], 200)
        self.assertEqual(s.wait(), 3)

    def test_sigterm_exits_0(self):
        s = self.start(BINARY_MODEL)
        self.assertEqual(s.request("GET", "/v2/health/live")[0], 200)
        s.proc.send_signal(signal.SIGTERM)
        self.assertEqual(s.wait(), 0)


if __name__ == "__main__":
    unittest.main()
