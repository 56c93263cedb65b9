"""Create the first admin user — against the local stack or a deployed stack.

    python tools/create_admin.py --outputs outputs.json [--stack Commerce-dev] \
        [--email admin@example.com] [--password '...'] [--name Admin]

`--outputs` is the file `cdk deploy --outputs-file` writes (the local stack writes the same format
to `.local/outputs.json`); the identity and users table names and the contact key id are read from
it (outputs IdentityTableName, UsersTableName, ContactKeyId), and so is where the stack is
(local/outputs.py): the local stack's AWS stand-in (its `AwsEndpoint`, any credentials), or a
deployed stack's region, with the usual credential chain. Idempotent: if the email already has an
account, that account is promoted to admin (its password is left unchanged). The same domain and store code as
`POST /auth/register` is used, so hashing, the email claim and the UserRegistered event are identical.

Defaults come from the environment: OUTPUTS_FILE (or COMMERCE_OUTPUTS_FILE), STACK_NAME,
DEV_ADMIN_EMAIL (admin@example.com), DEV_ADMIN_PASSWORD (admin-password-123; local use only).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from local import outputs as stack_outputs

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_EMAIL = "admin@example.com"
DEFAULT_PASSWORD = "admin-password-123"  # noqa: S105 - the documented local-only default
REQUIRED_OUTPUTS = ("IdentityTableName", "UsersTableName", "ContactKeyId")


def create_admin(outputs: dict[str, Any], email: str, password: str, name: str) -> tuple[str, bool]:
    """(user id, True if created / False if an existing account was promoted)."""
    from identity.models import RegisterRequest
    from identity.service import Accounts
    from identity.store import DynamoIdentityStore

    request = RegisterRequest(email=email, password=password, name=name)  # same rules as the API
    os.environ["CONTACT_KEY_ID"] = str(outputs["ContactKeyId"])
    from identity.keys import encrypt_contact

    store = DynamoIdentityStore(
        table=str(outputs["IdentityTableName"]), users_table=str(outputs["UsersTableName"])
    )
    service = Accounts(store=store, encrypt_contact=encrypt_contact)
    return service.ensure_admin(request.email, request.password, request.name)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Create (or promote) an admin user of a Commerce stack.")
    parser.add_argument(
        "--outputs",
        type=Path,
        default=os.environ.get("OUTPUTS_FILE")
        or os.environ.get("COMMERCE_OUTPUTS_FILE")
        or ROOT / ".local" / "outputs.json",
        help="outputs file of `cdk deploy --outputs-file` or the local stack (.local/outputs.json)",
    )
    parser.add_argument("--stack", default=os.environ.get("STACK_NAME"), help="stack name, e.g. Commerce-dev")
    parser.add_argument("--email", default=os.environ.get("DEV_ADMIN_EMAIL", DEFAULT_EMAIL))
    parser.add_argument("--password", default=os.environ.get("DEV_ADMIN_PASSWORD", DEFAULT_PASSWORD))
    parser.add_argument("--name", default="Admin")
    args = parser.parse_args(argv)

    from pydantic import ValidationError

    _stack, outputs = stack_outputs.read(Path(args.outputs), args.stack, needs=REQUIRED_OUTPUTS)
    where = stack_outputs.target_stack(outputs)
    try:
        user_id, created = create_admin(outputs, args.email, args.password, args.name)
    except ValidationError as invalid:
        fields = ", ".join(str(error["loc"][0]) for error in invalid.errors())
        print(
            f"invalid admin account ({fields}): password ≥ 10 characters, a valid email, a name",
            file=sys.stderr,
        )
        return 2
    print(f"admin {'created' if created else 'promoted'} in {where}: userId={user_id}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
