"""`infercat serve` against real clients: the installed Google Cloud CLI (v1alpha1, `gcloud alpha
container ai profiles ...`) and Google's own Python client library for v1
(google-cloud-gkerecommender, REST transport, anonymous credentials). Answers must be the CLI's
numbers; the static site is served with validators and gzip; a build that publishes a new
generation is answered from the next request while a request in flight finishes on its own."""

import gzip
import json
import os
import pathlib
import re
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
BIN = pathlib.Path(os.environ.get("INFERCAT_BIN", REPO / "target" / "debug" / "infercat"))
LLAMA = "meta-llama/Llama-3.1-8B-Instruct"


def infercat(*args, check=True):
    done = subprocess.run([BIN, *map(str, args)], cwd=REPO, capture_output=True, text=True)
    if check:
        assert done.returncode == 0, done.stderr
    return done


class Server:
    def __init__(self, out):
        self.proc = subprocess.Popen([BIN, "serve", "--out", out, "--addr", "127.0.0.1:0"], cwd=REPO,
                                     stderr=subprocess.PIPE, text=True)
        line = self.proc.stderr.readline()
        match = re.search(r"http://(127\.0\.0\.1:\d+)/", line)
        assert match, f"no address in: {line!r}"
        self.addr = match.group(1)
        self.url = f"http://{self.addr}"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


def copy_raw(dst):
    shutil.copytree(REPO / "data" / "raw", dst)
    return dst


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    out = tmp_path_factory.mktemp("served") / "out"
    infercat("build", "--raw", REPO / "data/raw", "--out", out, "--strict")
    server = Server(out)
    yield out, server
    server.stop()


