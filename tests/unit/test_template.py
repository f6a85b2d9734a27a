"""template.yaml keeps the design's promises.

The template is the one source of truth (the local stack provisions from it too), so these tests
hold it to what DESIGN.md asks: cfn-lint clean, handlers that import without configuration, one
code artifact, state machines wired from ``*.asl.json`` files, least-privilege IAM per function,
a local stack that knows every resource type, API routes under ``/api/`` and the mail-in receipt
rule storing raw mail before intake runs.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import cfnlint.api
import pytest
from samtranslator.policy_template_processor.processor import PolicyTemplatesProcessor

from tessera_local.provision import unsupported_resources
from tessera_local.template import ROOT, TEMPLATE_PATH, Template

TEMPLATE = Template.load()
FUNCTIONS = sorted(TEMPLATE.of_type("AWS::Serverless::Function"))
STATE_MACHINES = sorted(TEMPLATE.of_type("AWS::Serverless::StateMachine"))
API_FUNCTION = "ApiFunction"
SLA_SWEEP_FUNCTION = "SlaSweepFunction"
INTAKE_FUNCTION = "IntakeFunction"
DUE_TIMERS_INDEX = "DueTimers"

_SAM_POLICY_TEMPLATES = PolicyTemplatesProcessor(
    PolicyTemplatesProcessor.get_default_policy_templates_json()
)
_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")

# Imports the handler named on the command line and checks it can be called.
_IMPORT_HANDLER = """
import importlib, sys
module_name, attribute = sys.argv[1], sys.argv[2]
target = getattr(importlib.import_module(module_name), attribute)
if not callable(target):
    sys.exit(f"{module_name}.{attribute} is a {type(target).__name__}, not callable")
