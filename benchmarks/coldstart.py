"""Cold start of every function in the synthesized template, paired with a floor measured next to it.

    python -m benchmarks.coldstart [--rounds 15] [--only orders,catalog] [--out coldstart.json]

Cold start = import + first invocation, as Lambda pays it in a new execution environment, both in
one fresh interpreter (`python -I`, nothing preloaded) per run: the function's environment exactly
as the template resolves it, plus what Lambda sets (`AWS_LAMBDA_FUNCTION_NAME`, `LAMBDA_TASK_ROOT`,
`_HANDLER`, a sampled `_X_AMZN_TRACE_ID`; tracing ON, no daemon); then
`lambda_handler(<events/service.module.json>, context)` in the same process. AWS is moto over
loopback HTTP: this process provisions the template's resources into in-process moto once with the
local stack's provisioner, and each run forks a child that serves that pristine state.

Each function is compared with the floor of its kind (issue 21), run right before and right after
it (floor, function, floor; a function's trailing floor is the next one's leading floor), in
`--rounds` rounds; each pair's ratio divides the function run by the mean of its two floor runs,
and the budget applies to the median ratio (interquartile range reported):
- API route functions <= 1.15 x the HTTP floor (benchmarks/floor_http_handler.py: Logger, Tracer,
  Metrics, one client, the validating REST resolver serving one route with one pydantic body);
- consumers (SQS and stream) <= 1.15 x the consumer floor (benchmarks/floor_consumer_handler.py:
  the same plus the batch processor and one pydantic event model);
- the authorizer <= 1.15 x the authorizer floor (benchmarks/floor_authorizer_handler.py: Logger,
  Tracer, Metrics, one client, PyJWT refusing one ES256 token with a bad signature);
- login and registration: the password key derivation (timed inside the run) is subtracted from
  their cold start and shown on its own line; it is paid on every call, cold or warm.
Every function on the request path (SnapStart in prod) also runs once a round *primed*: the init
type `snap-start`, the before-snapshot and after-restore hooks, then the first invocation and
WARM_CALLS more; budget: primed first invocation <= 1.5 x that function's warm invocation or
<= warm + 2 ms (medians of the per-run ratios and differences; the absolute allowance is for
functions whose warm call takes about a millisecond), on the function's own time: less the password
KDF and less the time each call waits on the AWS stand-in (moto does a first request of each
operation in a process much more slowly than the next; AWS does not), which is printed too, as is
the ratio with it left in; shown next to today's unprimed first invocation.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import suppress
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / ".local" / "cdk.out" / "Commerce-dev.template.json"
EVENTS = ROOT / "events"
BUDGET_RATIO = 1.15
PRIMED_BUDGET_RATIO = 1.5
# ... or at most this much over the warm call: for a function whose warm call takes about a
# millisecond (GET /health, the authorizer) a ratio measures timer noise and the first use of caches
# in the standard library and the SDKs, not priming. 2 ms is a fraction of one DynamoDB round trip
# in AWS, and far below what anything priming loads costs (an import of ours, a client: >= 5 ms
# here); that nothing is loaded on the first call is proven on its own
# (tests/e2e/test_snapstart_priming.py).
PRIMED_ALLOWANCE_MS = 2.0
WARM_CALLS = 3
AUTHORIZER_FLOOR = "FloorAuthorizer"
AUTHORIZER_FLOOR_HANDLER = "floor_authorizer_handler.lambda_handler"
HTTP_FLOOR = "FloorHttp"
HTTP_FLOOR_HANDLER = "floor_http_handler.lambda_handler"
CONSUMER_FLOOR = "FloorConsumer"
CONSUMER_FLOOR_HANDLER = "floor_consumer_handler.lambda_handler"
#: The floor each kind of function is compared with.
FLOOR_OF = {"http": HTTP_FLOOR, "consumer": CONSUMER_FLOOR, "authorizer": AUTHORIZER_FLOOR}
# An authorizer denies by raising exactly this (API Gateway answers 401); it is an outcome, not a failure.
AUTHORIZER_DENY = "Exception: Unauthorized"

BASE_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
}


class InProcessClients:
    """The provisioner's client factory, bound to in-process moto instead of an endpoint."""

    def __init__(self) -> None:
        import boto3

        self._clients: dict[str, Any] = {}
        self._boto3 = boto3

    def __call__(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._boto3.client(service, region_name="us-east-1")
        return self._clients[service]


def sample_event(handler: str) -> tuple[dict[str, Any], str | None]:
    module = handler.rpartition(".")[0]
    path = EVENTS / f"{module}.json"
    if not path.exists():
        return {}, f"no events/{module}.json"
    return json.loads(path.read_text()), None


def _lambda_env(
    name: str, memory_mb: int, environment: dict[str, str], handler: str, code_path: str
) -> dict[str, str]:
    env = dict(environment)
    env.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_EXECUTION_ENV": "AWS_Lambda_python3.13",
            # Lambda sets these; the X-Ray SDK keys its Lambda mode (facade segments, no centralized
            # sampler and so no `xray` client at import) on LAMBDA_TASK_ROOT.
            "LAMBDA_TASK_ROOT": code_path,
            "LAMBDA_RUNTIME_DIR": "/var/runtime",
            "TZ": ":UTC",
            "_HANDLER": handler,
            # Tracing on, as deployed; there is no daemon, so a missing context must not raise.
            "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
            "_X_AMZN_TRACE_ID": f"Root=1-{int(time.time()):08x}-{uuid.uuid4().hex[:24]};"
            f"Parent={uuid.uuid4().hex[:16]};Sampled=1",
        }
    )
    return env


