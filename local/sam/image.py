"""The Lambda Python 3.13 base image `sam local` asks for, for this machine's architecture.

SAM runs a zip function in `public.ecr.aws/lambda/python:3.13-<arch>` (plus its own emulator and
the function's layers). `ensure()` keeps that tag: already there → done; otherwise pulled when a
registry answers; otherwise built here, offline but for Debian's package mirror and PyPI:

- a Debian trixie root file system (`debootstrap --variant=minbase`, with Debian's `python3`, which
  is CPython 3.13 in trixie): the interpreter Lambda's python3.13 runtime runs, not Amazon Linux;
- Lambda's paths: `/var/lang/bin/python3.13`, `/var/runtime` (the runtime interface client,
  `awslambdaric`, at the version pinned below), `/var/lang/lib/python3.13/site-packages` (boto3 at
  the version requirements.txt pins, as the runtime provides it), `/var/task`, `/opt`;
- `/var/runtime/bootstrap`, which the emulator starts: the runtime's environment and module search
  path (function code, then layers, then the runtime's libraries), then `python -m awslambdaric`.

The wheels are installed by this machine's pip for the target platform (as `make layer` does), so
nothing runs inside the image while it is built. Building needs root (debootstrap) and Docker.

    python -m local.sam.image            # make sure the image exists (pull, else build)
    python -m local.sam.image --build    # build it here even if a registry answers
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = "3.13"
RUNTIME = "python3.13"
DEBIAN_SUITE = "trixie"  # its python3 is CPython 3.13
DEBIAN_MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
AWSLAMBDARIC = "awslambdaric==4.2.2"
PULL_TIMEOUT_S = 120

# Lambda's own values for the python3.13 runtime (the "Defined runtime environment variables" table
# of the Lambda developer guide), so code that reads them behaves as it does in Lambda.
LAMBDA_ENV = {
    "LANG": "en_US.UTF-8",
    "TZ": ":UTC",
    "PATH": "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
    "LD_LIBRARY_PATH": (
        "/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib"
    ),
    "LAMBDA_TASK_ROOT": "/var/task",
    "LAMBDA_RUNTIME_DIR": "/var/runtime",
}

# The emulator (SAM adds it as /var/rapid/aws-lambda-rie) runs /var/runtime/bootstrap with the
# handler in _HANDLER. Layers are extracted to /opt; a Python layer's modules are found under
# /opt/python and /opt/python/lib/python3.13/site-packages (Lambda guide, "Working with layers for
# Python Lambda functions"), after the function's own code and before the runtime's libraries.
BOOTSTRAP = f"""#!/bin/sh
# Lambda's python3.13 bootstrap, as built by local/sam/image.py.
export AWS_EXECUTION_ENV=AWS_Lambda_{RUNTIME}
export PYTHONPATH="/var/task:/opt/python/lib/python{PYTHON}/site-packages:/opt/python:\
/var/lang/lib/python{PYTHON}/site-packages:/var/runtime"
handler="${{1:-${{_HANDLER:-$AWS_LAMBDA_FUNCTION_HANDLER}}}}"
cd /var/task
exec /var/lang/bin/python{PYTHON} -m awslambdaric "$handler"
"""

ENTRYPOINT = """#!/bin/sh
# `docker run IMAGE <handler>` as with Lambda's image; `sam local` replaces this with its emulator.
if [ $# -ne 1 ]; then
  echo "usage: docker run ... <module.function> (the handler)" >&2
  exit 142
fi
export _HANDLER="$1"
if [ -z "$AWS_LAMBDA_RUNTIME_API" ] && [ -x /usr/local/bin/aws-lambda-rie ]; then
  exec /usr/local/bin/aws-lambda-rie /var/runtime/bootstrap
fi
exec /var/runtime/bootstrap
"""


def host_arch() -> str:
    """This machine's architecture as Lambda names it."""
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64"):
        return "x86_64"
    if machine in ("aarch64", "arm64"):
        return "arm64"
    raise SystemExit(f"Lambda has no {machine} architecture")


def image_tag(arch: str) -> str:
    """The tag SAM asks for: `<runtime image>-<arch>` (python3.13 has an image per architecture)."""
    return f"public.ecr.aws/lambda/python:{PYTHON}-{arch}"


def _debian_arch(arch: str) -> str:
    return {"x86_64": "amd64", "arm64": "arm64"}[arch]


def _pip_platform(arch: str) -> str:
    return {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}[arch]


def pinned(requirement: str, requirements: Path = ROOT / "requirements.txt") -> str:
    """`name==version` as `requirements` pins it (so the image carries the tested version)."""
    for line in requirements.read_text().splitlines():
        spec = line.split("#", 1)[0].strip()
        if spec.split("==")[0].split("[")[0].strip().lower() == requirement.lower() and "==" in spec:
            return f"{requirement}=={spec.split('==', 1)[1].strip()}"
    raise SystemExit(f"{requirements} pins no {requirement}")


def pip_install_for(arch: str, target: Path, requirements: list[str]) -> None:
    """Install wheels for Lambda's CPython 3.13 on `arch` into `target` with this machine's pip."""
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", "--target", str(target),
         "--platform", _pip_platform(arch), "--implementation", "cp", "--python-version", PYTHON,
         "--only-binary=:all:", *requirements],
        check=True,
    )  # fmt: skip


