"""Read template.yaml the way CloudFormation would, for the local stack and the tests.

The local stack provisions its emulated AWS from this file and nothing else, so what runs on a
laptop cannot drift from what deploys. Short-form tags (``!Ref``, ``!Sub`` ...) become their long
forms, and :meth:`Template.resolve` evaluates intrinsic functions against local physical names.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ACCOUNT_ID = "123456789012"
REGION = "us-east-1"
PARTITION = "aws"
STACK_NAME = "tessera-local"

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE_PATH = ROOT / "template.yaml"

_SHORT_TAGS = {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        name: f"Fn::{name}"
        for name in [
            "GetAtt",
            "Sub",
            "Join",
            "Select",
            "Split",
            "If",
            "Equals",
            "Not",
            "And",
            "Or",
            "FindInMap",
            "Base64",
            "ImportValue",
            "GetAZs",
            "Cidr",
        ]
    },
}


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that understands CloudFormation's short-form tags."""


def _construct_tag(long_name: str) -> Any:
    def construct(loader: _CfnLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if long_name == "Fn::GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {long_name: value}

    return construct


for _tag, _long in _SHORT_TAGS.items():
    _CfnLoader.add_constructor(f"!{_tag}", _construct_tag(_long))


class TemplateError(ValueError):
    """The template asks for something the local stack cannot provide."""


@dataclass
class Template:
    """A parsed SAM template plus the local physical names of its resources."""

    body: dict[str, Any]
    parameters: dict[str, Any] = field(default_factory=dict)
    physical_ids: dict[str, str] = field(default_factory=dict)  # what Ref returns
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)  # what GetAtt returns

    @classmethod
    def load(
        cls, path: Path = TEMPLATE_PATH, parameters: Mapping[str, str] | None = None
    ) -> Template:
        body = yaml.load(path.read_text(encoding="utf-8"), Loader=_CfnLoader)  # noqa: S506
        template = cls(body=body)
        for name, spec in body.get("Parameters", {}).items():
            value = (parameters or {}).get(name, spec.get("Default"))
            if value is None:
                raise TemplateError(f"parameter {name} has no default and no value")
            if spec.get("Type") == "CommaDelimitedList" and isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            template.parameters[name] = value
        template._name_resources()
        return template

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        return dict(self.body["Resources"])

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v["Type"] == resource_type}

    def function_properties(self, logical_id: str) -> dict[str, Any]:
        """A function's properties with the template's Globals applied (as SAM does)."""
        merged = dict(self.body.get("Globals", {}).get("Function", {}))
        own = self.resources[logical_id]["Properties"]
        for key, value in own.items():
            if key == "Environment":
                variables = {
                    **merged.get("Environment", {}).get("Variables", {}),
                    **value.get("Variables", {}),
                }
                merged["Environment"] = {"Variables": variables}
            else:
                merged[key] = value
        return merged

    # -- naming: local physical ids mimic what CloudFormation would generate -------------------
    def _name_resources(self) -> None:
        arn = f"arn:{PARTITION}:{{service}}:{REGION}:{ACCOUNT_ID}:{{rest}}"
        for logical_id, resource in self.resources.items():
            kind = resource["Type"]
            props = resource.get("Properties", {})
            if kind == "AWS::DynamoDB::Table":
                name = f"{STACK_NAME}-{logical_id}"
                table_arn = arn.format(service="dynamodb", rest=f"table/{name}")
                self._set(logical_id, name, Arn=table_arn, StreamArn=f"{table_arn}/stream/local")
            elif kind == "AWS::S3::Bucket":
                name = f"{STACK_NAME}-{logical_id}".lower()
                self._set(logical_id, name, Arn=f"arn:{PARTITION}:s3:::{name}")
            elif kind == "AWS::Serverless::Function":
                fn_arn = arn.format(service="lambda", rest=f"function:{logical_id}")
                self._set(logical_id, logical_id, Arn=fn_arn)
            elif kind == "AWS::Serverless::StateMachine":
                sm_arn = arn.format(service="states", rest=f"stateMachine:{logical_id}")
                self._set(logical_id, sm_arn, Name=logical_id, Arn=sm_arn)
            elif kind == "AWS::Events::EventBus":
                name = str(self.resolve(props.get("Name", logical_id)))
                self._set(
                    logical_id, name, Arn=arn.format(service="events", rest=f"event-bus/{name}")
                )
            elif kind == "AWS::SES::ReceiptRuleSet":
                self._set(logical_id, str(self.resolve(props.get("RuleSetName", logical_id))))
            elif kind == "AWS::SecretsManager::Secret":
                # !Ref is the ARN; Secrets Manager appends a random suffix, which provisioning
                # records once the emulator has made the secret.
                secret_arn = arn.format(
                    service="secretsmanager", rest=f"secret:{STACK_NAME}-{logical_id}"
                )
                self._set(logical_id, secret_arn, Arn=secret_arn)
            elif kind == "AWS::Serverless::Api":
                self._set(logical_id, "local")
            elif kind == "AWS::SNS::Topic":
                # !Ref is the topic's ARN (GetAtt TopicArn too).
                name = str(self.resolve(props.get("TopicName", f"{STACK_NAME}-{logical_id}")))
                topic_arn = arn.format(service="sns", rest=name)
                self._set(logical_id, topic_arn, Arn=topic_arn, TopicArn=topic_arn, TopicName=name)
            elif kind == "AWS::SQS::Queue":
                # !Ref is the queue's URL.
                name = str(self.resolve(props.get("QueueName", f"{STACK_NAME}-{logical_id}")))
                url = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{name}"
                queue_arn = arn.format(service="sqs", rest=name)
                self._set(logical_id, url, Arn=queue_arn, QueueName=name)
            elif kind == "AWS::Cognito::UserPool":
                # The emulator assigns the id; provisioning replaces both with its own.
                pool_arn = arn.format(service="cognito-idp", rest=f"userpool/{logical_id}")
                self.physical_ids.setdefault(logical_id, logical_id)
                self.attributes.setdefault((logical_id, "Arn"), pool_arn)
            else:
                # Cognito ids are assigned by the emulator; provisioning fills them in.
                self.physical_ids.setdefault(logical_id, logical_id)

    def _set(self, logical_id: str, physical_id: str, **attributes: str) -> None:
        self.physical_ids[logical_id] = physical_id
        for name, value in attributes.items():
            self.attributes[(logical_id, name)] = value

    # -- intrinsic functions -------------------------------------------------------------------
    def pseudo(self, name: str) -> Any:
        return {
            "AWS::AccountId": ACCOUNT_ID,
            "AWS::Region": REGION,
            "AWS::Partition": PARTITION,
            "AWS::StackName": STACK_NAME,
            "AWS::URLSuffix": "amazonaws.com",
        }[name]

    def ref(self, name: str) -> Any:
        if name.startswith("AWS::"):
            return self.pseudo(name)
        if name in self.parameters:
            return self.parameters[name]
        if name in self.physical_ids:
            return self.physical_ids[name]
        raise TemplateError(f"!Ref {name}: no such parameter or resource")

    def get_att(self, logical_id: str, attribute: str) -> str:
        try:
            return self.attributes[(logical_id, attribute)]
        except KeyError:
            raise TemplateError(f"!GetAtt {logical_id}.{attribute} is not known locally") from None

    def resolve(self, value: Any) -> Any:
        """Evaluate the intrinsic functions in ``value`` (recursively)."""
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key == "Ref":
                return self.ref(arg)
            if key == "Fn::GetAtt":
                logical_id, attribute = arg if isinstance(arg, list) else arg.split(".", 1)
                return self.get_att(logical_id, attribute)
            if key == "Fn::Sub":
                return self._sub(arg)
            if key == "Fn::Join":
                separator, items = arg
                return separator.join(str(v) for v in self.resolve(items))
            if key == "Fn::Select":
                index, items = self.resolve(arg)
                return items[int(index)]
            if key == "Fn::Split":
                separator, text = self.resolve(arg)
                return text.split(separator)
            if key.startswith("Fn::"):
                raise TemplateError(f"{key} is not supported by the local stack")
        return {k: self.resolve(v) for k, v in value.items()}

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name.startswith("!"):
                return "${" + name[1:] + "}"
            if name in variables:
                return str(self.resolve(variables[name]))
            if "." in name and not name.startswith("AWS::"):
                return self.get_att(*name.split(".", 1))
            return str(self.ref(name))

        return re.sub(r"\$\{([^}]+)\}", replace, text)