"""


# ------------------------------------------------------------------------------------- helpers
def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _environment_names(logical_id: str) -> set[str]:
    return set(TEMPLATE.function_properties(logical_id).get("Environment", {}).get("Variables", {}))


def _unconfigured_environment(function_variables: Iterable[str], home: Path) -> dict[str, str]:
    """This process's environment minus any AWS configuration and the function's own variables.

    HOME points at an empty directory so ~/.aws cannot supply a region or credentials either:
    a handler that reads its configuration or creates a client at import time fails to import.
    """
    removed = set(function_variables)
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("AWS_") and name not in removed
    }
    environment["HOME"] = str(home)
    return environment


def _statements(policies: Any) -> list[dict[str, Any]]:
    """The IAM statements a SAM ``Policies`` property grants, SAM policy templates expanded.

    A managed policy (a name or ARN) cannot be read here, so it counts as ``*`` on ``*``.
    """
    statements: list[dict[str, Any]] = []
    for policy in _as_list(policies or []):
        if isinstance(policy, str):
            label = f"managed policy {policy}"
            statements.append({"Sid": label, "Effect": "Allow", "Action": "*", "Resource": "*"})
        elif "Statement" in policy:
            statements.extend(_as_list(policy["Statement"]))
        else:
            ((name, parameters),) = policy.items()
            expanded = _SAM_POLICY_TEMPLATES.convert(name, parameters)
            statements.extend({"Sid": name, **s} for s in expanded["Statement"])
    return statements


def _allowed(statements: list[dict[str, Any]]) -> list[tuple[str, list[str], list[str]]]:
    """(label, actions, resolved resources) of each Allow statement."""
    return [
        (
            statement.get("Sid", "statement without Sid"),
            _as_list(statement.get("Action", [])),
            [str(r) for r in _as_list(TEMPLATE.resolve(statement.get("Resource", [])))],
        )
        for statement in statements
        if statement.get("Effect") == "Allow"
    ]


def _base_arn(arn: str) -> str:
    """The ARN of the resource a policy resource points into: a table for its indexes, a bucket
    for its objects, a function for its versions and aliases, a state machine for its
    executions."""
    parts = arn.split(":")
    service = parts[2] if arn.startswith("arn:") and len(parts) >= 6 else ""
    if service == "dynamodb":
        return re.sub(r"/(index|stream)/.*$", "", arn)
    if service == "s3":
        return arn.split("/", 1)[0]
    if service == "lambda":
        return re.sub(r":?\*$", "", arn)
    if service == "states" and parts[5] == "execution":
        return ":".join([*parts[:5], "stateMachine", parts[6]])
    return arn


def _ses_identity_arn(identity: str) -> str:
    account, region, partition = (
        TEMPLATE.pseudo(name) for name in ("AWS::AccountId", "AWS::Region", "AWS::Partition")
    )
    return f"arn:{partition}:ses:{region}:{account}:identity/{identity}"


def _told_arns(values: Iterable[Any]) -> set[str]:
    """ARNs of the template resources that these configuration values name.

    A value names a resource when it is the resource's Ref or one of its attributes (a
    comma-separated value names each part); an email address names the SES identity of its
    domain, the identity SES checks before sending from it.
    """
    tokens = {
        token.strip()
        for value in values
        for token in str(TEMPLATE.resolve(value)).split(",")
        if token.strip()
    }
    arns = set()
    for logical_id, resource in TEMPLATE.resources.items():
        if resource["Type"] == "AWS::SES::EmailIdentity":
            identity = str(TEMPLATE.resolve(resource["Properties"]["EmailIdentity"]))
            if any(token == identity or token.endswith(f"@{identity}") for token in tokens):
                arns.add(_ses_identity_arn(identity))
            continue
        names = {TEMPLATE.physical_ids.get(logical_id)} | {
            value for (owner, _), value in TEMPLATE.attributes.items() if owner == logical_id
        }
        arn = TEMPLATE.attributes.get((logical_id, "Arn"))
        if arn and names & tokens:
            arns.add(arn)
    return arns


def _event_sources_and_destinations(properties: dict[str, Any]) -> list[Any]:
    """What a function's stream events read and where their failed batches go: the role of
    Lambda's event source mapping is the function's own."""
    found = []
    for event in properties.get("Events", {}).values():
        if event["Type"] in {"DynamoDB", "Kinesis", "SQS"}:
            found.append(event["Properties"].get("Stream") or event["Properties"].get("Queue"))
            destination = event["Properties"].get("DestinationConfig", {}).get("OnFailure", {})
            if "Destination" in destination:
                found.append(destination["Destination"])
    return found


def _privilege_problems(statements: list[dict[str, Any]], told: set[str]) -> list[str]:
    """Every way these statements grant more than the resources in ``told`` need."""
    problems = []
    for statement in statements:
        if statement.get("Effect") == "Allow" and ({"NotAction", "NotResource"} & set(statement)):
            problems.append(f"{statement.get('Sid')}: NotAction/NotResource allows all the rest")
    for label, actions, resources in _allowed(statements):
        for action in actions:
            if action == "*" or action.endswith(":*"):
                problems.append(f"{label}: service-wide action {action}")
            if fnmatch.fnmatchcase("dynamodb:scan", action.lower()):
                problems.append(f"{label}: {action} allows dynamodb:Scan")
        for resource in resources:
            if resource == "*":
                problems.append(f"{label}: Resource '*'")
            elif _base_arn(resource) not in told:
                problems.append(f"{label}: {resource} is not a resource it is configured with")
    return problems


# ------------------------------------------------------------------------------------- tests
def test_template_passes_cfn_lint() -> None:
    # Given the template as it deploys
    # When cfn-lint checks it (offline: its resource specs ship with the package)
    matches = cfnlint.api.lint_file(TEMPLATE_PATH)

    # Then it finds nothing
    assert [str(match) for match in matches] == []


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_handler_imports_without_configuration(logical_id: str, tmp_path: Path) -> None:
    # Given a function's Handler and an interpreter with no AWS configuration and none of the
    # function's environment variables
    module_name, _, attribute = TEMPLATE.function_properties(logical_id)["Handler"].rpartition(".")
    environment = _unconfigured_environment(_environment_names(logical_id), tmp_path)

    # When the handler is imported there, as a Lambda cold start would
    result = subprocess.run(  # noqa: S603 - our own interpreter and a fixed script
        [sys.executable, "-I", "-c", _IMPORT_HANDLER, module_name, attribute],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # Then it imports and names a callable: configuration and clients wait for the first call
    assert result.returncode == 0, f"{module_name}:{attribute} failed to import:\n{result.stderr}"


def test_functions_share_one_code_artifact_and_each_has_its_own_handler() -> None:
    # Given every function of the template
    functions = TEMPLATE.of_type("AWS::Serverless::Function")

    # When we look at where each one's code comes from and where it starts
    global_code_uri = TEMPLATE.body.get("Globals", {}).get("Function", {}).get("CodeUri")
    overriding = sorted(i for i, r in functions.items() if "CodeUri" in r["Properties"])
    without_handler = sorted(i for i, r in functions.items() if "Handler" not in r["Properties"])
    handlers = [r["Properties"].get("Handler") for r in functions.values()]

    # Then they all ship the one CodeUri from Globals, and no two start at the same Handler
    assert functions
    assert isinstance(global_code_uri, str)
    assert (ROOT / global_code_uri).is_dir()
    assert overriding == []
    assert without_handler == []
    assert len(set(handlers)) == len(handlers), f"shared handlers: {handlers}"


@pytest.mark.parametrize("logical_id", STATE_MACHINES)
def test_state_machine_is_an_asl_file_wired_by_substitutions(logical_id: str) -> None:
    # Given a state machine of the template
    properties = TEMPLATE.resources[logical_id]["Properties"]
    definition_uri = properties.get("DefinitionUri")

    # When its definition file is read
    assert "Definition" not in properties, "inline definitions drift from the ASL files"
    assert isinstance(definition_uri, str)
    path = Path(definition_uri)
    assert path.parent == Path("infra/statemachines")
    assert path.name.endswith(".asl.json")
    text = (ROOT / path).read_text(encoding="utf-8")
    placeholders = set(_PLACEHOLDER.findall(text))
    substitutions = set(properties.get("DefinitionSubstitutions", {}))

    # Then it is JSON, and its placeholders and substitutions match one to one
    assert isinstance(json.loads(text), dict)
    assert sorted(placeholders - substitutions) == [], "placeholders without a substitution"
    assert sorted(substitutions - placeholders) == [], "substitutions the definition never uses"


@pytest.mark.parametrize("logical_id", FUNCTIONS)
def test_function_is_granted_only_what_its_environment_names(logical_id: str) -> None:
    # Given a function, the resources its environment names, and what its Policies grant
    properties = TEMPLATE.function_properties(logical_id)
    told = _told_arns(properties.get("Environment", {}).get("Variables", {}).values())
    told |= _told_arns(_event_sources_and_destinations(properties))
    statements = _statements(properties.get("Policies"))

    # When the grants are compared with what it is told about
    problems = _privilege_problems(statements, told)

    # Then nothing is granted beyond those resources, no wildcard, no Scan, no shared role
    assert "Role" not in properties, "a shared Role escapes the per-function Policies"
    assert problems == []


def test_sla_sweep_may_only_query_the_due_timers_index() -> None:
    # Given the SLA sweep's policies and the table that carries the DueTimers index
    statements = _statements(TEMPLATE.function_properties(SLA_SWEEP_FUNCTION).get("Policies"))
    (table,) = (
        logical_id
        for logical_id, resource in TEMPLATE.of_type("AWS::DynamoDB::Table").items()
        if any(
            index["IndexName"] == DUE_TIMERS_INDEX
            for index in resource["Properties"].get("GlobalSecondaryIndexes", [])
        )
    )

    # When its DynamoDB grants are collected
    dynamodb_grants = {
        (action, resource)
        for _, actions, resources in _allowed(statements)
        for action in actions
        if action.lower().startswith("dynamodb:")
        for resource in resources
    }

    # Then it may Query that index and nothing else: the sweep never reads all tickets
    due_timers = f"{TEMPLATE.get_att(table, 'Arn')}/index/{DUE_TIMERS_INDEX}"
    assert dynamodb_grants == {("dynamodb:Query", due_timers)}


@pytest.mark.parametrize("logical_id", STATE_MACHINES)
def test_state_machine_is_granted_only_what_its_definition_names(logical_id: str) -> None:
    # Given a state machine, the resources its DefinitionSubstitutions name and its Policies
    properties = TEMPLATE.resources[logical_id]["Properties"]
    told = _told_arns(properties.get("DefinitionSubstitutions", {}).values())
    statements = _statements(properties.get("Policies"))

    # When its grants are compared with those, and the functions it may invoke are collected
    problems = _privilege_problems(statements, told)
    invocable = {
        _base_arn(resource)
        for _, actions, resources in _allowed(statements)
        if any(fnmatch.fnmatchcase("lambda:invokefunction", a.lower()) for a in actions)
        for resource in resources
    }
    functions = {TEMPLATE.get_att(f, "Arn") for f in FUNCTIONS}

    # Then it may invoke only the functions its definition names, and nothing else either
    assert "Role" not in properties, "a shared Role escapes the per-state-machine Policies"
    assert sorted(invocable - (told & functions)) == []
    assert problems == []


@pytest.mark.parametrize("logical_id", STATE_MACHINES)
def test_state_machine_definition_never_scans_a_table(logical_id: str) -> None:
    # Given a state machine's definition
    path = ROOT / TEMPLATE.resources[logical_id]["Properties"]["DefinitionUri"]

    # When its task resources are read
    resources = re.findall(r'"Resource"\s*:\s*"([^"]*)"', path.read_text(encoding="utf-8"))

    # Then none is a DynamoDB Scan integration
    assert [r for r in resources if r.lower().endswith("dynamodb:scan")] == []


def test_local_stack_provisions_or_knowingly_skips_every_resource_type() -> None:
    # Given the template
    # When the local stack is asked which of its resources it cannot provide
    unsupported = unsupported_resources(Template.load())

    # Then there are none: a new resource type must be taught to the local stack first
    assert unsupported == []


def test_api_routes_are_unique_and_under_api() -> None:
    # Given the API function's events
    events = TEMPLATE.function_properties(API_FUNCTION).get("Events", {})

    # When their methods and paths are listed
    routes = [
        (str(event["Properties"]["Method"]).upper(), str(event["Properties"]["Path"]))
        for event in events.values()
        if event["Type"] in {"Api", "HttpApi"}
    ]

    # Then each (method, path) appears once and every path starts with /api/
    assert routes, f"{API_FUNCTION} has no API events"
    assert sorted({route for route in routes if routes.count(route) > 1}) == []
    assert [path for _, path in routes if not path.startswith("/api/")] == []


def test_receipt_rule_stores_raw_mail_before_intake_runs() -> None:
    # Given the SES receipt rule that hands mail to intake
    rules = [
        resource["Properties"]["Rule"]
        for resource in TEMPLATE.of_type("AWS::SES::ReceiptRule").values()
    ]
    intake_arn = TEMPLATE.get_att(INTAKE_FUNCTION, "Arn")
    (rule,) = (
        rule
        for rule in rules
        if any(
            TEMPLATE.resolve(action.get("LambdaAction", {}).get("FunctionArn")) == intake_arn
            for action in rule["Actions"]
        )
    )

    # When its actions are read in order
    kinds = [next(iter(action)) for action in rule["Actions"]]
    s3_action = TEMPLATE.resolve(rule["Actions"][kinds.index("S3Action")]["S3Action"])
    intake_prefix = TEMPLATE.function_properties(INTAKE_FUNCTION)["Environment"]["Variables"].get(
        "RAW_MAIL_PREFIX"
    )

    # Then the raw MIME lands in the raw-mail bucket, under the prefix intake reads, before
    # intake is invoked (so a failing intake never loses mail), for the SupportAddresses
    assert kinds.index("S3Action") < kinds.index("LambdaAction")
    assert s3_action["BucketName"] == TEMPLATE.ref("RawMailBucket")
    assert s3_action.get("ObjectKeyPrefix")
    assert s3_action["ObjectKeyPrefix"] == intake_prefix
    assert rule["Recipients"] == {"Ref": "SupportAddresses"}


def test_api_gateways_own_answers_carry_the_apis_security_headers() -> None:
    from api.headers import API_HEADERS

    # Given the headers every API answer carries, and those the template gives API Gateway's
    responses = TEMPLATE.resources["Api"]["Properties"]["GatewayResponses"]
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        headers = responses[kind]["ResponseParameters"]["Headers"]
        # Then they are the same list (a gateway value is quoted; it cannot hold a CSP's 'none')
        expected = {k: v for k, v in API_HEADERS.items() if k != "Content-Security-Policy"}
        assert {k: v.strip("'") for k, v in headers.items()} == expected, kind


# ------------------------------------------------------------------------- the hosted portal
DISTRIBUTION = "PortalDistribution"
_CSP_DIRECTIVES = re.compile(r"\s*;\s*")


def _distribution() -> dict[str, Any]:
    config: dict[str, Any] = TEMPLATE.resources[DISTRIBUTION]["Properties"]["DistributionConfig"]
    return config


def _behaviours() -> dict[str, dict[str, Any]]:
    """Each cache behaviour of the distribution by path pattern (``default`` for the default)."""
    config = _distribution()
    behaviours = {b["PathPattern"]: b for b in config.get("CacheBehaviors", [])}
    behaviours["default"] = config["DefaultCacheBehavior"]
    return behaviours


def _origin(origin_id: str) -> dict[str, Any]:
    (origin,) = (o for o in _distribution()["Origins"] if o["Id"] == origin_id)
    return dict(origin)


def _security_headers(policy_id: str) -> dict[str, str]:
    """The headers a CloudFront response headers policy of the template sets, as a browser
    sees them (the CSP keeps its ``${...}`` placeholders)."""
    config = TEMPLATE.resources[policy_id]["Properties"]["ResponseHeadersPolicyConfig"]
    security = config["SecurityHeadersConfig"]
    csp = security["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    hsts = security["StrictTransportSecurity"]
    headers = {
        "Content-Security-Policy": csp["Fn::Sub"] if isinstance(csp, dict) else csp,
        "X-Content-Type-Options": "nosniff" if "ContentTypeOptions" in security else "",
        "X-Frame-Options": security["FrameOptions"]["FrameOption"],
        "Referrer-Policy": security["ReferrerPolicy"]["ReferrerPolicy"],
        "Strict-Transport-Security": f"max-age={hsts['AccessControlMaxAgeSec']}"
        + ("; includeSubDomains" if hsts.get("IncludeSubdomains") else "")
        + ("; preload" if hsts.get("Preload") else ""),
    }
    for item in config.get("CustomHeadersConfig", {}).get("Items", []):
        headers[item["Header"]] = item["Value"]
    overridden = [
        name
        for name, setting in security.items()
        if isinstance(setting, dict) and setting.get("Override") is not True
    ]
    assert overridden == [], f"{policy_id}: an origin could weaken {overridden}"
    return headers


def test_pages_carry_the_headers_the_local_stack_serves() -> None:
    from api.headers import page_headers

    # Given the headers the local stack serves on every page, with the attachments bucket's
    # endpoints (where browsers upload) as the upload origin, as CloudFront sees them
    upload_origin = (
        "https://${AttachmentsBucket.DomainName} https://${AttachmentsBucket.RegionalDomainName}"
    )
    expected = page_headers(upload_origin)

    # When the portal's response headers policy is read
    served = _security_headers("PortalHeadersPolicy")

    # Then they are the same headers with the same values, directive for directive
    assert _CSP_DIRECTIVES.split(served.pop("Content-Security-Policy")) == _CSP_DIRECTIVES.split(
        expected.pop("Content-Security-Policy")
    )
    assert served == expected


def test_api_behaviour_carries_the_apis_headers() -> None:
    from api.headers import API_HEADERS

    # Given the headers every API answer carries
    # When the response headers policy of the /api/* behaviour is read
    policy = _behaviours()["/api/*"]["ResponseHeadersPolicyId"]
    served = _security_headers(policy["Ref"])

    # Then CloudFront's own answers (an unreachable origin) carry the same
    assert served == API_HEADERS


def test_distribution_reads_the_portal_bucket_only_through_origin_access_control() -> None:
    # Given the distribution's portal origin and the portal bucket's policy
    origin = _origin("portal")
    oac = TEMPLATE.resources["PortalOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    policy = TEMPLATE.resources["PortalBucketPolicy"]["Properties"]
    statements = policy["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    denies = [s for s in statements if s["Effect"] == "Deny"]

    # Then the origin is the private bucket, signed with SigV4 by the OAC (no legacy identity)
    assert origin["DomainName"] == {"Fn::GetAtt": ["PortalBucket", "RegionalDomainName"]}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["PortalOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"]) == ("s3", "always")
    assert oac["SigningProtocol"] == "sigv4"
    # And the bucket lets CloudFront read objects for this distribution alone, nothing else
    assert policy["Bucket"] == {"Ref": "PortalBucket"}
    assert len(allows) == 1
    (allow,) = allows
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert allow["Resource"] == {"Fn::Sub": "${PortalBucket.Arn}/*"}
    source_arn = allow["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert source_arn.endswith(":distribution/${PortalDistribution}")
    assert [d["Condition"] for d in denies] == [{"Bool": {"aws:SecureTransport": "false"}}]
    # And the bucket itself stays private
    access = TEMPLATE.resources["PortalBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert set(access.values()) == {True}


def test_api_is_served_on_the_same_origin_uncached_with_its_authorization() -> None:
    # Given the /api/* behaviour and the API origin
    api = _behaviours()["/api/*"]
    origin = _origin("api")
    cache = TEMPLATE.resources[api["CachePolicyId"]["Ref"]]["Properties"]["CachePolicyConfig"]
    key = cache["ParametersInCacheKeyAndForwardedToOrigin"]

    # Then it reaches the API's stage over HTTPS with every method the routes use
    assert api["TargetOriginId"] == "api"
    assert origin["DomainName"]["Fn::Sub"].startswith("${Api}.execute-api.")
    assert origin["OriginPath"] == {"Fn::Sub": "/${Stage}"}
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    routes = {
        str(event["Properties"]["Method"]).upper()
        for event in TEMPLATE.function_properties(API_FUNCTION)["Events"].values()
    }
    assert routes <= set(api["AllowedMethods"])
    assert api["ViewerProtocolPolicy"] == "https-only"
    # And nothing is kept by default, while the caller's Authorization reaches the API
    assert (cache["MinTTL"], cache["DefaultTTL"]) == (0, 0)
    assert "Authorization" in key["HeadersConfig"]["Headers"]
    assert key["QueryStringsConfig"]["QueryStringBehavior"] == "all"
    # And API Gateway gets its own Host (AWS managed AllViewerExceptHostHeader)
    assert api["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"


def test_static_assets_are_cached_long_and_pages_and_search_indexes_short() -> None:
    # Given each cache behaviour's policy
    def ttls(pattern: str) -> tuple[int, int, int]:
        policy_id = _behaviours()[pattern]["CachePolicyId"]["Ref"]
        config = TEMPLATE.resources[policy_id]["Properties"]["CachePolicyConfig"]
        return config["MinTTL"], config["DefaultTTL"], config["MaxTTL"]

    # Then scripts, styles and assets stay at the edge a day at least (publish invalidates)
    for pattern in ("/assets/*", "*.js", "*.css"):
        assert ttls(pattern)[0] >= 86400, pattern
        assert _behaviours()[pattern]["ViewerProtocolPolicy"] == "redirect-to-https"
    # And HTML and kb/<lang>/search.json (the default behaviour) at most five minutes
    assert ttls("default")[2] <= 300
    assert _distribution()["DefaultRootObject"] == "index.html"
    # And every behaviour but the API's carries the portal's headers
    for pattern, behaviour in _behaviours().items():
        expected = "ApiHeadersPolicy" if pattern == "/api/*" else "PortalHeadersPolicy"
        assert behaviour["ResponseHeadersPolicyId"] == {"Ref": expected}, pattern


def test_custom_domain_needs_its_certificate_and_otherwise_uses_cloudfronts() -> None:
    # Given the distribution's aliases and certificate, and the template's rules
    config = _distribution()
    condition, with_domain, without_domain = config["ViewerCertificate"]["Fn::If"]
    rule = TEMPLATE.body["Rules"]["CustomDomainNeedsCertificate"]

    # Then a custom domain brings its ACM certificate (SNI, TLS 1.2), or CloudFront's is used
    assert config["Aliases"]["Fn::If"][0] == condition == "HasPortalDomain"
    assert with_domain["AcmCertificateArn"] == {"Ref": "PortalCertificateArn"}
    assert with_domain["SslSupportMethod"] == "sni-only"
    assert with_domain["MinimumProtocolVersion"].startswith("TLSv1.2")
    assert without_domain == {"CloudFrontDefaultCertificate": True}
    # And a domain without a certificate is refused before anything is created
    assert rule["Assertions"][0]["Assert"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "PortalCertificateArn"}, ""]}]
    }
    assert TEMPLATE.parameters["PortalDomainName"] == ""


# ---------------------------------------------------------------------------- operations
def test_every_alarm_notifies_the_alarm_topic() -> None:
    # Given every alarm of the template
    alarms = TEMPLATE.of_type("AWS::CloudWatch::Alarm")

    # Then each one notifies the topic the operator subscribes to
    assert alarms
    silent = sorted(
        logical_id
        for logical_id, alarm in alarms.items()
        if {"Ref": "AlarmTopic"} not in alarm["Properties"].get("AlarmActions", [])
    )
    assert silent == []
    assert TEMPLATE.resources["AlarmTopic"]["Type"] == "AWS::SNS::Topic"


def _alarm_metrics(alarm: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(namespace, metric name, dimensions) of an alarm, metric math included."""
    props = alarm["Properties"]
    if "MetricName" in props:
        dims = {d["Name"]: d["Value"] for d in props.get("Dimensions", [])}
        return [(props["Namespace"], props["MetricName"], dims)]
    found = []
    for query in props.get("Metrics", []):
        if "MetricStat" in query:
            metric = query["MetricStat"]["Metric"]
            dims = {d["Name"]: d["Value"] for d in metric.get("Dimensions", [])}
            found.append((metric["Namespace"], metric["MetricName"], dims))
    return found