def request(url, method="GET", body=None, headers=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def api(server, path, body=None):
    status, _, raw = request(server.url + path, "POST" if body is not None else "GET", body)
    return status, json.loads(raw)


# --- the static site ---------------------------------------------------------------------

def test_site_pages_have_types_validators_and_gzip(served):
    out, server = served
    status, headers, body = request(server.url + "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert body == (out / "site" / "index.html").read_bytes()
    etag, modified = headers["ETag"], headers["Last-Modified"]
    assert request(server.url + "/index.html", headers={"If-None-Match": etag})[0] == 304
    assert request(server.url + "/index.html", headers={"If-Modified-Since": modified})[0] == 304
    status, headers, zipped = request(server.url + "/index.html", headers={"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip" and gzip.decompress(zipped) == body
    status, headers, _ = request(server.url + "/api/v1/profiles.json")
    assert headers["Content-Type"] == "application/json"
    status, headers, _ = request(server.url + "/data/benchmarks.parquet", headers={"Accept-Encoding": "gzip"})
    assert status == 200 and "Content-Encoding" not in headers, "binary files are sent as they are"
    status, headers, body = request(server.url + "/", method="HEAD")
    assert status == 200 and body == b""


def test_no_listing_and_nothing_outside_the_site(served):
    _, server = served
    for path in ["/profiles/", "/nope.html", "/../data/benchmarks.parquet", "/%2e%2e/data/ingest-report.json",
                 "/..%2f..%2fetc/passwd"]:
        assert request(server.url + path)[0] == 404, path
    # A raw socket, so no client normalizes the dots away.
    with socket.create_connection(tuple(server.addr.split(":"))) as s:
        s.sendall(b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        reply = s.recv(4096)
    assert reply.split(b"\r\n")[0].split()[1] in (b"400", b"404"), reply[:80]


# --- v1 over plain HTTP: errors and pagination ---------------------------------------------

def test_errors_are_google_shaped_and_name_the_field(served):
    _, server = served
    status, body = api(server, "/v1/modelServers:fetch")
    assert status == 400 and body["error"]["status"] == "INVALID_ARGUMENT"
    assert "`model`" in body["error"]["message"]
    status, body = api(server, "/v1/modelServers:fetch?model=nobody/nothing")
    assert status == 404 and body["error"]["status"] == "NOT_FOUND" and body["error"]["code"] == 404
    status, body = api(server, "/v1/benchmarkingData:fetch", {"modelServerInfo": {"model": LLAMA}})
    assert status == 400 and "modelServerInfo.modelServer" in body["error"]["message"]
    status, _, raw = request(server.url + "/v1/profiles:fetch", "POST", None, {"Content-Type": "application/json"})
    assert status == 200, "an empty body is {}"
    req = urllib.request.Request(server.url + "/v1/profiles:fetch", data=b"{nope", method="POST")
    try:
        urllib.request.urlopen(req)
        raise AssertionError("bad JSON accepted")
    except urllib.error.HTTPError as e:
        assert e.code == 400 and json.loads(e.read())["error"]["status"] == "INVALID_ARGUMENT"
    status, body = api(server, "/v1/nothing:fetch")
    assert status == 404 and body["error"]["status"] == "NOT_FOUND"
    status, body = api(server, "/v1/profiles:fetch", {"performanceRequirements": {"targetNtpotMilliseconds": "fast"}})
    assert status == 400 and "targetNtpotMilliseconds" in body["error"]["message"]


def test_bad_input_is_refused_with_4xx(served):
    _, server = served
    status, body = api(server, "/v1/profiles:fetch", {"modle": LLAMA})
    assert status == 400 and '"modle"' in body["error"]["message"]
    status, body = api(server, "/v1/profiles:fetch", {"performanceRequirements": {"targetNtpot": 5}})
    assert status == 400 and "targetNtpot" in body["error"]["message"]
    status, _, raw = request(server.url + "/v1/profiles:fetch", "POST", {"model": "x" * 200_000})
    assert status == 413 and json.loads(raw)["error"]["code"] == 413, "huge bodies are refused, Google-shaped"
    status, _, raw = request(server.url + "/v1/models:fetch", "POST", {})
    assert status == 404 and json.loads(raw)["error"]["status"] == "NOT_FOUND", "a wrong method is the API's 404"
    status, body = api(server, "/v1/profiles:fetch", {"model": "nobody/nothing"})
    assert status == 404 and "not in this catalog" in body["error"]["message"]
    status, body = api(server, "/v1/profiles:fetch", {"performanceRequirements": {"targetCost": {
        "pricingModel": "spot", "outputInputCostRatio": 2}}})
    assert status == 400 and "outputInputCostRatio" in body["error"]["message"], "never silently ignored"
    status, body = api(server, "/v1/profiles:fetch", {"performanceRequirements": {"targetCost": {"pricingModel": "cheap"}}})
    assert status == 400 and "pricingModel" in body["error"]["message"]
    status, body = api(server, "/v1/profiles:fetch", {"performanceRequirements": {"targetTtftMilliseconds": 20.5}})
    assert status == 400 and "int32" in body["error"]["message"]
    status, body = api(server, "/v1/optimizedManifest:generate", {
        "modelServerInfo": {"model": LLAMA, "modelServer": "vllm"}, "acceleratorType": "nvidia-h100-80gb",
        "storageConfig": {"xlaCacheBucketUri": "gs://b/x"}})
    assert status == 400 and "xlaCacheBucketUri" in body["error"]["message"]
    status, body = api(server, "/v1/profiles:fetch", {"servingStack": {"name": "llm-d"}})
    assert status == 400 and "servingStack" in body["error"]["message"]
    for size in ["-1", "1e12", "2.5", "lots"]:
        status, body = api(server, f"/v1/models:fetch?pageSize={size}")
        assert status == 400 and "pageSize" in body["error"]["message"], size
    status, body = api(server, "/v1/models:fetch?pageSize=2147483647")
    assert status == 200 and body["nextPageToken"] == ""
    status, body = api(server, "/v1/profiles:fetch", {"pageSize": 1, "pageToken": "o99999"})
    assert status == 400


def test_sigterm_stops_the_server_cleanly(tmp_path, served):
    out, _ = served
    server = Server(out)
    assert api(server, "/v1/models:fetch")[0] == 200
    server.proc.terminate()
    assert server.proc.wait(timeout=10) == 0
    assert "stopping" in server.proc.stderr.read()


def test_pages_cover_the_list_once(served):
    _, server = served
    _, everything = api(server, "/v1/models:fetch")
    seen, token = [], ""
    while True:
        _, page = api(server, f"/v1/models:fetch?pageSize=2&pageToken={token}")
        seen += page["models"]
        token = page["nextPageToken"]
        if not token:
            break
    assert seen == everything["models"] and len(seen) > 2
    status, body = api(server, "/v1/models:fetch?pageToken=forged")
    assert status == 400 and "pageToken" in body["error"]["message"]
    _, first = api(server, "/v1/models:fetch?pageSize=1")
    status, body = api(server, f"/v1/modelServers:fetch?model={LLAMA}&pageToken={first['nextPageToken']}")
    assert status == 400, "a token only pages the list it came from"
    status, body = api(server, "/v1/profiles:fetch", {"workloadSpec": {"averageInputLength": 128, "averageOutputLength": 128}})
    assert status == 200 and body["profile"] and all(p["workloadSpec"]["useCase"] == "Chatbot" for p in body["profile"])


def test_profiles_are_the_clis_numbers(served):
    out, server = served
    cli = json.loads(infercat("profiles", "list", "--out", out, f"--model={LLAMA}",
                              "--target-ntpot-milliseconds=20", "--format=json").stdout)
    status, body = api(server, "/v1/profiles:fetch", {
        "model": LLAMA, "performance_requirements": {"target_ntpot_milliseconds": 20}})
    assert status == 200
    assert [p["profileId"] for p in body["profile"]] == [p["profileId"] for p in cli]
    for mine, theirs in zip(body["profile"], cli):
        a, b = mine["performanceStats"][0], theirs["performanceStats"][0]
        assert a["outputTokensPerSecond"] == round(b["outputTokensPerSecondPerAccelerator"] * theirs["acceleratorCount"])
        assert a["ntpotMilliseconds"] == round(b["ntpotMilliseconds"])
        spot_cli = next(c for c in b["cost"] if c["pricingModel"] == "spot")["costPerMillionOutputTokens"]
        spot = next(c for c in a["cost"] if c["pricingModel"] == "spot")["costPerMillionOutputTokens"]
        # The CLI states computed costs to six significant digits; the API's Money to nanos.
        assert abs(int(spot["units"]) + spot["nanos"] / 1e9 - spot_cli) <= 5e-6 * spot_cli + 1e-9
    rng = body["performanceRange"]["throughputOutputRange"]
    outs = [p["performanceStats"][0]["outputTokensPerSecond"] for p in body["profile"]]
    assert (rng["min"], rng["max"]) == (min(outs), max(outs))


# --- the real gcloud (v1alpha1) --------------------------------------------------------------

def gcloud_env(tmp_path, server):
    if not shutil.which("gcloud"):
        pytest.skip("gcloud is not installed here (CI has it)")
    env = dict(os.environ, CLOUDSDK_CONFIG=str(tmp_path / "gcloud"), CLOUDSDK_CORE_DISABLE_PROMPTS="1")
    for prop, value in [("api_endpoint_overrides/gkerecommender", server.url + "/"),
                        ("auth/disable_credentials", "true"), ("core/disable_usage_reporting", "true")]:
        subprocess.run(["gcloud", "config", "set", prop, value], env=env, check=True, capture_output=True)
    return env


def gcloud(env, *args):
    done = subprocess.run(["gcloud", "alpha", "container", "ai", "profiles", *args], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "error has occ" not in done.stderr, done.stderr
    return done.stdout


def test_gcloud_lists_the_catalog(served, tmp_path):
    out, server = served
    env = gcloud_env(tmp_path, server)
    models = json.loads(infercat("models", "list", "--out", out, "--format=json").stdout)
    text = gcloud(env, "models", "list")
    assert "Supported models:" in text
    for m in models:
        assert f"-  {m['model']}" in text
    servers = gcloud(env, "model-servers", "list", f"--model={LLAMA}")
    assert "-  vllm" in servers
    versions = gcloud(env, "model-server-versions", "list", f"--model={LLAMA}", "--model-server=vllm")
    assert "-  v0.11.0" in versions and "-  v0.9.0" in versions
    accel = gcloud(env, "accelerators", "list", f"--model={LLAMA}", "--model-server=vllm", "--format=yaml")
    options = [d for d in yaml.safe_load_all(accel) if d]
    cli = json.loads(infercat("profiles", "list", "--out", out, f"--model={LLAMA}", "--model-server=vllm",
                              "--model-server-version=v0.11.0", "--format=json").stdout)
    assert sorted(round(o["performanceStats"]["outputTokensPerSecond"]) for o in options) == \
        sorted(round(p["performanceStats"][0]["outputTokensPerSecond"]) for p in cli)
    assert all(o["acceleratorType"] == "nvidia-h100-80gb" for o in options)
    # No server named: gcloud's default LATEST means each server's newest version.
    newest = yaml.safe_load_all(gcloud(env, "accelerators", "list", f"--model={LLAMA}", "--format=yaml"))
    assert {o["modelAndModelServerInfo"]["modelServerVersion"] for o in newest if o} == {"v0.11.0"}
    combos = [d for d in yaml.safe_load_all(gcloud(env, "model-and-server-combinations", "list", "--format=yaml")) if d]
    assert {"modelName": LLAMA, "modelServerName": "vllm", "modelServerVersion": "v0.9.0"} in combos


@pytest.mark.parametrize("target", [None, "20"])
def test_gcloud_manifests_are_infercats(served, tmp_path, target):
    out, server = served
    env = gcloud_env(tmp_path, server)
    flags = [f"--model={LLAMA}", "--model-server=vllm", "--accelerator-type=nvidia-h100-80gb"]
    if target:
        flags.append(f"--target-ntpot-milliseconds={target}")
    ours = infercat("manifests", "create", "--out", out, *flags, "--output=manifest").stdout
    theirs = gcloud(env, "manifests", "create", *flags, "--output=manifest")
    assert [d for d in yaml.safe_load_all(theirs) if d] == [d for d in yaml.safe_load_all(ours) if d]
    comments = gcloud(env, "manifests", "create", *flags, "--output=comments")
    our_comments = infercat("manifests", "create", "--out", out, *flags, "--output=comments").stdout
    # gcloud prefixes every line with "# ", so an empty comment line gains a trailing space.
    assert [l.rstrip() for l in comments.strip().splitlines()] == \
        [l.rstrip() for l in our_comments.strip().splitlines()]
    if target:
        assert "HorizontalPodAutoscaler" in theirs


def test_gcloud_prints_a_clean_error(served, tmp_path):
    _, server = served
    env = gcloud_env(tmp_path, server)
    done = subprocess.run(["gcloud", "alpha", "container", "ai", "profiles", "model-servers", "list",
                           "--model=nobody/nothing"], env=env, capture_output=True, text=True, timeout=120)
    assert "nobody/nothing" in done.stderr and "not in this catalog" in done.stderr
    assert "Traceback" not in done.stderr


# --- Google's v1 client library ---------------------------------------------------------------

def v1_client(server):
    gkr = pytest.importorskip("google.cloud.gkerecommender_v1")
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    return gkr, gkr.GkeInferenceQuickstartClient(
        transport="rest", credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=server.url))


def test_every_v1_method_through_googles_client(served):
    out, server = served
    gkr, c = v1_client(server)
    models = list(c.fetch_models(request={}))
    assert models == [m["model"] for m in json.loads(infercat("models", "list", "--out", out, "--format=json").stdout)]
    assert list(c.fetch_model_servers(request={"model": LLAMA})) == ["vllm"]
    assert set(c.fetch_model_server_versions(request={"model": LLAMA, "model_server": "vllm"})) == {"v0.11.0", "v0.9.0"}
    everything = c.fetch_profiles(request={})
    assert len(list(everything)) == len(json.loads(infercat("profiles", "list", "--out", out, "--format=json").stdout))
    targeted = c.fetch_profiles(request={"model": LLAMA, "performance_requirements": {"target_ntpot_milliseconds": 20}})
    profiles = list(targeted)
    assert profiles and all(p.performance_stats[0].ntpot_milliseconds <= 20 for p in profiles)
    first = profiles[0]
    assert first.model_server_info.model == LLAMA and first.resources_used.accelerator_count == 1
    spot = next(x for x in first.performance_stats[0].cost if x.pricing_model == "spot")
    assert spot.cost_per_million_output_tokens.units >= 0 and spot.cost_per_million_output_tokens.nanos > 0
    data = c.fetch_benchmarking_data(request={"model_server_info": {"model": LLAMA, "model_server": "vllm",
                                                                     "model_server_version": "v0.11.0"}})
    cli_points = sum(len(p["performanceStats"]) for p in json.loads(infercat(
        "benchmarks", "list", "--out", out, f"--model={LLAMA}", "--model-server=vllm", "--format=json").stdout)
        if p["modelServerInfo"]["modelServerVersion"] == "v0.11.0")
    assert sum(len(p.performance_stats) for p in data.profile) == cli_points
    manifest = c.generate_optimized_manifest(request={
        "model_server_info": {"model": LLAMA, "model_server": "vllm"}, "accelerator_type": "nvidia-h100-80gb",
        "performance_requirements": {"target_ntpot_milliseconds": 20}})
    ours = infercat("manifests", "create", "--out", out, f"--model={LLAMA}", "--model-server=vllm",
                    "--accelerator-type=nvidia-h100-80gb", "--target-ntpot-milliseconds=20", "--output=manifest").stdout
    assert [yaml.safe_load(m.content) for m in manifest.kubernetes_manifests] == \
        [d for d in yaml.safe_load_all(ours) if d]
    assert [m.kind for m in manifest.kubernetes_manifests][-1] == "HorizontalPodAutoscaler"
    assert manifest.comments and manifest.manifest_version.startswith("infercat ")
    # FetchUseCases is in the REST surface but not in the 0.3.2 library: plain HTTP.
    status, cases = api(server, "/v1/useCases:fetch", {})
    assert status == 200 and "Chatbot" in [w["useCase"] for w in cases["workloadSpecs"]]


def test_v1_errors_reach_the_client_as_exceptions(served):
    _, server = served
    gkr, c = v1_client(server)
    from google.api_core import exceptions
    with pytest.raises(exceptions.NotFound, match="not in this catalog"):
        list(c.fetch_model_servers(request={"model": "nobody/nothing"}))
    with pytest.raises(exceptions.BadRequest, match="modelServerInfo"):
        c.fetch_benchmarking_data(request={})


# --- refresh without restart ------------------------------------------------------------------

def test_a_new_generation_is_served_without_restart_and_requests_in_flight_finish(tmp_path):
    raw = copy_raw(tmp_path / "raw")
    out = tmp_path / "out"
    infercat("build", "--raw", raw, "--out", out)
    server = Server(out)
    try:
        _, before = api(server, "/v1/models:fetch")
        old_site = (out / "site" / "api/v1/profiles.json").read_bytes()
        # A large response, read slowly: the server has already taken it from its generation.
        with socket.create_connection(tuple(server.addr.split(":"))) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.sendall(b"GET /api/v1/profiles.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            head = s.recv(1024)
            shutil.copytree(REPO / "tests/fixtures/catalog/vllm-gpu", raw / "new-run")
            infercat("build", "--raw", raw, "--out", out)
            time.sleep(0.2)
            rest = b""
            while chunk := s.recv(65536):
                rest += chunk
        reply = head + rest
        body = reply.split(b"\r\n\r\n", 1)[1]
        assert body == old_site, "the request in flight finished on the old generation"
        _, after = api(server, "/v1/models:fetch")
        assert set(after["models"]) - set(before["models"]) == {"fixture/vllm-gpu-model"}
        assert request(server.url + "/api/v1/profiles.json")[2] != old_site
    finally:
        server.stop()