# Runs in a fresh interpreter (`python -I -c`): only what the interpreter and this snippet load.
# (Lambda's own bootstrap has `json` loaded before it imports the handler, too.) Import and first
# invocation happen in this one process, so whatever the function loads lazily (a client on its
# first call, a model built on first use) is charged to it. `hashlib.scrypt` is timed, so the
# password key derivation of login and registration can be reported on its own line. With
# AWS_LAMBDA_INITIALIZATION_TYPE=snap-start the child does what Lambda does for SnapStart (the
# before-snapshot hooks after the import, the after-restore hooks before the first invocation) and
# then invokes the function `warm` more times in the same process.
_CHILD = """
import hashlib, importlib, json, os, sys, time, uuid
target = json.loads(sys.argv[1])
sys.path[0:0] = [target["code_path"]]
sys.path.extend(target["layer_paths"])
kdf = [0.0]
_scrypt = hashlib.scrypt
def _timed_scrypt(*args, **kwargs):
    started = time.perf_counter()
    try:
        return _scrypt(*args, **kwargs)
    finally:
        kdf[0] += (time.perf_counter() - started) * 1000
hashlib.scrypt = _timed_scrypt
module_name, _, attribute = target["handler"].rpartition(".")
started = time.perf_counter()
module = importlib.import_module(module_name)
outcome = {"import_ms": (time.perf_counter() - started) * 1000, "modules": len(sys.modules)}
if os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == "snap-start":
    import snapshot_restore_py as hooks
    started = time.perf_counter()
    for function, args, kwargs in reversed(hooks.get_before_snapshot()):
        function(*args, **kwargs)
    outcome["prime_ms"] = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    for function, args, kwargs in hooks.get_after_restore():
        function(*args, **kwargs)
    outcome["restore_ms"] = (time.perf_counter() - started) * 1000
    outcome["hooks"] = len(hooks.get_before_snapshot()) + len(hooks.get_after_restore())

class Context:
    function_name = target["name"]
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:" + target["name"]
    memory_limit_in_mb = str(target["memory_mb"])
    log_group_name = "/aws/lambda/" + target["name"]
    log_stream_name = "bench"
    identity = None
    client_context = None
    def __init__(self):
        self.aws_request_id = str(uuid.uuid4())
    def get_remaining_time_in_millis(self):
        return 30000

# Primed runs only (botocore is loaded by then; patching it earlier would move its import out of
# an unprimed first call): the time each call waits on the AWS stand-in, to tell our code's first
# call from moto's own first-request work (its first TransactWriteItems in a process, ~50 ms here).
aws_wait = [0.0]
endpoint = sys.modules.get("botocore.endpoint") if "prime_ms" in outcome else None
if endpoint is not None:
    _send = endpoint.Endpoint._send
    def _timed_send(self, request):
        started = time.perf_counter()
        try:
            return _send(self, request)
        finally:
            aws_wait[0] += (time.perf_counter() - started) * 1000
    endpoint.Endpoint._send = _timed_send

def call():
    kdf[0] = 0.0
    aws_wait[0] = 0.0
    result = {}
    started = time.perf_counter()
    try:
        response = getattr(module, attribute)(target["event"], Context())
        result["ms"] = (time.perf_counter() - started) * 1000
        if isinstance(response, dict):
            result["status"] = response.get("statusCode")
            if "batchItemFailures" in response:
                result["batch_failures"] = len(response["batchItemFailures"] or [])
    except BaseException as exc:
        elapsed = (time.perf_counter() - started) * 1000
        message = type(exc).__name__ + ": " + str(exc)[:200]
        if message == target["authorizer_deny"]:
            result.update(ms=elapsed, status="deny")
        else:
            result["error"] = message
    result["kdf_ms"] = kdf[0]
    result["aws_ms"] = aws_wait[0]
    return result

def clients():
    aws = sys.modules.get("commerce.aws")
    return set(aws.created_clients()) if aws is not None else set()

# The shapes a client has resolved for its operations: botocore resolves an operation's input and
# output shapes, and a structure's members, on first use and caches them (in the instance's
# __dict__, botocore.utils.CachedProperty): what a first call of an operation would otherwise do.
def resolved_shapes():
    aws = sys.modules.get("commerce.aws")
    if aws is None:
        return set()
    found = set()
    for name, client in aws.created_clients().items():
        model = client.meta.service_model
        for key, operation in list(getattr(model, "_instance_cache", {}).items()):
            if key[0] != "operation_model":
                continue
            for part in ("input_shape", "output_shape"):
                shape = operation.__dict__.get(part)
                if shape is not None and "members" in shape.__dict__:
                    found.add(name + ":" + operation.name + ":" + part)
    return found

import linecache
def source_files():  # what traceback/X-Ray read to format a stack (linecache)
    return {name for name in linecache.cache if not name.startswith("<")}

# Primed runs only (an audit hook costs every audited event, the imports of a cold start too): the
# files each call opens, so a first call's reading of what priming could have read shows.
opened = []
if "prime_ms" in outcome:
    def _audit(event, args):
        if event == "open" and isinstance(args[0], str):
            opened.append(args[0])
    sys.addaudithook(_audit)

modules_before, clients_before, shapes_before = set(sys.modules), clients(), resolved_shapes()
sources_before = source_files()
first = call()
first_opened, opened[:] = set(opened), []
outcome.update(
    invoke_ms=first.get("ms"), kdf_ms=first["kdf_ms"], aws_ms=first["aws_ms"], status=first.get("status"),
    new_modules=sorted(set(sys.modules) - modules_before), new_clients=sorted(clients() - clients_before),
    new_shapes=sorted(resolved_shapes() - shapes_before),
    new_source_files=sorted(source_files() - sources_before),
)
outcome["invoke_imported"] = len(outcome["new_modules"])
for key in ("batch_failures", "error"):
    if key in first:
        outcome[key] = first[key]
warm = [call() for _ in range(target["warm"])]
outcome["new_files"] = sorted(first_opened - set(opened))  # opened by the first call only
outcome["warm_ms"] = [w.get("ms") for w in warm]
outcome["warm_kdf_ms"] = [w["kdf_ms"] for w in warm]
outcome["warm_aws_ms"] = [w["aws_ms"] for w in warm]
outcome["boto3"] = "boto3" in sys.modules
outcome["top_level"] = sorted({name.split(".")[0] for name in sys.modules})
sys.stdout.flush()
print("\\n" + json.dumps(outcome, default=str))
"""

