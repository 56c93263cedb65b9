"""`sam local invoke` / `sam local start-api` for this project (Docker needed only here).

`image` provides the Lambda Python 3.13 base image for this machine's architecture (pulled, or built
locally from Debian's packages when no registry is reachable), `template` writes a SAM-ready copy of
the synthesized template for this architecture, and `run` points SAM at the running local stack.
None of it is part of `make dev` or `make test`, which never need Docker.
"""
