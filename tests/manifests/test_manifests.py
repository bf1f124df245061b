"""Every generated manifest validates: a matrix over model servers, GPU/TPU, HPA on/off,
bucket on/off and gke/generic, each document checked against the Kubernetes OpenAPI schemas
(kubernetes-validate, strict, 1.33.0) or the PodMonitoring/ServiceMonitor CRD schemas
(jsonschema, unknown fields rejected). Hostile model names and server args stay intact."""

import copy
import html
import itertools
import json
import os
import pathlib
import re
import subprocess

import jsonschema
import kubernetes_validate
import pytest
import yaml

REPO = pathlib.Path(__file__).resolve().parents[2]
SCHEMAS = pathlib.Path(__file__).resolve().parent / "schemas"
BIN = pathlib.Path(os.environ.get("INFERCAT_BIN", REPO / "target" / "debug" / "infercat"))
K8S_VERSION = "1.33.0"

HOSTILE_MODEL = 'evil/"quoted": {{ x }} {% y %}\nnext line <script>alert(1)</script>\'&'
HOSTILE_ARGS = ['--chat-template={{ messages }}: "q"', "--x=line\nbreak # not a comment", "<script>alert(2)</script>"]

PROFILES = {
    # name: (model, server, accelerator, tpu)
    "vllm-gpu": ("fixture/vllm-gpu-model", "vllm", "nvidia-h100-80gb", False),
    "vllm-tpu": ("fixture/vllm-tpu-model", "vllm", "tpu-v6e-slice", True),
    "sglang-gpu": ("fixture/sglang-model", "sglang", "nvidia-l4", False),
    "tgi-gpu": ("fixture/tgi-model", "tgi", "nvidia-a100-80gb", False),
    "large": ("fixture/large-model", "vllm", "nvidia-h200-141gb", False),
    "hostile": (HOSTILE_MODEL, "vllm", "nvidia-l4", False),
    # Accelerators GKE does not offer: generic platform only, the vendor's device resource.
    "amd-gpu": ("fixture/amd-model", "vllm", "amd-instinct-mi300x", False),
    "l40s-gpu": ("fixture/l40s-model", "sglang", "NVIDIA L40S", False),
    "trtllm-gpu": ("fixture/trtllm-model", "tensorrt-llm", "nvidia-h100-80gb", False),
    # 1 prefill + 3 decode workers of TP2 on one 8x H200 machine.
    "pd-sglang": ("fixture/pd-model", "sglang", "nvidia-h200-141gb", False),
}
DISAGGREGATED = {"pd-sglang"}
# Servers with no known queue or batch metric get no HPA (and say why).
NO_HPA_METRIC = {"trtllm-gpu"}
GENERIC_ONLY = {"amd-gpu": "amd.com/gpu", "l40s-gpu": "nvidia.com/gpu"}


@pytest.fixture(scope="session")
def catalog(tmp_path_factory):
    out = tmp_path_factory.mktemp("catalog")
    subprocess.run(
        [BIN, "build", "--raw", REPO / "tests/fixtures/catalog", "--out", out, "--strict"],
        cwd=REPO, check=True, capture_output=True,
    )
    return out


def create(catalog, profile, *extra, output="manifest"):
    model, server, accel, _ = PROFILES[profile]
    cmd = [BIN, "manifests", "create", "--out", catalog, "--models-file", REPO / "tests/fixtures/catalog-models.toml",
           f"--model={model}", f"--model-server={server}", f"--accelerator-type={accel}", f"--output={output}", *extra]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def crd_schema(file_name, version):
    crd = yaml.safe_load((SCHEMAS / file_name).read_text())
    schema = next(v for v in crd["spec"]["versions"] if v["name"] == version)["schema"]["openAPIV3Schema"]
    schema = copy.deepcopy(schema)
    schema["properties"]["metadata"] = {"type": "object"}

    def close(node):
        if isinstance(node, dict):
            if "properties" in node and not node.get("x-kubernetes-preserve-unknown-fields"):
                node.setdefault("additionalProperties", False)
            for v in node.values():
                close(v)
        elif isinstance(node, list):
            for v in node:
                close(v)

    close(schema)
    return schema


