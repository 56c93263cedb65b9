"""Identity context: the auth functions (functions/identity) and the profile functions (functions/users).

Resources: the identity table (credentials, email claims, refresh tokens, families, login
throttling, outbox) with its outbox relay; the users table (profiles); the ES256 signing key(s) in
KMS; the SSM parameter saying which key signs and which verify; the symmetric "contact" key that
encrypts the email carried by `UserRegistered` (only notifications may decrypt it); the API's
Lambda token authorizer. Every function gets exactly the actions it calls, on these resources only.

Key rotation: append a generation to `SIGNING_KEY_GENERATIONS` and deploy. The newest generation
becomes `active` (new tokens carry its kid) while older ones stay in `verify`, so tokens they signed
keep working and JWKS keeps publishing them; after one access-token lifetime (15 min) drop the old
generation and deploy again. See docs/identity.md.
"""

from __future__ import annotations

from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from cdk.constructs.function import ServiceFunction
from cdk.constructs.outbox_relay import OutboxRelay
from cdk.constructs.platform import Platform
from cdk.constructs.table import ServiceTable, grant_table

#: The event sources this table's outbox relay may put on the bus:
#: identity's events (users writes UserDeleted to the identity table).
SOURCES = ("commerce.identity",)

#: Signing-key generations, oldest first; the last one signs. Append one to rotate.
SIGNING_KEY_GENERATIONS: tuple[str, ...] = ("1",)
JWT_AUDIENCE = "commerce-api"

_READ = ("dynamodb:GetItem",)
#: What the authorizer may read of a credential (identity.store.DynamoIdentityStore.access_state).
REVOCATION_ATTRIBUTES = ("pk", "sk", "tokensValidAfter", "status")


