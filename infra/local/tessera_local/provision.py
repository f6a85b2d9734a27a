"""Create the emulated AWS resources that template.yaml declares, with boto3 against moto.

Each ``create_*`` function takes the resources of one type from the template, so a resource added
to the template appears locally without touching this file (a type the stack does not know yet is
reported by :func:`unsupported_resources`, which a test keeps empty).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tessera_local.template import ROOT, Template

# Types the local stack creates, and types it knows it does not need to (with the reason).
HANDLED = {
    "AWS::DynamoDB::Table",
    "AWS::S3::Bucket",
    "AWS::Events::EventBus",
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::UserPoolGroup",
    "AWS::SES::EmailIdentity",
    "AWS::SecretsManager::Secret",
    "AWS::SES::ReceiptRuleSet",
    "AWS::Serverless::StateMachine",
    "AWS::SNS::Topic",  # its publishes are listed at /_local/sms
    "AWS::SQS::Queue",  # dead-letter queues: tessera_local.lambdas and .clock send to them
    "AWS::Serverless::Function",  # dispatched in-process by tessera_local.lambdas
    "AWS::Serverless::Api",  # served by tessera_local.http
}
NOT_NEEDED = {
    "AWS::S3::BucketPolicy": "moto does not enforce bucket policies; SES writes are emulated",
    "AWS::SES::ReceiptRule": "the local SMTP server performs the rule's actions itself",
    "AWS::Lambda::Permission": "in-process dispatch needs no resource policy",
    "AWS::CloudWatch::Alarm": "metrics are log lines (EMF) locally; nothing evaluates alarms",
    "AWS::CloudWatch::Dashboard": "metrics are log lines (EMF) locally; nothing draws them",
    "AWS::SNS::Subscription": "alarms never fire locally; the topic itself is created",
    "AWS::CloudFront::Distribution": "tessera_local.http serves the one origin itself",
    "AWS::CloudFront::OriginAccessControl": "the local HTTP server reads the bucket itself",
    "AWS::CloudFront::ResponseHeadersPolicy": "tessera_local.http sets api.headers.page_headers",
    "AWS::CloudFront::CachePolicy": "nothing caches locally",
    "AWS::CloudFront::Function": "tessera_local.http maps a path ending in / to its index.html",
}

_TABLE_KEYS = (
    "AttributeDefinitions",
    "KeySchema",
    "GlobalSecondaryIndexes",
    "LocalSecondaryIndexes",
    "BillingMode",
)


def unsupported_resources(template: Template) -> list[str]:
    return [
        f"{logical_id} ({resource['Type']})"
        for logical_id, resource in template.resources.items()
        if resource["Type"] not in HANDLED and resource["Type"] not in NOT_NEEDED
    ]


def create_tables(template: Template, dynamodb: Any) -> list[str]:
    """Create every DynamoDB table of the template; returns their names."""
    names = []
    for logical_id, resource in template.of_type("AWS::DynamoDB::Table").items():
        props = template.resolve(resource["Properties"])
        name = template.ref(logical_id)
        extra = {}
        if "StreamSpecification" in props:  # the API also wants it switched on
            extra["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        dynamodb.create_table(
            TableName=name, **{k: props[k] for k in _TABLE_KEYS if k in props}, **extra
        )
        names.append(name)
    return names


def add_missing_indexes(template: Template, dynamodb: Any) -> list[str]:
    """Give each table restored from saved data the indexes the template has added since
    (``UpdateTable``, as CloudFormation does on a deploy); returns the indexes created. The
    items written before carry none of a new index's keys until they are saved again
    (``tessera.tickets.queue.reindex``)."""
    created = []
    for logical_id, resource in template.of_type("AWS::DynamoDB::Table").items():
        props = template.resolve(resource["Properties"])
        name = template.ref(logical_id)
        table = dynamodb.describe_table(TableName=name)["Table"]
        present = {index["IndexName"] for index in table.get("GlobalSecondaryIndexes", [])}
        for index in props.get("GlobalSecondaryIndexes", []):
            if index["IndexName"] in present:
                continue
            dynamodb.update_table(
                TableName=name,
                AttributeDefinitions=props["AttributeDefinitions"],
                GlobalSecondaryIndexUpdates=[{"Create": index}],
            )
            created.append(f"{name}.{index['IndexName']}")
    return created


def add_missing_streams(template: Template, dynamodb: Any) -> list[str]:
    """Switch on the stream of each table restored from saved data made before the template
    gave it a ``StreamSpecification``; returns those tables. Changes from before are not in it
    (consumers rebuild what they keep, e.g. ``tessera search rebuild``)."""
    enabled = []
    for logical_id, resource in template.of_type("AWS::DynamoDB::Table").items():
        spec = template.resolve(resource["Properties"]).get("StreamSpecification")
        name = template.ref(logical_id)
        if spec is None:
            continue
        table = dynamodb.describe_table(TableName=name)["Table"]
        if table.get("StreamSpecification", {}).get("StreamEnabled"):
            continue
        dynamodb.update_table(TableName=name, StreamSpecification={"StreamEnabled": True, **spec})
        enabled.append(name)
    return enabled


def create_buckets(template: Template, s3: Any) -> list[str]:
    names = []
    for logical_id in template.of_type("AWS::S3::Bucket"):
        name = template.ref(logical_id)
        s3.create_bucket(Bucket=name)
        names.append(name)
    return names


def add_missing_buckets(template: Template, s3: Any) -> list[str]:
    """Create the buckets the template has added since the saved data was made; their names."""
    present = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    created = []
    for logical_id in template.of_type("AWS::S3::Bucket"):
        name = template.ref(logical_id)
        if name not in present:
            s3.create_bucket(Bucket=name)
            created.append(name)
    return created


def create_event_buses(template: Template, events: Any) -> None:
    for logical_id in template.of_type("AWS::Events::EventBus"):
        events.create_event_bus(Name=template.ref(logical_id))


def create_mail_identities(template: Template, ses: Any) -> None:
    """Verify the sending identities (SES refuses mail from unverified senders, moto too)."""
    for resource in template.of_type("AWS::SES::EmailIdentity").values():
        identity = template.resolve(resource["Properties"]["EmailIdentity"])
        if "@" in identity:
            ses.verify_email_identity(EmailAddress=identity)
        else:
            ses.verify_domain_identity(Domain=identity)
    for resource in template.of_type("AWS::SES::ReceiptRuleSet").values():
        ses.create_receipt_rule_set(
            RuleSetName=template.resolve(resource["Properties"]["RuleSetName"])
        )


def create_user_pools(template: Template, cognito: Any) -> None:
    """Create pools, clients and groups; record the emulator's ids so !Ref resolves to them."""
    for logical_id, resource in template.of_type("AWS::Cognito::UserPool").items():
        props = template.resolve(resource["Properties"])
        pool = cognito.create_user_pool(
            PoolName=props["UserPoolName"],
            UsernameAttributes=props.get("UsernameAttributes", []),
            AutoVerifiedAttributes=props.get("AutoVerifiedAttributes", []),
            Policies=props.get("Policies", {}),
        )["UserPool"]
        template.physical_ids[logical_id] = pool["Id"]
        template.attributes[(logical_id, "Arn")] = pool["Arn"]
    for logical_id, resource in template.of_type("AWS::Cognito::UserPoolClient").items():
        props = template.resolve(resource["Properties"])
        client = cognito.create_user_pool_client(
            UserPoolId=props["UserPoolId"],
            ClientName=props["ClientName"],
            GenerateSecret=props.get("GenerateSecret", False),
            ExplicitAuthFlows=props.get("ExplicitAuthFlows", []),
            ReadAttributes=props.get("ReadAttributes", []),
        )["UserPoolClient"]
        template.physical_ids[logical_id] = client["ClientId"]
    for resource in template.of_type("AWS::Cognito::UserPoolGroup").values():
        props = template.resolve(resource["Properties"])
        cognito.create_group(
            UserPoolId=props["UserPoolId"],
            GroupName=props["GroupName"],
            Precedence=props.get("Precedence", 0),
        )