CRDS = {
    ("monitoring.googleapis.com/v1", "PodMonitoring"): ("monitoring.googleapis.com_podmonitorings.yaml", "v1"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"): ("monitoring.coreos.com_servicemonitors.yaml", "v1"),
}


def validate(doc):
    key = (doc["apiVersion"], doc["kind"])
    if key in CRDS:
        jsonschema.validate(doc, crd_schema(*CRDS[key]))
    else:
        kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def docs_of(text):
    return [d for d in yaml.safe_load_all(text) if d is not None]


MATRIX = [
    (profile, hpa, bucket, platform)
    for profile, hpa, bucket, platform in itertools.product(
        list(PROFILES), [False, True], [False, True], ["gke", "generic"])
    # TPUs and Cloud Storage FUSE exist only on GKE; other vendors' accelerators only elsewhere.
    if (platform == "gke" and profile not in GENERIC_ONLY)
    or (platform == "generic" and not bucket and not PROFILES[profile][3])
]


@pytest.mark.parametrize("profile,hpa,bucket,platform", MATRIX)
def test_manifest_validates(catalog, profile, hpa, bucket, platform):
    extra = [f"--platform={platform}"]
    if hpa:
        extra.append("--target-ntpot-milliseconds=14")
    if bucket:
        extra.append("--model-bucket-uri=gs://infercat-models/weights/llama")
    text = create(catalog, profile, *extra)
    docs = docs_of(text)
    kinds = [d["kind"] for d in docs]
    monitor = "PodMonitoring" if platform == "gke" else "ServiceMonitor"
    with_hpa = hpa and profile not in DISAGGREGATED | NO_HPA_METRIC
    servers = ["Deployment", "Service"] * (2 if profile in DISAGGREGATED else 1)
    assert kinds == servers + [monitor] + (["HorizontalPodAutoscaler"] if with_hpa else [])
    for d in docs:
        validate(d)
        assert d["metadata"]["annotations"]["infercat.io/generator"].startswith("infercat ")
        assert "infercat.io/data-snapshot" in d["metadata"]["annotations"]
    pod = docs[0]["spec"]["template"]
    container = pod["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    secret = [e for e in env.values() if "valueFrom" in e][0]["valueFrom"]["secretKeyRef"]
    assert secret == {"name": "hf-secret", "key": "hf_api_token"}
    assert env["MODEL_ID"]["value"] == PROFILES[profile][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"
    if PROFILES[profile][3]:
        assert pod["spec"]["nodeSelector"]["cloud.google.com/gke-tpu-topology"] == "2x2"
        assert container["resources"]["limits"]["google.com/tpu"] == 4
        assert "VLLM_XLA_CACHE_PATH" in env
    elif platform == "gke":
        assert pod["spec"]["nodeSelector"]["cloud.google.com/gke-accelerator"] == PROFILES[profile][2]
    if profile in GENERIC_ONLY:
        assert container["resources"]["limits"][GENERIC_ONLY[profile]] in (1, 2)
        assert pod["spec"]["nodeSelector"]["infercat.io/accelerator"] in ("amd-instinct-mi300x", "nvidia-l40s")
    if profile == "amd-gpu":
        assert container["image"] == "vllm/vllm-openai-rocm:v0.10.0"
    if profile == "l40s-gpu":
        # The template sets --tp itself; the run's own "--tp 2" is not repeated.
        assert container["args"].count("--tp=2") == 1 and "--tp" not in container["args"]
        assert "--mem-fraction-static=0.85" in container["args"]
    if bucket:
        assert pod["metadata"]["annotations"]["gke-gcsfuse/volumes"] == "true"
        volumes = {v["name"]: v for v in pod["spec"]["volumes"]}
        assert volumes["model-bucket"]["csi"]["driver"] == "gcsfuse.csi.storage.gke.io"
        assert volumes["gke-gcsfuse-cache"]["emptyDir"]["medium"] == "Memory"
    assert ("HF_HOME" in env) == (profile == "large" and not bucket)
    if profile in DISAGGREGATED:
        prefill, decode = docs[0], docs[2]
        assert prefill["metadata"]["name"].endswith("-prefill") and decode["metadata"]["name"].endswith("-decode")
        assert (prefill["spec"]["replicas"], decode["spec"]["replicas"]) == (1, 3)
        for d, role in ((prefill, "prefill"), (decode, "decode")):
            c = d["spec"]["template"]["spec"]["containers"][0]
            assert c["resources"]["limits"]["nvidia.com/gpu"] == 2
            assert "--tp=2" in c["args"] and f"--disaggregation-mode={role}" in c["args"]
            assert d["spec"]["selector"]["matchLabels"]["infercat.io/role"] == role
        assert docs[3]["spec"]["selector"]["infercat.io/role"] == "decode"
    if profile == "trtllm-gpu":
        assert container["command"] == ["trtllm-serve"]
        assert container["image"] == "nvcr.io/nvidia/tensorrt-llm/release:0.21.0"
        assert container["args"].count("--tp_size=2") == 1 and "--tp_size" not in container["args"]
    if with_hpa:
        h = docs[-1]["spec"]
        name = h["metrics"][0]["pods"]["metric"]["name"]
        assert ("|" in name) == (platform == "gke")
        assert h["behavior"]["scaleUp"]["stabilizationWindowSeconds"] == 0
        assert h["behavior"]["scaleDown"]["stabilizationWindowSeconds"] == 300
    if profile == "hostile":
        for arg in HOSTILE_ARGS:
            assert arg in container["args"]


def test_disaggregated_profiles_say_what_is_not_generated(catalog):
    text = create(catalog, "pd-sglang", "--target-ntpot-milliseconds=14", output="all")
    assert "# Parallelism: 1P×TP2 + 3D×TP2." in text
    assert "Not generated: the router or gateway" in text
    assert "# No HorizontalPodAutoscaler: a prefill/decode disaggregated deployment" in text


def test_comments_parse_as_yaml_and_name_the_adapter(catalog):
    text = create(catalog, "vllm-gpu", "--target-ntpot-milliseconds=14", output="all")
    docs = docs_of(text)
    assert [d["kind"] for d in docs][-1] == "HorizontalPodAutoscaler"
    comments = text[text.index("# What this deploys"):]
    assert all(line.startswith("#") for line in comments.splitlines())
    assert "Custom Metrics Stackdriver Adapter" in comments
    assert "infercat manifests create" in comments


def test_hostile_comments_cannot_escape(catalog):
    text = create(catalog, "hostile", "--target-ntpot-milliseconds=14", output="all")
    comments = text[text.index("# What this deploys"):]
    assert all(line.startswith("#") for line in comments.splitlines())
    docs_of(text)


def test_non_gke_accelerators_are_refused_on_gke(catalog):
    model, server, accel, _ = PROFILES["amd-gpu"]
    done = subprocess.run(
        [BIN, "manifests", "create", "--out", catalog, f"--model={model}", f"--model-server={server}",
         f"--accelerator-type={accel}"],
        cwd=REPO, capture_output=True, text=True,
    )
    assert done.returncode == 2
    assert "--platform=generic" in done.stderr


def test_unreachable_target_gives_no_hpa_and_says_why(catalog):
    text = create(catalog, "vllm-gpu", "--target-ntpot-milliseconds=1", output="all")
    assert [d["kind"] for d in docs_of(text)] == ["Deployment", "Service", "PodMonitoring"]
    assert "# No HorizontalPodAutoscaler: no measured point" in text


def test_same_inputs_give_identical_bytes(catalog):
    a = create(catalog, "tgi-gpu", "--target-ntpot-milliseconds=14", "--model-bucket-uri=gs://b-1/x", output="all")
    b = create(catalog, "tgi-gpu", "--target-ntpot-milliseconds=14", "--model-bucket-uri=gs://b-1/x", output="all")
    assert a == b


def test_output_path_writes_a_file(catalog, tmp_path):
    target = tmp_path / "m.yaml"
    model, server, accel, _ = PROFILES["vllm-gpu"]
    done = subprocess.run(
        [BIN, "manifests", "create", "--out", catalog, f"--model={model}", f"--model-server={server}",
         f"--accelerator-type={accel}", f"--output-path={target}"],
        cwd=REPO, capture_output=True, text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert str(target) in done.stderr
    assert docs_of(target.read_text())[0]["kind"] == "Deployment"


BASE = re.compile(r'<ul class="downloads" data-base="([^"]+)">')
DERIVED = re.compile(r'<a class="derived-manifest"[^>]*>.*?<script type="application/json">(.*?)</script>')


def apply_patch(base, hunks, shared):
    """The page's rule (site-gen/src/site/manifest_patch.rs): hunks from last to first."""
    lines = [line for line in re.split(r"(?<=\n)", base) if line]
    original = list(lines)

    def line(x):
        # A number n >= 0 is that line of the base as it was before any hunk; -1 - n is
        # line n of the lines the templates share (the site's assets/manifest-lines.js).
        if not isinstance(x, int):
            return x
        return original[x] if x >= 0 else shared[-1 - x]

    for at, remove, insert in reversed(hunks):
        lines[at:at + remove] = [line(x) for x in insert]
    return "".join(lines)


def shared_manifest_lines(site):
    """The list assets/manifest-lines.js gives the page script."""
    script = (site / "assets" / "manifest-lines.js").read_text()
    return json.loads(re.search(r"^IC\.manifestLines = (.*);$", script, re.M).group(1))


def site_derived_manifests(site):
    """Every manifest variant the profile pages rebuild from their base file."""
    out = []
    shared = shared_manifest_lines(site)
    for page in sorted((site / "profiles").glob("*.html")):
        text = page.read_text()
        patches = DERIVED.findall(text)
        if not patches:
            continue
        base = BASE.search(text).group(1)
        base_text = (page.parent / html.unescape(base).split("?")[0]).read_text()
        out.extend(apply_patch(base_text, json.loads(patch), shared) for patch in patches)
    return out


def test_every_manifest_of_the_bundled_catalog_validates(tmp_path):
    """The site's downloadable manifests for the real catalog: AMD on plain Kubernetes, P/D
    roles, TP8 on H200, ... each document valid."""
    subprocess.run([BIN, "build", "--raw", REPO / "data/raw", "--out", tmp_path, "--strict"],
                   cwd=REPO, check=True, capture_output=True)
    files = sorted((tmp_path / "site" / "manifests").glob("*.yaml"))
    assert len(files) > 40
    texts = [f.read_text() for f in files]
    derived = site_derived_manifests(tmp_path / "site")
    assert len(derived) > len(files), "the HPA variant of every base, the bucket one where the platform has it"
    kinds = set()
    for text in texts + derived:
        for d in docs_of(text):
            validate(d)
            kinds.add(d["kind"])
    assert kinds == {"Deployment", "Service", "PodMonitoring", "ServiceMonitor", "HorizontalPodAutoscaler"}


def test_refresh_cronjob_example_validates():
    """The scheduled-refresh example deploys as written."""
    docs = docs_of((REPO / "examples" / "refresh" / "cronjob.yaml").read_text())
    assert [d["kind"] for d in docs] == ["PersistentVolumeClaim", "CronJob", "Deployment", "Service"]
    for d in docs:
        validate(d)
    assert docs[1]["spec"]["concurrencyPolicy"] == "Forbid"
    serve = docs[2]["spec"]["template"]["spec"]["containers"][0]
    assert serve["args"][0] == "serve" and "--addr=0.0.0.0:8080" in serve["args"]
    assert serve["volumeMounts"][0]["readOnly"] is True


def test_publish_workflow_example_parses():
    workflow = yaml.safe_load((REPO / "examples" / "refresh" / "github-actions-publish.yml").read_text())
    steps = [s.get("run", "") for s in workflow["jobs"]["build"]["steps"]]
    assert any("infercat build --strict" in s for s in steps)