def test_alarms_watch_errors_throttles_dead_letters_quarantine_sweep_lag_and_5xx() -> None:
    # Given what every alarm watches
    watched = [
        m for a in TEMPLATE.of_type("AWS::CloudWatch::Alarm").values() for m in _alarm_metrics(a)
    ]
    names = {(namespace, name) for namespace, name, _ in watched}
    functions = {TEMPLATE.ref(f) for f in FUNCTIONS}

    def functions_watched(metric: str) -> set[str]:
        return {
            TEMPLATE.resolve(dims["FunctionName"])
            for namespace, name, dims in watched
            if (namespace, name) == ("AWS/Lambda", metric)
        }

    # Then errors and throttles of every function are watched
    assert functions_watched("Errors") == functions
    assert functions_watched("Throttles") == functions
    # And the dead-letter queues, quarantine, sweep lag and the API's 5xx rate
    queues = {
        TEMPLATE.resolve(dims["QueueName"])
        for namespace, name, dims in watched
        if namespace == "AWS/SQS"
    }
    assert queues == {TEMPLATE.get_att(q, "QueueName") for q in TEMPLATE.of_type("AWS::SQS::Queue")}
    assert {("Tessera", "MailQuarantined"), ("Tessera", "SweepLag")} <= names
    assert ("AWS/ApiGateway", "5XXError") in names