def create_state_machines(template: Template, stepfunctions: Any) -> None:
    """Create each state machine from its DefinitionUri with DefinitionSubstitutions applied
    (moto's CloudFormation would leave the ``${...}`` placeholders in place)."""
    for logical_id, resource in template.of_type("AWS::Serverless::StateMachine").items():
        props = resource["Properties"]
        definition = (ROOT / props["DefinitionUri"]).read_text(encoding="utf-8")
        for name, value in template.resolve(props.get("DefinitionSubstitutions", {})).items():
            definition = definition.replace("${" + name + "}", str(value))
        json.loads(definition)  # refuse a definition the substitutions left invalid
        stepfunctions.create_state_machine(
            name=template.get_att(logical_id, "Name"),
            definition=definition,
            roleArn=f"arn:aws:iam::{template.pseudo('AWS::AccountId')}:role/{logical_id}Role",
            type=props.get("Type", "STANDARD"),
        )


def create_secrets(template: Template, secretsmanager: Any) -> None:
    """Secrets with a generated value, as GenerateSecretString would make them; moto assigns
    the ARN (what !Ref returns), which is recorded like Cognito's ids."""
    for logical_id, resource in template.of_type("AWS::SecretsManager::Secret").items():
        spec = template.resolve(resource["Properties"].get("GenerateSecretString", {}))
        value = secretsmanager.get_random_password(
            PasswordLength=int(spec.get("PasswordLength", 32)),
            ExcludePunctuation=bool(spec.get("ExcludePunctuation", False)),
        )["RandomPassword"]
        arn = secretsmanager.create_secret(
            Name=f"{template.pseudo('AWS::StackName')}-{logical_id}", SecretString=value
        )["ARN"]
        template.physical_ids[logical_id] = arn
        template.attributes[(logical_id, "Arn")] = arn