def _docker(*args: str, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout, check=False)


def image_exists(tag: str) -> bool:
    return _docker("image", "inspect", tag, timeout=60).returncode == 0


def _pull(tag: str) -> bool:
    try:
        done = _docker("pull", tag, timeout=PULL_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        print(f"pulling {tag} did not finish within {PULL_TIMEOUT_S} s", file=sys.stderr)
        return False
    if done.returncode != 0:
        print(f"cannot pull {tag}: {(done.stderr or done.stdout).strip()[-300:]}", file=sys.stderr)
    return done.returncode == 0


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)


def build_rootfs(arch: str, rootfs: Path) -> None:
    """Debian with CPython 3.13, laid out as Lambda's python3.13 runtime."""
    if os.geteuid() != 0:
        raise SystemExit("building the base image needs root (debootstrap): run `sudo make sam-image`")
    if shutil.which("debootstrap") is None:
        raise SystemExit("building the base image needs debootstrap: apt-get install debootstrap")
    subprocess.run(
        ["debootstrap", "--variant=minbase", "--include=python3,ca-certificates",
         f"--arch={_debian_arch(arch)}", DEBIAN_SUITE, str(rootfs), DEBIAN_MIRROR],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    interpreter = rootfs / "usr" / "bin" / f"python{PYTHON}"
    if not interpreter.exists():
        raise SystemExit(
            f"Debian {DEBIAN_SUITE}'s python3 is not {PYTHON} any more: {interpreter} is missing"
        )
    lang_bin = rootfs / "var" / "lang" / "bin"
    lang_bin.mkdir(parents=True)
    for name in (f"python{PYTHON}", "python3", "python"):
        (lang_bin / name).symlink_to(f"/usr/bin/python{PYTHON}")
    pip_install_for(arch, rootfs / "var" / "runtime", [AWSLAMBDARIC])
    pip_install_for(
        arch, rootfs / "var" / "lang" / "lib" / f"python{PYTHON}" / "site-packages", [pinned("boto3")]
    )
    _write(rootfs / "var" / "runtime" / "bootstrap", BOOTSTRAP, 0o755)
    _write(rootfs / "lambda-entrypoint.sh", ENTRYPOINT, 0o755)
    for empty in ("var/task", "opt"):
        (rootfs / empty).mkdir(parents=True, exist_ok=True)
    # What a container does not need (the package caches, the docs) keeps the image small.
    for path in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man"):
        shutil.rmtree(rootfs / path, ignore_errors=True)


def dockerfile(arch: str) -> str:
    env = "".join(f'ENV {name}="{value}"\n' for name, value in LAMBDA_ENV.items())
    return (
        "FROM scratch\n"
        "ADD rootfs.tar /\n"
        f"{env}"
        f'LABEL org.opencontainers.image.description="Stand-in for {image_tag(arch)}: Debian '
        f'{DEBIAN_SUITE} with CPython {PYTHON} and Lambda paths (local/sam/image.py)"\n'
        "WORKDIR /var/task\n"
        'ENTRYPOINT ["/lambda-entrypoint.sh"]\n'
    )


def build(arch: str, tag: str) -> None:
    if shutil.which("docker") is None:
        raise SystemExit("no docker client")
    with tempfile.TemporaryDirectory(prefix="sam-image-") as tmp:
        context = Path(tmp)
        rootfs = context / "rootfs"
        print(f"building {tag} from Debian {DEBIAN_SUITE} ({DEBIAN_MIRROR}) ...", file=sys.stderr)
        build_rootfs(arch, rootfs)
        with tarfile.open(context / "rootfs.tar", "w") as archive:
            for entry in sorted(rootfs.iterdir()):
                # Docker provides /dev, /proc and /sys itself.
                if entry.name in ("dev", "proc", "sys"):
                    archive.add(entry, arcname=entry.name, recursive=False)
                else:
                    archive.add(entry, arcname=entry.name)
        shutil.rmtree(rootfs)
        _write(context / "Dockerfile", dockerfile(arch))
        done = subprocess.run(["docker", "build", "--quiet", "-t", tag, str(context)], check=False)
        if done.returncode != 0:
            raise SystemExit(f"docker build of {tag} failed")
    print(f"built {tag}", file=sys.stderr)


def ensure(arch: str, *, force_build: bool = False) -> str:
    tag = image_tag(arch)
    if not force_build and image_exists(tag):
        print(f"{tag} is there", file=sys.stderr)
        return tag
    if not force_build and _pull(tag):
        return tag
    build(arch, tag)
    return tag


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.sam.image", description=__doc__)
    parser.add_argument("--arch", default=None, help="x86_64 or arm64 (default: this machine's)")
    parser.add_argument("--build", action="store_true", help="build locally even if it could be pulled")
    args = parser.parse_args(argv)
    if shutil.which("docker") is None or _docker("info", timeout=60).returncode != 0:
        print("no Docker engine is running: `sam local` needs one (make dev and make test do not)")
        return 2
    print(ensure(args.arch or host_arch(), force_build=args.build))
    return 0


if __name__ == "__main__":
    sys.exit(main())