def test_dashboard_is_json_and_shows_every_metric_tessera_emits() -> None:
    from tessera.observability import METRICS

    # Given the dashboard body with its substitutions filled in with placeholders
    body = TEMPLATE.resources["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    document = json.loads(_PLACEHOLDER.sub(lambda m: m.group(1).removesuffix(".Arn"), body))

    # When its metric widgets are read
    shown = {
        line[1]
        for widget in document["widgets"]
        if widget["type"] == "metric"
        for line in widget["properties"]["metrics"]
        if line[0] == "Tessera" or line[0] == "."
    }
    alarms = [w for w in document["widgets"] if w["type"] == "alarm"]
    alarm_ids = set(TEMPLATE.of_type("AWS::CloudWatch::Alarm"))

    # Then every metric the code emits is on it, and so is every alarm
    assert sorted(set(METRICS) - shown) == []
    assert set(alarms[0]["properties"]["alarms"]) == alarm_ids


@pytest.mark.parametrize(
    ("uri", "key"),
    [
        ("/console/", "/console/index.html"),
        ("/kb/fa/", "/kb/fa/index.html"),
        ("/", "/index.html"),
        ("/console/console.js", "/console/console.js"),
        ("/kb/en/search.json", "/kb/en/search.json"),
    ],
)
def test_a_folder_path_is_served_its_index_as_the_local_stack_does(
    uri: str, key: str, tmp_path: Path
) -> None:
    # Given the CloudFront function on the portal's default behaviour
    (association,) = _distribution()["DefaultCacheBehavior"]["FunctionAssociations"]
    code = TEMPLATE.resources["PortalIndexFunction"]["Properties"]["FunctionCode"]
    script = tmp_path / "run.js"
    script.write_text(
        code + "\nconst out = handler({request: {uri: process.argv[2]}});\n"
        "process.stdout.write(out.uri);\n"
    )

    # When it runs on a viewer's request (Node runs the same JavaScript as cloudfront-js)
    result = subprocess.run(  # noqa: S603 - the template's own function
        ["/usr/bin/node", str(script), uri], capture_output=True, text=True, check=True
    )

    # Then a path ending in / asks S3 for its index.html, other paths for themselves
    assert association["EventType"] == "viewer-request"
    assert result.stdout == key