# Cheap read-only calls that make the stand-in build each service's app before a function's first
# call (moto builds it on the first request); otherwise the first function to call a service would be
# charged for the stand-in's own warm-up.
_WARM_UP = (
    ("dynamodb", "list_tables"),
    ("dynamodbstreams", "list_streams"),
    ("sqs", "list_queues"),
    ("events", "list_event_buses"),
    ("kms", "list_keys"),
    ("secretsmanager", "list_secrets"),
    ("ssm", "describe_parameters"),
    ("sesv2", "list_email_identities"),
    ("ses", "list_identities"),
    ("sns", "list_topics"),
)


def warm_stand_in_operations() -> None:
    """moto serves the first request of an operation in a process tens of ms slower than the next
    (its expression parsers, validators and lazy imports: 55 ms of `CatalogCreateProduct`'s first
    `TransactWriteItems`), which AWS does not. Run each kind of request the functions make once, in
    this process (in-process moto, before any server is forked from it), on scratch resources that
    are deleted again, so no function's cold start is charged for the stand-in's own first use."""
    import boto3

    from benchmarks.tables import create_service_table

    ddb = boto3.client("dynamodb", region_name="us-east-1")
    table = "bench-stand-in-warm-up"
    # Every service table has a stream (the outbox relays read it); moto's first write to a table
    # with one builds its first stream record (~20 ms), which AWS does not charge a caller.
    create_service_table(ddb, table, stream=True)
    key = {"pk": {"S": "w"}, "sk": {"S": "w"}}
    one = {":one": {"N": "1"}}
    item = {**key, "n": {"N": "1"}, "gsi1pk": {"S": "g"}, "gsi1sk": {"S": "1"}, "l": {"L": [{"M": {}}]}}
    ddb.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(pk)")
    ddb.get_item(
        TableName=table,
        Key=key,
        ConsistentRead=True,
        ProjectionExpression="pk, #n",
        ExpressionAttributeNames={"#n": "n"},
    )
    ddb.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET n = n + :one, t = if_not_exists(t, :one) ADD v :one REMOVE x",
        ConditionExpression="attribute_exists(pk) AND n >= :one",
        ExpressionAttributeValues=one,
        ReturnValues="ALL_NEW",
    )
    ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
        FilterExpression="n > :zero",
        ExpressionAttributeValues={":p": {"S": "w"}, ":s": {"S": "w"}, ":zero": {"N": "0"}},
        Limit=2,
        ScanIndexForward=False,
    )
    ddb.query(
        TableName=table,
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :g AND gsi1sk < :z",
        ExpressionAttributeValues={":g": {"S": "g"}, ":z": {"S": "z"}},
    )
    ddb.batch_get_item(RequestItems={table: {"Keys": [key], "ConsistentRead": True}})
    other = {"pk": {"S": "u"}, "sk": {"S": "u"}}
    ddb.batch_write_item(
        RequestItems={
            table: [
                {"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"S": "b"}}}},
                {"PutRequest": {"Item": {**other, "n": {"N": "1"}}}},
            ]
        }
    )
    ddb.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": key}}])
    transaction = [
        {
            "Put": {
                "TableName": table,
                "Item": {"pk": {"S": "t"}, "sk": {"S": "t"}},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
        {
            "Update": {
                "TableName": table,
                "Key": other,
                "UpdateExpression": "SET n = n - :one",
                "ConditionExpression": "n >= :one",
                "ExpressionAttributeValues": one,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        },
        {"ConditionCheck": {"TableName": table, "Key": key, "ConditionExpression": "attribute_exists(pk)"}},
        {"Delete": {"TableName": table, "Key": {"pk": {"S": "b"}, "sk": {"S": "b"}}}},
    ]
    ddb.transact_write_items(TransactItems=transaction)
    with suppress(ddb.exceptions.TransactionCanceledException):  # the cancellation path too
        ddb.transact_write_items(TransactItems=transaction[:1])
    ddb.delete_item(TableName=table, Key={"pk": {"S": "t"}, "sk": {"S": "t"}}, ReturnValues="ALL_OLD")
    ddb.scan(TableName=table, Limit=1)
    ddb.delete_table(TableName=table)
    boto3.client("events", region_name="us-east-1").put_events(
        Entries=[{"Source": "bench.warm-up", "DetailType": "WarmUp", "Detail": "{}"}]
    )
    secrets = boto3.client("secretsmanager", region_name="us-east-1")
    arn = secrets.create_secret(Name="bench-stand-in-warm-up", SecretString="{}")["ARN"]
    secrets.get_secret_value(SecretId=arn)
    secrets.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
    ssm = boto3.client("ssm", region_name="us-east-1")
    ssm.put_parameter(Name="/bench/stand-in-warm-up", Value="{}", Type="String")
    ssm.get_parameter(Name="/bench/stand-in-warm-up")
    ssm.delete_parameter(Name="/bench/stand-in-warm-up")
    sesv2 = boto3.client("sesv2", region_name="us-east-1")
    sesv2.create_email_identity(EmailIdentity="stand-in-warm-up.example.com")
    sesv2.send_email(
        FromEmailAddress="bench@stand-in-warm-up.example.com",
        Destination={"ToAddresses": ["bench@stand-in-warm-up.example.com"]},
        Content={"Simple": {"Subject": {"Data": "warm"}, "Body": {"Text": {"Data": "warm"}}}},
    )
    sesv2.delete_email_identity(EmailIdentity="stand-in-warm-up.example.com")
    sqs = boto3.client("sqs", region_name="us-east-1")
    queue = sqs.create_queue(QueueName="bench-stand-in-warm-up")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="{}", DelaySeconds=1)
    sqs.delete_queue(QueueUrl=queue)
    kms = boto3.client("kms", region_name="us-east-1")
    key_id = kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")["KeyMetadata"]["KeyId"]
    signed = kms.sign(KeyId=key_id, Message=b"warm", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
    kms.verify(KeyId=key_id, Message=b"warm", Signature=signed, SigningAlgorithm="ECDSA_SHA_256")
    kms.get_public_key(KeyId=key_id)
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)


def _serve_pristine_state(mock: Any, ready_fd: int, stop_fd: int) -> None:
    """In a child forked from the provisioned moto process: serve that state over HTTP until told.

    The fork is a copy-on-write snapshot, so every run starts from the same provisioned state and
    what a function writes vanishes with its server.
    """
    from local.moto_server import Clients, MotoServer
    from local.net import free_port

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    mock.stop(remove_data=False)  # un-patch botocore in this process; the backends keep their data
    server = MotoServer(free_port()).start()
    clients = Clients(server.endpoint)
    for service, operation in _WARM_UP:
        try:
            getattr(clients(service), operation)()
        except Exception:  # noqa: BLE001,S112 - a service the stand-in lacks is simply not warmed
            continue
    os.write(ready_fd, server.endpoint.encode())
    os.close(ready_fd)
    os.read(stop_fd, 1)  # returns when the parent closes its end
    os._exit(0)


def _run_once(target: dict[str, Any], mock: Any, *, primed: bool = False) -> dict[str, Any]:
    """One cold start: a fresh interpreter imports the function and invokes it against moto
    (`primed`: as a SnapStart environment, then WARM_CALLS more invocations)."""
    gc.collect()
    ready_read, ready_write = os.pipe()
    stop_read, stop_write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        os.close(ready_read)
        os.close(stop_write)
        try:
            _serve_pristine_state(mock, ready_write, stop_read)
        finally:
            os._exit(1)
    os.close(ready_write)
    os.close(stop_read)
    try:
        endpoint = os.read(ready_read, 200).decode()
        os.close(ready_read)
        if not endpoint:
            return {"error": "the moto server did not start"}
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            **BASE_ENV,
            **target["env"],
            "AWS_ENDPOINT_URL": endpoint,
        }
        if primed:
            env["AWS_LAMBDA_INITIALIZATION_TYPE"] = "snap-start"
        payload = {
            key: target[key] for key in ("handler", "code_path", "layer_paths", "event", "name", "memory_mb")
        }
        payload["authorizer_deny"] = AUTHORIZER_DENY
        payload["warm"] = WARM_CALLS if primed else 0
        done = subprocess.run(
            [sys.executable, "-I", "-c", _CHILD, json.dumps(payload)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(stop_write)
        os.waitpid(pid, 0)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        said = (done.stderr.strip() or done.stdout.strip()).splitlines()[-1:]
        return {"error": f"cold start failed ({done.returncode}): {said[0][-300:] if said else ''}"}
    outcome = dict(json.loads(lines[-1]))
    if "error" not in outcome and outcome.get("invoke_ms") is not None:
        outcome["total_ms"] = outcome["import_ms"] + outcome["invoke_ms"]
        # What the budget compares: the cold start without the password key derivation.
        outcome["own_ms"] = outcome["total_ms"] - outcome["kdf_ms"]
    return outcome


def request_path(template_path: Path) -> dict[str, str]:
    """{logical id: "http" | "authorizer"} for every function API Gateway invokes (SnapStart in prod)."""
    template = json.loads(template_path.read_text())["Resources"]

    def function_of(value: Any) -> str | None:
        text = json.dumps(value)
        for lid, resource in template.items():
            if f'"{lid}"' in text:
                if resource["Type"] == "AWS::Lambda::Function":
                    return lid
                if resource["Type"] == "AWS::Lambda::Alias":
                    return str(resource["Properties"]["FunctionName"]["Ref"])
        return None

    kinds: dict[str, str] = {}
    for resource in template.values():
        if resource["Type"] == "AWS::ApiGateway::Method" and "Uri" in resource["Properties"].get(
            "Integration", {}
        ):
            lid = function_of(resource["Properties"]["Integration"]["Uri"])
            if lid:
                kinds[lid] = "http"
        if resource["Type"] == "AWS::ApiGateway::Authorizer":
            lid = function_of(resource["Properties"]["AuthorizerUri"])
            if lid:
                kinds[lid] = "authorizer"
    return kinds


def boto3_import_ms() -> float:
    """boto3 import in a clean interpreter (the same for every function; moto needs it pre-timer)."""
    code = "import time; s=time.perf_counter(); import boto3; print((time.perf_counter()-s)*1000)"
    values = []
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        values.append(float(done.stdout.strip()))
    return round(statistics.median(values), 1)


# The platform settings every function gets from cdk/constructs/function.py.
_FLOOR_ENVIRONMENT = {
    "POWERTOOLS_SERVICE_NAME": "floor",
    "POWERTOOLS_METRICS_NAMESPACE": "Commerce",
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "PYDANTIC_DISABLE_PLUGINS": "__all__",
}


def targets(template_path: Path, only: str | None) -> list[dict[str, Any]]:
    from local.functions import load_functions
    from local.provision import Provisioner
    from local.template import Template

    template = Template.load(template_path)
    provisioner = Provisioner(template, InProcessClients())  # type: ignore[arg-type]
    provisioner.provision_all()
    provisioner.run_deferred()
    specs = load_functions(template, provisioner.resolver)
    on_api = request_path(template_path)
    floor_common = {"code_path": str(ROOT / "benchmarks"), "layer_paths": [], "memory_mb": 128, "note": None}
    result: list[dict[str, Any]] = [
        {
            **floor_common,
            "id": AUTHORIZER_FLOOR,
            "name": "bench-floor-authorizer",
            "handler": AUTHORIZER_FLOOR_HANDLER,
            "event": json.loads((ROOT / "benchmarks" / "events" / "floor_authorizer.json").read_text()),
            "kind": "floor",
            "environment": _FLOOR_ENVIRONMENT,
        },
        {
            **floor_common,
            "id": HTTP_FLOOR,
            "name": "bench-floor-http",
            "handler": HTTP_FLOOR_HANDLER,
            "event": json.loads((ROOT / "benchmarks" / "events" / "floor_http.json").read_text()),
            "kind": "floor",
            "environment": _FLOOR_ENVIRONMENT,
        },
        {
            **floor_common,
            "id": CONSUMER_FLOOR,
            "name": "bench-floor-consumer",
            "handler": CONSUMER_FLOOR_HANDLER,
            "event": sample_event("inventory.reserve_stock.lambda_handler")[0],
            "kind": "floor",
            "environment": _FLOOR_ENVIRONMENT,
        },
    ]
    for spec in sorted(specs.values(), key=lambda s: s.logical_id):
        name = (spec.logical_id + spec.handler).lower()
        if only and not any(part.strip().lower() in name for part in only.split(",")):
            continue
        event, note = sample_event(spec.handler)
        if on_api.get(spec.logical_id) == "authorizer":
            event, note = _known_kid(event, spec.environment), "a known kid, a bad signature"
        result.append(
            {
                "id": spec.logical_id,
                "name": spec.name,
                "handler": spec.handler,
                "code_path": spec.code_path,
                "layer_paths": spec.layer_paths,
                "memory_mb": spec.memory_mb,
                "event": event,
                "note": note,
                "kind": on_api.get(spec.logical_id, "consumer"),
                "environment": spec.environment,
            }
        )
    for target in result:
        target["env"] = _lambda_env(
            target["name"], target["memory_mb"], target["environment"], target["handler"], target["code_path"]
        )
    return result


def _known_kid(event: dict[str, Any], environment: dict[str, str]) -> dict[str, Any]:
    """The authorizer's sample token with the kid of the stack's active key: the sample's kid is
    unknown, which sends every first call into the once-a-minute re-read of the key set, a path
    a real token seldom takes. The signature still fails, so the call is refused as before."""
    import base64

    kid = json.loads(environment["SIGNING_KEYS"])["active"].rsplit("/", 1)[-1]
    _, _, token = event["authorizationToken"].partition(" ")
    _, claims, signature = token.split(".")
    header = base64.urlsafe_b64encode(json.dumps({"alg": "ES256", "typ": "JWT", "kid": kid}).encode())
    return {**event, "authorizationToken": f"Bearer {header.rstrip(b'=').decode()}.{claims}.{signature}"}


def request_path_runs(
    template_path: Path = TEMPLATE,
    *,
    primed: bool,
    only: str | None = None,
    kinds: tuple[str, ...] = ("http", "authorizer"),
) -> dict[str, dict[str, Any]]:
    """One run of every request-path function (the ones SnapStart runs in prod; `kinds` for
    others), primed or not: {logical id: the run's outcome, with `new_modules` and `new_clients`
    of its first call, `top_level` (every top-level module loaded) and `handler`}."""
    os.environ.update(BASE_ENV)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    from moto import mock_aws

    with mock_aws() as mock:
        found = [t for t in targets(template_path, only) if t["kind"] in kinds]
        warm_stand_in_operations()
        gc.collect()
        gc.freeze()
        try:
            return {t["id"]: {**_run_once(t, mock, primed=primed), "handler": t["handler"]} for t in found}
        finally:
            gc.unfreeze()


def _quartiles(values: list[float]) -> tuple[float, float, float]:
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, median, q3


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def measure(template_path: Path = TEMPLATE, rounds: int = 15, only: str | None = None) -> dict[str, Any]:
    os.environ.update(BASE_ENV)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    from moto import mock_aws

    with mock_aws() as mock:
        all_targets = targets(template_path, only)
        warm_stand_in_operations()
        # The provisioned heap is never collected again: the forked servers share it copy-on-write.
        gc.collect()
        gc.freeze()
        by_id = {t["id"]: t for t in all_targets}
        functions = [t for t in all_targets if t["kind"] != "floor"]
        runs: dict[str, list[dict[str, Any]]] = {t["id"]: [] for t in all_targets}
        pairs: dict[str, list[float]] = {t["id"]: [] for t in functions}
        primed: dict[str, list[dict[str, Any]]] = {t["id"]: [] for t in functions if t["kind"] != "consumer"}
        for round_index in range(rounds):
            for kind, floor_id in FLOOR_OF.items():
                group = [t for t in functions if t["kind"] == kind]
                if not group:
                    continue
                shift = round_index % len(group)  # each round starts the block elsewhere
                floor = by_id[floor_id]
                before = _run_once(floor, mock)
                runs[floor_id].append(before)
                for target in group[shift:] + group[:shift]:
                    run = _run_once(target, mock)
                    after = _run_once(floor, mock)
                    runs[floor_id].append(after)
                    runs[target["id"]].append(run)
                    if "own_ms" in run and "total_ms" in before and "total_ms" in after:
                        pairs[target["id"]].append(
                            run["own_ms"] / ((before["total_ms"] + after["total_ms"]) / 2)
                        )
                    if target["id"] in primed:
                        primed[target["id"]].append(_run_once(target, mock, primed=True))
                    before = after
    report_rows = []
    for target in all_targets:
        if target["kind"] == "floor" and not runs[target["id"]]:
            continue  # no function of its kind in this (partial) run
        report_rows.append(
            _row(target, runs[target["id"]], pairs.get(target["id"]), primed.get(target["id"]))
        )
    floors = {
        floor_id: round(statistics.median(s["total_ms"] for s in runs[floor_id] if "total_ms" in s), 1)
        for floor_id in FLOOR_OF.values()
        if any("total_ms" in s for s in runs[floor_id])
    }
    return {
        "rounds": rounds,
        "budget_ratio": BUDGET_RATIO,
        "primed_budget_ratio": PRIMED_BUDGET_RATIO,
        "primed_allowance_ms": PRIMED_ALLOWANCE_MS,
        "warm_calls": WARM_CALLS,
        "floors_ms": floors,
        "floor_runs": {floor_id: len(runs[floor_id]) for floor_id in FLOOR_OF.values() if runs[floor_id]},
        "boto3_import_ms": boto3_import_ms(),
        "functions": report_rows,
    }


def _row(
    target: dict[str, Any],
    samples: list[dict[str, Any]],
    pairs: list[float] | None,
    primed: list[dict[str, Any]] | None,
) -> dict[str, Any]:
    ok = [s for s in samples if "total_ms" in s]
    errors = sorted({s["error"] for s in samples if "error" in s})
    row: dict[str, Any] = {
        "function": target["id"],
        "handler": target["handler"],
        "kind": target["kind"],
        "memory_mb": target["memory_mb"],
        "runs": len(ok),
        "note": target["note"],
        "errors": errors,
    }
    if not ok:
        row["within_budget"] = False
        return row
    last = ok[-1]
    row.update(
        median_ms=round(statistics.median(s["total_ms"] for s in ok), 1),
        import_ms=round(statistics.median(s["import_ms"] for s in ok), 1),
        first_invoke_ms=round(statistics.median(s["invoke_ms"] for s in ok), 1),
        kdf_ms=round(statistics.median(s["kdf_ms"] for s in ok), 1),
        modules=last["modules"],
        invoke_imported=last["invoke_imported"],
        boto3=last["boto3"],
        status=last.get("status"),
        batch_failures=last.get("batch_failures"),
        samples_ms=[round(s["total_ms"], 1) for s in ok],
    )
    if target["kind"] == "floor":
        row["within_budget"] = not errors
        return row
    row["floor"] = FLOOR_OF[target["kind"]]
    within = not errors
    if pairs:
        q1, median, q3 = _quartiles(pairs)
        row.update(ratio=round(median, 3), ratio_q1=round(q1, 3), ratio_q3=round(q3, 3), pairs=len(pairs))
        within = within and median <= BUDGET_RATIO
    else:
        within = False
    row["cold_within_budget"] = within
    if primed is not None:
        good = [p for p in primed if p.get("invoke_ms") is not None and p.get("warm_ms") and "error" not in p]
        row["primed_errors"] = sorted({p["error"] for p in primed if "error" in p})
        if good:

            def own(ms: float, kdf: float, aws: float) -> float:
                return ms - kdf - aws  # outside the password KDF and the wait on the AWS stand-in

            ratios, excess, raw = [], [], []
            for p in good:
                warm_all = zip(p["warm_ms"], p["warm_kdf_ms"], p["warm_aws_ms"], strict=True)
                warm = statistics.median(own(*w) for w in warm_all)
                first = own(p["invoke_ms"], p["kdf_ms"], p["aws_ms"])
                ratios.append(first / max(warm, 0.001))
                excess.append(first - warm)
                warm_raw = statistics.median(
                    w - k for w, k in zip(p["warm_ms"], p["warm_kdf_ms"], strict=True)
                )
                raw.append((p["invoke_ms"] - p["kdf_ms"]) / max(warm_raw, 0.001))
            q1, median, q3 = _quartiles(ratios)
            over_ms = statistics.median(excess)
            row["primed"] = {
                "runs": len(good),
                "prime_ms": round(statistics.median(p["prime_ms"] for p in good), 1),
                "restore_ms": round(statistics.median(p["restore_ms"] for p in good), 2),
                "first_ms": round(statistics.median(p["invoke_ms"] - p["kdf_ms"] for p in good), 2),
                "warm_ms": round(
                    statistics.median(
                        w - k for p in good for w, k in zip(p["warm_ms"], p["warm_kdf_ms"], strict=True)
                    ),
                    2,
                ),
                "first_aws_ms": round(statistics.median(p["aws_ms"] for p in good), 2),
                "warm_aws_ms": round(statistics.median(w for p in good for w in p["warm_aws_ms"]), 2),
                "first_own_ms": round(
                    statistics.median(own(p["invoke_ms"], p["kdf_ms"], p["aws_ms"]) for p in good), 2
                ),
                "warm_own_ms": round(
                    statistics.median(
                        own(*w)
                        for p in good
                        for w in zip(p["warm_ms"], p["warm_kdf_ms"], p["warm_aws_ms"], strict=True)
                    ),
                    2,
                ),
                "raw_ratio": round(statistics.median(raw), 2),
                "ratio": round(median, 2),
                "ratio_q1": round(q1, 2),
                "ratio_q3": round(q3, 2),
                "over_warm_ms": round(over_ms, 2),
                "within_budget": median <= PRIMED_BUDGET_RATIO or over_ms <= PRIMED_ALLOWANCE_MS,
                "new_modules": good[-1]["new_modules"],
                "new_clients": good[-1]["new_clients"],
            }
            within = within and row["primed"]["within_budget"]
        else:
            within = False
    row["within_budget"] = within
    return row


def print_table(report: dict[str, Any]) -> None:
    floors = ", ".join(f"{name} {ms} ms" for name, ms in report["floors_ms"].items())
    print(
        f"\nCold start (import + first invocation, fresh interpreter, moto, tracing on), {report['rounds']} "
        f"rounds of floor, function, floor; floors (median): {floors}\n"
        f"budget: median of the paired ratios <= {report['budget_ratio']} x the floor of the function's kind "
        "(IQR in brackets); the password KDF is left out of the ratio and shown on its own"
    )
    columns = ("MB", "import", "invoke", "total", "ratio", "q1", "q3")
    print(f"{'function':<44} {'floor':<15} " + " ".join(f"{c:>7}" for c in columns) + "  result")
    for row in report["functions"]:
        if "median_ms" not in row:
            print(f"{row['function']:<44} {'':<15} FAIL {row['errors']}")
            continue
        if row["kind"] == "floor":
            print(
                f"{row['function']:<44} {'':<15} {row['memory_mb']:>7} {row['import_ms']:>7.0f} "
                f"{row['first_invoke_ms']:>7.0f} {row['median_ms']:>7.0f}   (floor, {row['runs']} runs)"
            )
            continue
        verdict = "ok" if row.get("cold_within_budget", row["within_budget"]) else "OVER BUDGET"
        if row["errors"]:
            verdict = f"ERRORS {row['errors']}"
        outcome = f"status {row['status']}" if row["status"] is not None else ""
        if row["batch_failures"] is not None:
            outcome = f"{row['batch_failures']} batch failures"
        ratio = "      -"
        if "ratio" in row:
            ratio = f"{row['ratio']:>7.2f} {row['ratio_q1']:>7.2f} {row['ratio_q3']:>7.2f}"
        print(
            f"{row['function']:<44} {row['floor']:<15} {row['memory_mb']:>7} {row['import_ms']:>7.0f} "
            f"{row['first_invoke_ms']:>7.0f} {row['median_ms']:>7.0f} {ratio}  {verdict} {outcome}"
        )
        if row["kdf_ms"] > 0:
            print(f"{'  password KDF (scrypt), not in the ratio':<58} {row['kdf_ms']:>7.0f} ms per call")
    print(
        "\nPrimed first invocation (SnapStart: init type snap-start, hooks, first call, "
        f"{report['warm_calls']} warm calls; KDF left out); "
        f"budget: first <= {report['primed_budget_ratio']} x warm or <= warm + "
        f"{report['primed_allowance_ms']} ms (medians), on the function's own time: the invocation less the\n"
        "password KDF and less the wait on the AWS stand-in (aws: moto's first request of an operation in a "
        "process is slow, AWS's is not); raw: the ratio with that wait left in"
    )
    primed_columns = ("unprimed", "prime", "restore", "first", "warm", "aws 1st", "aws warm")
    own_columns = ("own 1st", "own warm", "ratio", "q1", "q3", "+ms", "raw")
    print(
        f"{'function':<44} "
        + " ".join(f"{c:>8}" for c in (*primed_columns, *own_columns))
        + "  new modules / clients on 1st call"
    )
    for row in report["functions"]:
        primed = row.get("primed")
        if row["kind"] in ("floor", "consumer") or "median_ms" not in row:
            continue
        if not primed:
            print(f"{row['function']:<44} FAIL {row.get('primed_errors')}")
            continue
        print(
            f"{row['function']:<44} {row['first_invoke_ms']:>8.1f} {primed['prime_ms']:>8.0f} "
            f"{primed['restore_ms']:>8.2f} {primed['first_ms']:>8.2f} {primed['warm_ms']:>8.2f} "
            f"{primed['first_aws_ms']:>8.2f} {primed['warm_aws_ms']:>8.2f} "
            f"{primed['first_own_ms']:>8.2f} {primed['warm_own_ms']:>8.2f} "
            f"{primed['ratio']:>8.2f} {primed['ratio_q1']:>8.2f} {primed['ratio_q3']:>8.2f} "
            f"{primed['over_warm_ms']:>8.2f} {primed['raw_ratio']:>8.2f}  "
            f"{len(primed['new_modules'])} / {len(primed['new_clients'])}  "
            f"{'ok' if primed['within_budget'] else 'OVER BUDGET'}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--template", default=str(TEMPLATE))
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument(
        "--only", help="only functions whose logical id or handler contains this (or one of a,b,...)"
    )
    parser.add_argument("--out", help="write the JSON report here")
    args = parser.parse_args()
    report = measure(Path(args.template), args.rounds, args.only)
    print_table(report)
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    return 0 if all(row["within_budget"] for row in report["functions"]) else 1


if __name__ == "__main__":
    sys.exit(main())
