"""The doctor's parts that need no server: option parsing as `run` forwards them, the embedded case."""

from __future__ import annotations

from fiwano_conformance.doctor import Finding, diagnose, plugin_options, problem_of


def test_fiwano_options_among_pytest_arguments_are_parsed_as_the_plugin_would():
    options = plugin_options(["-k", "auth", "--fiwano-api-key=k1", "--fiwano-api-key", "k2", "-n", "2",
                              "--fiwano-level", "api", "--fiwano-sink-ca-dir=/x"])
    assert options["fiwano_api_keys"] == ["k1", "k2"]
    assert options["fiwano_level"] == "api" and options["fiwano_sink_ca_dir"] == "/x"


def test_the_embedded_pair_needs_no_network_check(tmp_path):
    findings = diagnose({"fiwano_sink_ca_dir": str(tmp_path)}, env={})
    assert problem_of(findings) is None
    assert [f.check for f in findings] == ["config", "profile", "target", "level", "keys", "simulator", "sink"]
    assert "controlled" in findings[3].text


def test_a_problem_is_the_last_finding_and_says_what_to_do(tmp_path):
    findings = diagnose({"fiwano_level": "simulated", "fiwano_target": "http://127.0.0.1:9",
                         "fiwano_profile": "no-such-profile"}, env={})
    problem = problem_of(findings)
    assert problem is findings[-1] and problem.check == "profile"
    assert "no profile 'no-such-profile'" in problem.text and "--profile" in problem.text
    assert Finding("x", False, "y").line().startswith("PROBLEM")


def _fiwano_stub(handle_key):
    """A loopback server that answers like a Fiwano target: 401 JSON without a key, ``handle_key(key)`` with one."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # http.server's name
            key = self.headers.get("X-API-Key")
            status, body = (401, {"detail": "Missing API key"}) if key is None else handle_key(key)
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_many_keys_are_checked_side_by_side_on_one_client(tmp_path):
    """40 keys of a shared target (a share per worker and account state) are checked a few at a time.

    Every answer waits at a barrier for a second request to be in flight, so keys checked one after another
    would each wait out the barrier and be refused; side by side they all pass.
    """
    import threading

    barrier = threading.Barrier(2, timeout=3)

    def answer(key):
        try:
            barrier.wait()
        except threading.BrokenBarrierError:
            barrier.reset()
            return 500, {"detail": "checked alone"}
        return 200, {"channels": []}

    server = _fiwano_stub(answer)
    try:
        keys = [f"mip_live_{i:040d}" for i in range(40)]
        findings = diagnose({"fiwano_target": f"http://127.0.0.1:{server.server_port}", "fiwano_level": "api",
                             "fiwano_api_keys": keys, "fiwano_sink_ca_dir": str(tmp_path)}, env={})
    finally:
        server.shutdown()
    assert problem_of(findings) is None, findings[-1].line()
    assert "40 key(s) authenticate" in next(f.text for f in findings if f.check == "keys")


def test_the_first_rejected_key_is_named_by_its_position(tmp_path):
    server = _fiwano_stub(lambda key: (401, {"detail": "Invalid API key"}) if key.endswith("7")
                          else (200, {"channels": []}))
    try:
        keys = [f"mip_live_{i:040d}" for i in range(10)]
        problem = problem_of(diagnose({"fiwano_target": f"http://127.0.0.1:{server.server_port}",
                                       "fiwano_level": "api", "fiwano_api_keys": keys,
                                       "fiwano_sink_ca_dir": str(tmp_path)}, env={}))
    finally:
        server.shutdown()
    assert problem is not None and problem.check == "keys"
    assert "API key #8" in problem.text and "rejected" in problem.text
