"""The whole local stack: AWS stand-in, provisioning, API, event source mappings, workers, seeding."""

from __future__ import annotations

import importlib.util
import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.api_model import ApiModel, load_api
from local.apigw import Gateway
from local.cdn import Cdn, CdnServer, load_behaviours
from local.functions import FunctionSpec, load_functions
from local.limits import Limits
from local.mappings import load_mappings
from local.moto_server import Clients, MotoServer
from local.net import connect_address, port_is_free
from local.pollers import Mappings
from local.provision import Provisioner
from local.runtime import InvokeResult, Runtime
from local.seed import SeedTarget, seed
from local.server import ApiServer
from local.template import Physical, Resolver, Template

log = logging.getLogger("local")

DEFAULT_TEMPLATE = Path(".local/cdk.out/Commerce-dev.template.json")


@dataclass
class StackOptions:
    template: Path = DEFAULT_TEMPLATE
    port: int = 3000
    aws_port: int = 4566
    stripe_port: int = 12111
    state_dir: Path = Path(".local")
    verbose: bool = False
    seed: bool = True
    max_workers: int = 4
    sqs_retry_delay_s: float | None = None
    # Serve the template's CloudFront distribution on this port (0: any free port; None: not at all).
    cdn_port: int | None = None
    # Never retry a message sooner than its function's timeout (see SqsPoller).
    sqs_retry_after_timeout: bool = False
    repo_root: Path = Path()
    # The address the API, the CDN, the AWS stand-in and the Stripe stub listen on. Loopback by default; an
    # address containers can reach (the Docker bridge's gateway, or 0.0.0.0) for `sam local`.
    listen: str = "127.0.0.1"
    # AWS's and Stripe's quotas, scaled (local/limits.py); None: unlimited, as moto is.
    limits: Limits | None = None


class PortInUse(RuntimeError):
    """A port the stack needs is taken: it refuses to start rather than run without a part."""


#: What listens where: (option attribute, the part, its environment variable, its option).
PORTS = (
    ("port", "the API", "PORT", "--port"),
    ("aws_port", "the AWS stand-in", "AWS_PORT", "--aws-port"),
    ("stripe_port", "the Stripe stub", "STRIPE_PORT", "--stripe-port"),
    ("cdn_port", "the CDN", "CDN_PORT", "--cdn-port"),
)


def check_ports(options: StackOptions) -> None:
    """Fail fast, before anything starts, when a port the stack needs is taken (or given twice).
    Port 0 (any free port) is always fine; the CDN's port only counts when the CDN is served."""
    taken: dict[int, str] = {}
    for attribute, part, variable, option in PORTS:
        port = getattr(options, attribute)
        if port is None or port == 0:
            continue
        if port in taken:
            raise PortInUse(
                f"{part} and {taken[port]} were both given port {port}: set {variable} ({option}) "
                "to another port"
            )
        taken[port] = part
        if not port_is_free(port, options.listen):
            raise PortInUse(
                f"port {port} for {part} is in use (another `make dev`?): stop that, or set "
                f"{variable} ({option}) to a free port, e.g. `make dev {variable}={port + 10000}`"
            )