class IdentityService(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        platform: Platform,
        signing_key_generations: Sequence[str] = SIGNING_KEY_GENERATIONS,
    ) -> None:
        super().__init__(scope, construct_id)
        config = platform.config
        self.platform = platform
        stack = cdk.Stack.of(self)

        self.identity_table = ServiceTable(self, "IdentityTable", platform=platform).table
        self.users_table = ServiceTable(self, "UsersTable", platform=platform).table
        # Both UserRegistered and UserDeleted are recorded in the identity table.
        OutboxRelay(
            self, "IdentityOutbox", platform=platform, table=self.identity_table, event_sources=SOURCES
        )

        self.signing_keys = [
            kms.Key(
                self,
                f"SigningKey{generation}",
                description=f"Commerce {config.stage}: ES256 token signing key, generation {generation}",
                key_spec=kms.KeySpec.ECC_NIST_P256,
                key_usage=kms.KeyUsage.SIGN_VERIFY,
                removal_policy=config.removal_policy,
                pending_window=cdk.Duration.days(30 if config.is_prod else 7),
            )
            for generation in signing_key_generations
        ]
        self.active_signing_key = self.signing_keys[-1]
        # The key set is public (key ids): the deploy hands it to the token functions as SIGNING_KEYS,
        # so a burst of cold starts reads nothing from Parameter Store (whose standard throughput is
        # 40 GetParameter calls a second per account and region); the parameter is what a function
        # re-reads when it meets a kid it does not know (functions/identity/keys.py).
        signing_keys_value = stack.to_json_string(
            {"active": self.active_signing_key.key_id, "verify": [k.key_id for k in self.signing_keys]}
        )
        self.signing_keys_parameter = ssm.StringParameter(
            self,
            "SigningKeys",
            parameter_name=f"/commerce/{config.stage}/identity/signing-keys",
            description="Which KMS key signs access tokens (active) and which may verify them (verify)",
            string_value=signing_keys_value,
        )
        self.contact_key = kms.Key(
            self,
            "ContactKey",
            description=f"Commerce {config.stage}: encrypts contact data carried by identity events",
            enable_key_rotation=True,
            removal_policy=config.removal_policy,
            pending_window=cdk.Duration.days(30 if config.is_prod else 7),
        )

        token_env = {
            "SIGNING_KEYS": signing_keys_value,
            "SIGNING_KEYS_PARAMETER": self.signing_keys_parameter.parameter_name,
            "JWT_ISSUER": f"https://commerce.example/{config.stage}",
            "JWT_AUDIENCE": JWT_AUDIENCE,
        }
        identity_env = {"IDENTITY_TABLE_NAME": self.identity_table.table_name}
        users_env = {"USERS_TABLE_NAME": self.users_table.table_name}
        auth_throttle = (config.auth_rate_limit, config.auth_burst_limit)

        # ---- /auth ----------------------------------------------------------------------------
        register = self._function(
            "Register",
            "identity",
            "register",
            "POST /auth/register",
            {**identity_env, **users_env, "CONTACT_KEY_ID": self.contact_key.key_id},
            memory_size=1024,
        )
        grant_table(register.function, self.identity_table, ("dynamodb:PutItem",))
        grant_table(register.function, self.users_table, ("dynamodb:PutItem",))
        self.contact_key.grant(register.role, "kms:Encrypt")
        platform.api.add_route(
            "POST", "/auth/register", register.function, authenticated=False, throttle=auth_throttle
        )

        login = self._function(
            "Login", "identity", "login", "POST /auth/login", {**identity_env, **token_env}, memory_size=1024
        )
        grant_table(login.function, self.identity_table, (*_READ, "dynamodb:PutItem", "dynamodb:UpdateItem"))
        self._signing_access(login)
        platform.api.add_route(
            "POST", "/auth/login", login.function, authenticated=False, throttle=auth_throttle
        )

        refresh = self._function(
            "Refresh", "identity", "refresh", "POST /auth/refresh", {**identity_env, **token_env}
        )
        grant_table(
            refresh.function, self.identity_table, (*_READ, "dynamodb:PutItem", "dynamodb:UpdateItem")
        )
        self._signing_access(refresh)
        platform.api.add_route(
            "POST", "/auth/refresh", refresh.function, authenticated=False, throttle=auth_throttle
        )

        logout = self._function("Logout", "identity", "logout", "POST /auth/logout", identity_env)
        grant_table(logout.function, self.identity_table, (*_READ, "dynamodb:UpdateItem"))
        platform.api.add_route(
            "POST", "/auth/logout", logout.function, authenticated=False, throttle=auth_throttle
        )

        jwks = self._function(
            "Jwks", "identity", "jwks", "GET /.well-known/jwks.json", token_env, memory_size=256
        )
        self._verify_access(jwks)
        platform.api.add_route("GET", "/.well-known/jwks.json", jwks.function, authenticated=False)

        self.authorizer = self._function(
            "Authorizer",
            "identity",
            "authorizer",
            "API Gateway token authorizer (ES256 JWT, account revocation)",
            {**token_env, **identity_env},
            memory_size=512,
        )
        self._verify_access(self.authorizer)
        # Revocation: one consistent GetItem of USER#<id>/CREDENTIAL per request, and nothing else
        # of the table — not the password hash, not another item kind (fine-grained access control:
        # https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/specifying-conditions.html).
        grant_table(
            self.authorizer.function,
            self.identity_table,
            _READ,
            conditions={
                "ForAllValues:StringLike": {"dynamodb:LeadingKeys": ["USER#*"]},
                "ForAllValues:StringEquals": {"dynamodb:Attributes": list(REVOCATION_ATTRIBUTES)},
                "StringEqualsIfExists": {"dynamodb:Select": "SPECIFIC_ATTRIBUTES"},
            },
        )
        platform.api.use_authorizer(self.authorizer.function)

        # ---- /users -----------------------------------------------------------------------------
        get_me = self._function("GetMe", "users", "get_me", "GET /users/me", users_env)
        grant_table(get_me.function, self.users_table, _READ)
        platform.api.add_route("GET", "/users/me", get_me.function, authenticated=True)

        patch_me = self._function("PatchMe", "users", "patch_me", "PATCH /users/me", users_env)
        grant_table(patch_me.function, self.users_table, ("dynamodb:UpdateItem",))
        platform.api.add_route("PATCH", "/users/me", patch_me.function, authenticated=True)

        delete_me = self._function(
            "DeleteMe", "users", "delete_me", "DELETE /users/me", {**users_env, **identity_env}
        )
        grant_table(delete_me.function, self.users_table, (*_READ, "dynamodb:DeleteItem"))
        grant_table(
            delete_me.function,
            self.identity_table,
            (*_READ, "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"),
        )
        platform.api.add_route("DELETE", "/users/me", delete_me.function, authenticated=True)

        get_user = self._function("GetUser", "users", "get_user", "GET /users/{userId} (admin)", users_env)
        grant_table(get_user.function, self.users_table, _READ)
        platform.api.add_route("GET", "/users/{userId}", get_user.function, authenticated=True)

        cdk.CfnOutput(stack, "IdentityTableName", value=self.identity_table.table_name)
        cdk.CfnOutput(stack, "UsersTableName", value=self.users_table.table_name)
        cdk.CfnOutput(stack, "ContactKeyId", value=self.contact_key.key_id)
        cdk.CfnOutput(stack, "SigningKeysParameterName", value=self.signing_keys_parameter.parameter_name)

    # ---- helpers ------------------------------------------------------------------------------
    def _function(
        self,
        construct_id: str,
        service: str,
        module: str,
        description: str,
        environment: dict[str, str],
        memory_size: int = 512,
    ) -> ServiceFunction:
        return ServiceFunction(
            self,
            construct_id,
            platform=self.platform,
            service=service,
            handler=f"{module}.lambda_handler",
            description=description,
            environment=environment,
            memory_size=memory_size,
        )

    def _signing_access(self, fn: ServiceFunction) -> None:
        self.active_signing_key.grant(fn.role, "kms:Sign")
        self._key_set_access(fn)

    def _verify_access(self, fn: ServiceFunction) -> None:
        for key in self.signing_keys:
            key.grant(fn.role, "kms:GetPublicKey")
        self._key_set_access(fn)

    def _key_set_access(self, fn: ServiceFunction) -> None:
        self.signing_keys_parameter.grant_read(fn.role)
        # A deploy that adds a key updates the parameter before any function that may meet it.
        fn.function.node.add_dependency(self.signing_keys_parameter)
