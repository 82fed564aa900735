"""deploy/: what a user of the image, the compose file and the Kubernetes manifests relies on.

Schema validation and linting (compose spec, Kubernetes schemas, hadolint) run in
.ci/validate-deploy; these tests check the meaning: probes, start order, commands, and that
every VOICE_ROUTER_* variable the examples mention is a real setting.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import fields
from pathlib import Path

import pytest
import yaml

from voice_router.platform.settings import (
    ConfigError,
    JiraSettings,
    NotifySettings,
    Settings,
    load_settings,
)

ROOT = Path(__file__).parents[1]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
GUNICORN_CMD = ["gunicorn", "-c", "deploy/gunicorn.conf.py", "voice_router.web:create_app()"]
CONFIG_PATH = "/etc/voice-router/voice-router.toml"


def setting_variables() -> set[str]:
    tables = {"sources", "jira", "notify"}
    names = {f"VOICE_ROUTER_{f.name.upper()}" for f in fields(Settings) if f.name not in tables}
    names |= {f"VOICE_ROUTER_JIRA_{f.name.upper()}" for f in fields(JiraSettings)}
    names |= {f"VOICE_ROUTER_NOTIFY_{f.name.upper()}" for f in fields(NotifySettings)}
    return names


# Real variables that are not settings fields: the config file's location.
NON_FIELD_VARIABLES = {"VOICE_ROUTER_CONFIG"}


def mentioned_variables(text: str) -> set[str]:
    return set(re.findall(r"\bVOICE_ROUTER_[A-Z0-9_]*[A-Z0-9]\b", text))


# --- Dockerfile --------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    found: list[tuple[str, str]] = []
    pending = ""
    for raw in (DEPLOY / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if line.startswith("#") or not line:
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = pending + line
        pending = ""
        instruction, _, arguments = line.partition(" ")
        found.append((instruction.upper(), arguments.strip()))
    return found


def final_stage() -> list[tuple[str, str]]:
    instructions = dockerfile_instructions()
    last_from = max(i for i, (name, _) in enumerate(instructions) if name == "FROM")
    return instructions[last_from:]


def test_dockerfile_is_multi_stage_on_slim_python():
    instructions = dockerfile_instructions()
    stages = [args for name, args in instructions if name == "FROM"]
    assert len(stages) >= 2
    args = dict(a.split("=", 1) for name, a in instructions if name == "ARG" and "=" in a)
    base = stages[-1].split()[0]
    base = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], base)
    assert re.fullmatch(r"python:3\.1[1-9]-slim(-\w+)?", base), base
    copies = [a for name, a in final_stage() if name == "COPY"]
    assert any(a.startswith("--from=builder /opt/venv") for a in copies)


def test_image_runs_as_a_numeric_non_root_user():
    users = [args for name, args in final_stage() if name == "USER"]
    assert users, "the final stage sets no USER (it would run as root)"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0")
    # Numeric, so that Kubernetes' runAsNonRoot can check it; the manifests use the same.
    assert user.isdigit()
    for manifest in ("web-deployment.yaml", "worker-deployment.yaml", "migrate-job.yaml"):
        pod = pod_spec(load_one(manifest))
        assert pod["securityContext"]["runAsUser"] == int(user)


def test_image_default_command_is_gunicorn_with_the_repo_config():
    cmds = [args for name, args in final_stage() if name == "CMD"]
    assert json.loads(cmds[-1]) == GUNICORN_CMD
    assert (DEPLOY / "gunicorn.conf.py").is_file()
    assert ("EXPOSE", "8000") in final_stage()


def test_image_healthcheck_asks_healthz():
    checks = [args for name, args in final_stage() if name == "HEALTHCHECK"]
    assert checks
    command = json.loads(checks[-1].split(" CMD ", 1)[1])
    assert "http://127.0.0.1:8000/healthz" in " ".join(command)


def test_prometheus_multiproc_dir_is_set_and_owned_by_the_app_user():
    env = " ".join(args for name, args in final_stage() if name == "ENV")
    assert "PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus" in env
    runs = " ".join(args for name, args in final_stage() if name == "RUN")
    assert "/tmp/prometheus" in runs and "chown" in runs


def test_every_copied_file_exists_and_passes_dockerignore():
    allowed = [
        line[1:].rstrip("/")
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.startswith("!")
    ]
    for name, args in dockerfile_instructions():
        words = args.split()
        if name != "COPY" or any(w.startswith("--from") for w in words):
            continue
        for source in [w for w in words[:-1] if not w.startswith("--")]:
            assert (ROOT / source).exists(), source
            assert source.rstrip("/") in allowed, f"{source} is excluded by .dockerignore"


# --- compose -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def test_compose_has_the_five_services(compose):
    assert set(compose["services"]) == {"postgres", "redis", "migrate", "web", "worker"}


def test_migrate_runs_db_upgrade_once_after_postgres_is_healthy(compose):
    migrate = compose["services"]["migrate"]
    assert migrate["command"] == ["voice-router", "db", "upgrade"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"


@pytest.mark.parametrize("service", ["web", "worker"])
def test_web_and_worker_start_after_migrations(compose, service):
    depends = compose["services"][service]["depends_on"]
    assert depends["migrate"]["condition"] == "service_completed_successfully"
    assert depends["redis"]["condition"] == "service_healthy"
    assert depends["postgres"]["condition"] == "service_healthy"


def test_web_uses_the_image_command_and_checks_healthz(compose):
    web = compose["services"]["web"]
    assert web.get("command", GUNICORN_CMD) == GUNICORN_CMD
    assert "8000:8000" in [str(p).split("#")[0].strip() for p in web["ports"]]
    assert "/healthz" in " ".join(web["healthcheck"]["test"])
    assert "/tmp/prometheus" in web["tmpfs"]


def test_worker_runs_the_worker_without_the_http_healthcheck(compose):
    worker = compose["services"]["worker"]
    assert worker["command"] == ["voice-router", "worker"]
    assert worker["healthcheck"] == {"disable": True}


def test_databases_are_healthchecked_and_keep_data_in_named_volumes(compose):
    services = compose["services"]
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "ping" in services["redis"]["healthcheck"]["test"]
    for name, path in (("postgres", "/var/lib/postgresql/data"), ("redis", "/data")):
        volume = next(v for v in services[name]["volumes"] if v.endswith(":" + path))
        assert volume.split(":")[0] in compose["volumes"]


@pytest.mark.parametrize("service", ["migrate", "web", "worker"])
def test_app_services_read_the_env_file_and_the_mounted_config(compose, service):
    spec = compose["services"][service]
    assert spec["env_file"] == "voice-router.env"
    assert spec["environment"]["VOICE_ROUTER_CONFIG"] == CONFIG_PATH
    mount = next(v for v in spec["volumes"] if v["target"] == CONFIG_PATH)
    assert mount["source"] == "./voice-router.toml" and mount["read_only"] is True
    assert (DEPLOY / "voice-router.toml.example").is_file()


# --- example configuration ---------------------------------------------------------------


def env_example() -> tuple[dict[str, str], set[str]]:
    """The set variables, and every variable shown (set or commented out)."""
    active: dict[str, str] = {}
    shown: set[str] = set()
    for line in (DEPLOY / "voice-router.env.example").read_text().splitlines():
        match = re.fullmatch(r"(#\s*)?([A-Z][A-Z0-9_]*)=(.*)", line.strip())
        if not match:
            continue
        shown.add(match.group(2))
        if not match.group(1):
            active[match.group(2)] = match.group(3)
    return active, shown


def test_env_example_shows_every_setting_and_only_real_ones():
    _, shown = env_example()
    text = (DEPLOY / "voice-router.env.example").read_text()
    assert mentioned_variables(text) <= setting_variables() | NON_FIELD_VARIABLES
    assert {v for v in shown if v.startswith("VOICE_ROUTER_")} == setting_variables()


# compose's ${VAR:?message}: no default; `docker compose` stops, saying message, while unset
REQUIRED_PASSWORD = re.compile(r"\$\{POSTGRES_PASSWORD:\?[^}]+\}")


def compose_database_url(compose: dict, password: str) -> str:
    """The database URL compose gives migrate, web and worker, with `password` filled in."""
    url = compose["x-voice-router"]["environment"]["VOICE_ROUTER_DATABASE_URL"]
    return REQUIRED_PASSWORD.sub(password, url)


def test_compose_starts_nothing_until_a_postgres_password_is_set(compose):
    """The env example's POSTGRES_PASSWORD could be deployed unchanged, and the database ran
    on a password anyone can read here. compose.yaml now has none to give: the postgres
    service and the app's database URL take it from POSTGRES_PASSWORD (deploy/.env or the
    shell), required, and the env example holds no password at all."""
    postgres = compose["services"]["postgres"]
    assert "env_file" not in postgres  # else the env file's POSTGRES_PASSWORD could creep in
    environment = postgres["environment"]
    assert REQUIRED_PASSWORD.fullmatch(environment["POSTGRES_PASSWORD"])
    user, db = environment["POSTGRES_USER"], environment["POSTGRES_DB"]
    for service in ("migrate", "web", "worker"):
        url = compose["services"][service]["environment"]["VOICE_ROUTER_DATABASE_URL"]
        assert (
            REQUIRED_PASSWORD.sub("pw", url) == f"postgresql+psycopg://{user}:pw@postgres:5432/{db}"
        )
    text = (DEPLOY / "compose.yaml").read_text()
    uses = re.findall(r"\$\{POSTGRES_PASSWORD[^}]*\}", text)
    assert len(uses) == 2 and all(REQUIRED_PASSWORD.fullmatch(use) for use in uses)
    active, _ = env_example()
    assert not {"POSTGRES_PASSWORD", "VOICE_ROUTER_DATABASE_URL"} & set(active)
    assert "change-me" not in text
    docs = (ROOT / "docs" / "deploy.md").read_text()
    assert 'echo "POSTGRES_PASSWORD=$(openssl rand -hex 32)" > .env' in docs


def test_env_example_points_at_the_compose_services():
    active, _ = env_example()
    assert active["VOICE_ROUTER_REDIS_URL"].startswith("redis://redis:6379")


def test_example_config_file_and_env_load_as_settings(tmp_path, compose):
    active, _ = env_example()
    env = {k: v for k, v in active.items() if k.startswith("VOICE_ROUTER_")}
    env["VOICE_ROUTER_DATABASE_URL"] = compose_database_url(compose, "0123abcd")
    example = DEPLOY / "voice-router.toml.example"
    with pytest.raises(ConfigError, match="still the example's placeholder"):
        load_settings(example, env=env)  # copied unedited: secrets anyone can read here
    filled = tmp_path / "voice-router.toml"
    filled.write_text(example.read_text().replace("change-me", "filled-in"))
    env = {key: value.replace("change-me", "filled-in") for key, value in env.items()}
    settings = load_settings(filled, env=env)
    assert settings.sources, "the example shows no [sources.*] table"
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.redis_url
    env["VOICE_ROUTER_DATABASE_URL"] = compose_database_url(compose, "change-me-later")
    with pytest.raises(ConfigError, match="VOICE_ROUTER_DATABASE_URL: the password is still the"):
        load_settings(filled, env=env)


# --- Kubernetes --------------------------------------------------------------------------


def load_all(name: str) -> list[dict]:
    return [d for d in yaml.safe_load_all((K8S / name).read_text()) if d]


def load_one(name: str) -> dict:
    (document,) = load_all(name)
    return document


def pod_spec(resource: dict) -> dict:
    return resource["spec"]["template"]["spec"]


def container(resource: dict, name: str) -> dict:
    return next(c for c in pod_spec(resource)["containers"] if c["name"] == name)


def test_kustomization_lists_every_manifest_but_the_secret_example():
    listed = yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"]
    present = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", "secret.example.yaml"}
    assert sorted(listed) == sorted(present)


def test_web_probes_point_at_readyz_and_healthz():
    web = container(load_one("web-deployment.yaml"), "web")
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert web["startupProbe"]["httpGet"]["path"] == "/healthz"
    ports = {p["name"]: p["containerPort"] for p in web["ports"]}
    assert ports["http"] == 8000
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert web[probe]["httpGet"]["port"] in ("http", 8000)


def test_web_runs_gunicorn_with_the_repo_config():
    assert container(load_one("web-deployment.yaml"), "web")["command"] == GUNICORN_CMD


def test_migration_job_runs_db_upgrade():
    job = load_one("migrate-job.yaml")
    assert job["kind"] == "Job"
    assert container(job, "migrate")["command"] == ["voice-router", "db", "upgrade"]
    assert pod_spec(job)["restartPolicy"] == "Never"


@pytest.mark.parametrize("manifest", ["web-deployment.yaml", "worker-deployment.yaml"])
def test_web_and_worker_wait_for_migrations(manifest):
    init = pod_spec(load_one(manifest))["initContainers"]
    assert init[0]["command"][:2] == ["python", "deploy/wait_for_migrations.py"]
    copies = " ".join(a for n, a in final_stage() if n == "COPY")
    assert "deploy/wait_for_migrations.py" in copies


def test_worker_runs_the_worker():
    worker = load_one("worker-deployment.yaml")
    assert container(worker, "worker")["command"] == ["voice-router", "worker"]


@pytest.mark.parametrize(
    "manifest", ["web-deployment.yaml", "worker-deployment.yaml", "migrate-job.yaml"]
)
def test_pods_are_locked_down_with_writable_tmp(manifest):
    pod = pod_spec(load_one(manifest))
    assert pod["securityContext"]["runAsNonRoot"] is True
    volumes = {v["name"]: v for v in pod["volumes"]}
    for c in pod["containers"] + pod.get("initContainers", []):
        assert c["securityContext"]["readOnlyRootFilesystem"] is True
        assert c["securityContext"]["allowPrivilegeEscalation"] is False
        mounts = {m["mountPath"]: m["name"] for m in c["volumeMounts"]}
        for path in ("/tmp", "/tmp/prometheus"):
            assert "emptyDir" in volumes[mounts[path]], (c["name"], path)
        # The config file lands where VOICE_ROUTER_CONFIG (in the ConfigMap) says.
        config = volumes[mounts[str(Path(CONFIG_PATH).parent)]]
        assert config["secret"]["secretName"] == "voice-router-config"
        sources = {e.get("configMapRef", e.get("secretRef"))["name"] for e in c["envFrom"]}
        assert sources == {"voice-router", "voice-router-env"}
    assert "resources" in pod["containers"][0]


def test_service_and_autoscaler_target_the_web_pods():
    deployment = load_one("web-deployment.yaml")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = load_one("web-service.yaml")
    assert service["spec"]["selector"].items() <= labels.items()
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    hpa = load_one("web-hpa.yaml")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": deployment["metadata"]["name"],
    }
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    # Utilization is a share of the request: without one the autoscaler cannot work.
    assert container(deployment, "web")["resources"]["requests"]["cpu"]
    # The autoscaler owns the replica count; a fixed one would be reset on every apply.
    assert "replicas" not in deployment["spec"]


def test_configmap_and_secret_name_only_real_settings():
    for name in ("configmap.yaml", "secret.example.yaml"):
        assert mentioned_variables((K8S / name).read_text()) <= (
            setting_variables() | NON_FIELD_VARIABLES
        ), name
    configmap = load_one("configmap.yaml")
    assert configmap["data"]["VOICE_ROUTER_CONFIG"] == CONFIG_PATH


def test_secret_example_holds_a_loadable_config_file(tmp_path):
    secrets = {d["metadata"]["name"]: d for d in load_all("secret.example.yaml")}
    assert set(secrets) == {"voice-router-env", "voice-router-config"}
    toml = tmp_path / "voice-router.toml"
    toml.write_text(secrets["voice-router-config"]["stringData"][Path(CONFIG_PATH).name])
    env = secrets["voice-router-env"]["stringData"]
    with pytest.raises(ConfigError, match="still the example's placeholder"):
        load_settings(toml, env=env)  # copied unedited: secrets anyone can read here
    toml.write_text(toml.read_text().replace("change-me", "filled-in"))
    env = {key: value.replace("change-me", "filled-in") for key, value in env.items()}
    settings = load_settings(toml, env=env)
    assert settings.sources and settings.database_url.startswith("postgresql+psycopg://")


# --- deploy/wait_for_migrations.py -------------------------------------------------------


def test_wait_for_migrations_waits_for_the_schema_head(tmp_path):
    from voice_router.platform.db import make_engine, upgrade

    url = f"sqlite:///{tmp_path / 'vr.db'}"
    # this tree's migrations, not those of whichever voice-router is installed
    env = {"VOICE_ROUTER_DATABASE_URL": url, "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    script = [sys.executable, str(DEPLOY / "wait_for_migrations.py")]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*script, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )

    waiting = run("--timeout", "0", "--interval", "0.1")
    assert waiting.returncode == 1, waiting.stderr
    assert "gave up" in waiting.stderr
    upgrade(make_engine(url))
    ready = run("--timeout", "5")
    assert ready.returncode == 0, ready.stderr
    assert "ready" in ready.stdout