def restore_secret_ids(template: Template, secretsmanager: Any) -> None:
    for logical_id in template.of_type("AWS::SecretsManager::Secret"):
        name = f"{template.pseudo('AWS::StackName')}-{logical_id}"
        arn = secretsmanager.describe_secret(SecretId=name)["ARN"]
        template.physical_ids[logical_id] = arn
        template.attributes[(logical_id, "Arn")] = arn


def restore_user_pool_ids(template: Template, cognito: Any) -> None:
    """After a restart from saved state, find the pools and clients created the first time."""
    pools = {p["Name"]: p["Id"] for p in cognito.list_user_pools(MaxResults=60)["UserPools"]}
    for logical_id, resource in template.of_type("AWS::Cognito::UserPool").items():
        pool_id = pools[template.resolve(resource["Properties"]["UserPoolName"])]
        template.physical_ids[logical_id] = pool_id
        description = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
        template.attributes[(logical_id, "Arn")] = description["Arn"]
    for logical_id, resource in template.of_type("AWS::Cognito::UserPoolClient").items():
        props = template.resolve(resource["Properties"])
        clients = cognito.list_user_pool_clients(UserPoolId=props["UserPoolId"], MaxResults=60)
        by_name = {c["ClientName"]: c["ClientId"] for c in clients["UserPoolClients"]}
        template.physical_ids[logical_id] = by_name[props["ClientName"]]


def provision(template: Template, session: Any) -> None:
    """Create everything the template declares, in dependency order."""
    create_tables(template, session.client("dynamodb"))
    create_buckets(template, session.client("s3"))
    create_event_buses(template, session.client("events"))
    create_mail_identities(template, session.client("ses"))
    create_user_pools(template, session.client("cognito-idp"))
    create_secrets(template, session.client("secretsmanager"))
    create_state_machines(template, session.client("stepfunctions"))
    create_topics(template, session.client("sns"))
    create_queues(template, session.client("sqs"))


def create_topics(template: Template, sns: Any) -> None:
    for logical_id in template.of_type("AWS::SNS::Topic"):
        sns.create_topic(Name=template.get_att(logical_id, "TopicName"))


def create_queues(template: Template, sqs: Any) -> None:
    for logical_id, resource in template.of_type("AWS::SQS::Queue").items():
        props = template.resolve(resource.get("Properties", {}))
        attributes = {}
        if "MessageRetentionPeriod" in props:
            attributes["MessageRetentionPeriod"] = str(props["MessageRetentionPeriod"])
        sqs.create_queue(QueueName=template.get_att(logical_id, "QueueName"), Attributes=attributes)


SIGNING_KEY_FILE = "cognito-signing-key.json"


def own_signing_key(data_dir: Path, *, new: bool) -> None:
    """Give the emulated user pools a signing key of this stack's own.

    moto signs every ID token with one private key that ships inside moto (kid ``dummy``), so
    anyone could mint an admin token for a stack that kept it. The key is made on the first
    start (``new``), kept in the data directory (readable by its owner only), and set on every
    pool at every start; the
    JWKS the functions verify against publishes its public half under moto's kid.
    """
    from joserfc import jwk
    from moto.backends import get_backend
    from moto.cognitoidp.responses import CognitoIdpJsonWebKeyResponse

    path = data_dir / SIGNING_KEY_FILE
    if path.is_file() and not new:
        key = jwk.RSAKey.import_key(json.loads(path.read_text(encoding="utf-8")))
    else:
        key = jwk.RSAKey.generate_key(2048, parameters={"kid": "dummy"}, private=True)
        path.unlink(missing_ok=True)
        path.touch(mode=0o600)
        path.write_text(json.dumps(key.as_dict(private=True)), encoding="utf-8")
    for accounts in get_backend("cognito-idp").values():
        for backend in accounts.values():
            for pool in backend.user_pools.values():
                pool.json_web_key = key
    public = {
        "keys": [{**key.as_dict(private=False), "kid": "dummy", "alg": "RS256", "use": "sig"}]
    }
    CognitoIdpJsonWebKeyResponse.json_web_key = json.dumps(public).encode("utf-8")