class LocalStack:
    def __init__(self, options: StackOptions) -> None:
        self.options = options
        self.template = Template.load(options.template)
        self.moto: MotoServer | None = None
        self.server: ApiServer | None = None
        self.runtime: Runtime | None = None
        self.mappings: Mappings | None = None
        self.api: ApiModel | None = None  # the REST API as served (routes → functions), once started
        self.cdn: CdnServer | None = None
        self.stripe: Any = None
        self.outputs: dict[str, Any] = {}
        self.functions: dict[str, FunctionSpec] = {}
        self.physical: dict[str, Physical] = {}

    @property
    def host(self) -> str:
        return connect_address(self.options.listen)

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.options.port}/"

    @property
    def aws_endpoint(self) -> str:
        return f"http://{self.host}:{self.options.aws_port}"

    def start(self) -> LocalStack:
        began = time.monotonic()
        opts = self.options
        check_ports(opts)
        self.moto = MotoServer(opts.aws_port, opts.listen, limits=opts.limits).start()
        clients = Clients(self.aws_endpoint)
        provisioner = Provisioner(self.template, clients)
        self.physical = provisioner.provision_all()
        resolver = provisioner.resolver
        self.functions = load_functions(self.template, resolver)

        extra_env: dict[str, str] = {}
        if opts.limits is not None:  # per-environment cache ages scale with the quotas (local/limits.py)
            extra_env.update(opts.limits.function_environment)
        stripe_base = self._start_stripe(clients)
        if stripe_base:
            extra_env["STRIPE_API_BASE"] = stripe_base
        self.runtime = Runtime(
            self.functions,
            self.aws_endpoint,
            None if opts.verbose else opts.state_dir / "logs",
            extra_env=extra_env,
            max_workers=opts.max_workers,
            verbose=opts.verbose,
        ).start()

        if provisioner.deferred:
            self.runtime.provisioned.clear()

            def finish() -> None:
                provisioner.run_deferred()
                assert self.runtime is not None
                self.runtime.provisioned.set()

            threading.Thread(target=finish, name="provision-deferred", daemon=True).start()
        api = self.api = load_api(self.template, resolver, self.functions)
        gateway = Gateway(api, self._invoke_api) if api is not None else None

        behaviours = load_behaviours(self.template, resolver) if opts.cdn_port is not None else None
        if behaviours and gateway is not None:
            self.cdn = self._bind_cdn(Cdn(behaviours, opts.port, self.host), opts.cdn_port or 0, opts.listen)
        self.outputs = self._outputs(provisioner, api.api_id if api else None)
        self._write_state(provisioner, stripe_base)

        specs = load_mappings(self.template, resolver, self.functions)
        self.mappings = Mappings(
            specs,
            provisioner.rule_lambda_targets,
            self.functions,
            clients,
            self._invoke_async,
            opts.sqs_retry_delay_s,
            self.moto.stream_length,
            retry_after_timeout=opts.sqs_retry_after_timeout,
        ).start()
        log.info(
            "provisioned in %.1f s: %d functions, %d routes, %d event source mappings; API %s, AWS %s",
            time.monotonic() - began,
            len(self.functions),
            len(api.routes) if api else 0,
            len(specs),
            self.api_url,
            self.aws_endpoint,
        )
        if opts.seed and gateway is not None:
            # Seed before the API listens: whoever waits for /health then finds the admin and the
            # demo products. The requests go through the same gateway, in process.

            self.runtime.provisioned.wait(timeout=60)
            seed(self.seed_target(), opts.repo_root)
        if gateway is not None:
            self.server = ApiServer(gateway, opts.port, opts.listen).start()
        if self.cdn is not None:
            self.cdn.start()
            log.info("CDN (the template's CloudFront behaviours) on %s", self.cdn_url)
        log.info("ready in %.1f s: API listening on %s", time.monotonic() - began, self.api_url)
        return self

    @property
    def cdn_url(self) -> str | None:
        return f"http://{self.host}:{self.cdn.port}/" if self.cdn is not None else None

    @staticmethod
    def _bind_cdn(cdn: Cdn, port: int, listen: str) -> CdnServer:
        return CdnServer(cdn, port, listen)

    # -- invokers ------------------------------------------------------------------------------
    def _invoke_api(self, spec: FunctionSpec, event: Any, timeout_s: float, trigger: str) -> InvokeResult:
        assert self.runtime is not None
        result = self.runtime.invoke(spec, event, timeout_s)
        outcome = None
        if result.ok and isinstance(result.payload, dict) and "statusCode" in result.payload:
            outcome = f"ok {result.payload['statusCode']}"
        self.runtime.log_invocation(spec, trigger, result, outcome)
        return result

    def _invoke_async(self, spec: FunctionSpec, event: Any, trigger: str) -> tuple[InvokeResult, str | None]:
        assert self.runtime is not None
        result = self.runtime.invoke(spec, event)
        outcome = None
        if result.ok and isinstance(result.payload, dict) and result.payload.get("batchItemFailures"):
            outcome = f"partial {len(result.payload['batchItemFailures'])} failed"
        self.runtime.log_invocation(
            spec, f"{trigger} ({len(event.get('Records', [])) or 1})", result, outcome
        )
        return result, outcome

    # -- pieces -----------------------------------------------------------------------------------
    def _start_stripe(self, clients: Clients) -> str | None:
        if importlib.util.find_spec("local.stripe_stub") is None:
            return None
        from local import stripe_stub

        secret = None
        for lid, resource in self.template.resources.items():
            if (
                resource.type == "AWS::SecretsManager::Secret"
                and "stripe" in lid.lower()
                and lid in self.physical
            ):
                try:
                    value = clients("secretsmanager").get_secret_value(SecretId=self.physical[lid].ref)
                    secret = json.loads(value["SecretString"]).get("webhookSecret")
                except (ValueError, KeyError, AttributeError):
                    log.warning("secret %s has no JSON key webhookSecret", lid)
                break
        try:
            self.stripe = stripe_stub.start(
                self.options.listen,
                self.options.stripe_port,
                self.api_url + "payments/webhook",
                secret,
                limits=self.options.limits.stripe_limits if self.options.limits else None,
            )
        except OSError as exc:
            # Without the stub nothing can be charged: a stack that cannot work does not start.
            raise PortInUse(
                f"the Stripe stub cannot listen on {self.options.listen}:{self.options.stripe_port} "
                f"({exc.strerror}); choose another port with STRIPE_PORT (--stripe-port)"
            ) from exc
        base = f"http://{self.host}:{self.options.stripe_port}"
        log.info("Stripe stub on %s", base)
        return base

    def _outputs(self, provisioner: Provisioner, api_id: str | None) -> dict[str, Any]:
        outputs = provisioner.outputs()
        pattern = re.compile(rf"^https://{re.escape(api_id)}\.execute-api\.[^/]+/[^/]*/?") if api_id else None
        for key, value in list(outputs.items()):
            if pattern is not None and isinstance(value, str) and pattern.match(value):
                outputs[key] = pattern.sub(self.api_url, value)
        if api_id:
            outputs["ApiUrl"] = self.api_url
        if self.cdn_url:
            outputs["CdnUrl"] = self.cdn_url
        else:
            outputs.pop("CdnUrl", None)  # a CloudFront domain that does not exist here
        outputs["AwsEndpoint"] = self.aws_endpoint
        return outputs

    def _write_state(self, provisioner: Provisioner, stripe_base: str | None) -> None:
        state_dir = self.options.state_dir
        state_dir.mkdir(parents=True, exist_ok=True)
        _write_json(state_dir / "outputs.json", {self.template.stack_name: self.outputs})
        state = {
            "stackName": self.template.stack_name,
            "template": str(self.options.template.resolve()),
            "awsEndpoint": self.aws_endpoint,
            "apiUrl": self.api_url,
            "stripeApiBase": stripe_base,
            "listen": self.options.listen,
            "pid": os.getpid(),
            "physical": {lid: {"ref": p.ref, "attrs": p.attrs} for lid, p in provisioner.physical.items()},
        }
        _write_json(state_dir / "state.json", state)

    def seed_target(self) -> SeedTarget:
        return SeedTarget(
            api_url=self.api_url,
            aws_endpoint=self.aws_endpoint,
            stack_name=self.template.stack_name,
            outputs_file=self.options.state_dir / "outputs.json",
        )

    def stop(self) -> None:
        log.info("stopping")
        steps = [
            ("mappings", self.mappings.stop if self.mappings else None),
            ("cdn", self.cdn.stop if self.cdn else None),
            ("api", self.server.stop if self.server else None),
            ("workers", self.runtime.stop if self.runtime else None),
            ("stripe", getattr(self.stripe, "stop", None)),
            ("moto", self.moto.stop if self.moto else None),
        ]
        for name, step in steps:
            if step is None:
                continue
            try:
                step()
            except Exception:
                log.exception("stopping %s failed", name)


def attach_resolver(template: Template, state_dir: Path) -> tuple[Resolver, dict[str, Any]] | None:
    """A resolver over the physical ids of a running local stack (from its state file), if it is alive."""
    path = state_dir / "state.json"
    if not path.exists():
        return None
    state = json.loads(path.read_text())
    if state.get("stackName") != template.stack_name:
        return None
    try:
        import urllib.request

        urllib.request.urlopen(state["awsEndpoint"] + "/moto-api/", timeout=1).close()
    except OSError:
        return None
    physical = {lid: Physical(p["ref"], p.get("attrs") or {}) for lid, p in state["physical"].items()}
    return Resolver(template, physical), state


def _write_json(path: Path, value: Any) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(value, indent=2) + "\n")
    tmp.replace(path)
