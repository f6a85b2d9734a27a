"""The whole local stack: moto in server mode provisioned from template.yaml, the template's
functions in-process, an SMTP server for SES inbound, a clock for the schedules, one HTTP port."""

from __future__ import annotations

import json
import logging
import mimetypes
import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tessera_local import demo, iam, lambdas, provision, smtp, state
from tessera_local.clock import Clock
from tessera_local.http import LocalHttp
from tessera_local.template import ACCOUNT_ID, REGION, ROOT, Template

log = logging.getLogger("tessera.local")

DEFAULT_PASSWORD = "Tessera-local-1"  # noqa: S105 - the documented local demo password


@dataclass(frozen=True)
class Settings:
    """The local stack's knobs, from ``TESSERA_*`` environment variables (see the README)."""

    http_port: int = 8080
    smtp_port: int = 2525
    data_dir: Path = ROOT / ".tessera-local"
    fresh: bool = False
    demo: bool = True
    password: str = DEFAULT_PASSWORD
    clock_speed: float = 1.0

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        flag = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}

        def boolean(name: str, default: bool) -> bool:
            raw = env.get(name, "").strip().lower()
            if raw and raw not in flag:
                raise ValueError(f"{name}={raw!r}: use 1 or 0")
            return flag.get(raw, default)

        return cls(
            http_port=int(env.get("TESSERA_HTTP_PORT", cls.http_port)),
            smtp_port=int(env.get("TESSERA_SMTP_PORT", cls.smtp_port)),
            data_dir=Path(env.get("TESSERA_DATA_DIR", str(cls.data_dir))),
            fresh=boolean("TESSERA_FRESH", cls.fresh),
            demo=boolean("TESSERA_DEMO", cls.demo),
            password=env.get("TESSERA_LOCAL_PASSWORD", cls.password),
            clock_speed=float(env.get("TESSERA_CLOCK_SPEED", cls.clock_speed)),
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalStack:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stopping = threading.Event()
        self._parts: list[Any] = []

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.settings.http_port}"

    def start(self) -> None:
        self._prepare_environment()
        from moto.core.config import default_user_config
        from moto.server import ThreadedMotoServer

        default_user_config.update(
            {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
        )
        self.moto = ThreadedMotoServer(ip_address="127.0.0.1", port=self.moto_port, verbose=False)
        self.moto.start()

        import boto3

        self.session = boto3.Session(region_name=REGION)
        # Links in mail point at this stack's own HTTP port.
        self.template = Template.load(parameters={"PortalBaseUrl": self.http_url})
        self.recorder = iam.Recorder()
        self.recorder.install()
        self.functions = lambdas.Functions(self.template)
        lambdas.install(self.functions)

        self.store = state.StateStore(self.settings.data_dir)
        if self.settings.fresh and self.store.exists():
            self.store.path.unlink()
        first_start = not self.store.exists()
        if first_start:
            provision.provision(self.template, self.session)
        else:
            self.store.load()
            provision.restore_user_pool_ids(self.template, self.session.client("cognito-idp"))
            provision.restore_secret_ids(self.template, self.session.client("secretsmanager"))
        os.environ.update(self.functions.environment())
        self.write_cli_environment()
        self.publish_portal()
        self.publish_kb()

        s3 = self.session.client("s3")
        from moto.ses.models import ses_backends

        self.http = LocalHttp(
            self.settings.http_port,
            self.template,
            self.functions,
            s3,
            ses_backends[ACCOUNT_ID][REGION],
            self.recorder,
        )
        threading.Thread(target=self.http.serve_forever, name="http", daemon=True).start()
        self.smtp = smtp.start(
            smtp.InboundMail(self.template, self.functions, s3), self.settings.smtp_port
        )
        self.clock = Clock(self.template, self.functions, speed=self.settings.clock_speed)
        self.clock.start()
        self.autosave = state.Autosave(self.store)
        self.autosave.start()

        if first_start:
            self.apply_config()
            cognito = self.session.client("cognito-idp")
            demo.create_staff(self.template, cognito, self.settings.password)
            if self.settings.demo:
                demo.send_customer_mail(self.settings.smtp_port)
            self.store.save()

    def _prepare_environment(self) -> None:
        self.moto_port = free_port()
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                "MOTO_PORT": str(self.moto_port),  # where moto's Step Functions calls Lambda
                "AWS_ENDPOINT_URL": f"http://127.0.0.1:{self.moto_port}",
                "TZ": "UTC",  # moto's timestamp waits compare against local time
            }
        )
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN"):
            os.environ.pop(name, None)
        time.tzset()

    def write_cli_environment(self) -> None:
        """What ``tessera --local`` needs: the emulator's endpoint and the functions' settings."""
        names = (
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_DEFAULT_REGION",
            "AWS_REGION",
            "AWS_ENDPOINT_URL",
        )
        env = {**self.functions.environment(), **{n: os.environ[n] for n in names}}
        env["PORTAL_BUCKET"] = self.template.ref("PortalBucket")  # tessera kb publish --local
        env["TESSERA_API_URL"] = self.http_url  # tessera login / tickets / agents
        path = self.settings.data_dir / "env.json"
        path.write_text(json.dumps(env, indent=2, sort_keys=True), encoding="utf-8")

    def apply_config(self) -> None:
        """Apply infra/config/*.yaml, as an operator's ``tessera config apply`` would."""
        from tessera import config
        from tessera.bootstrap import config_store

        store = config_store()
        for path in sorted((ROOT / "infra" / "config").glob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            config.validate(path.stem, text, str(path.relative_to(ROOT)))
            store.apply(path.stem, text, actor="local-stack", expected_version=None)

    def publish_portal(self) -> None:
        """Upload portal_static/ to the portal bucket, as a deploy would."""
        s3 = self.session.client("s3")
        bucket = self.template.ref("PortalBucket")
        source = ROOT / "portal_static"
        for path in sorted(source.rglob("*")):
            if path.is_file():
                key = path.relative_to(source).as_posix()
                content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                if content_type.startswith("text/") or content_type.endswith("javascript"):
                    content_type += "; charset=utf-8"
                s3.put_object(
                    Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=content_type
                )

    def publish_kb(self) -> None:
        """Publish kb/ and the admin API's published articles (kept from an earlier run) to the
        portal bucket, as ``tessera kb publish`` does after a deploy."""
        from tessera import bootstrap
        from tessera.kb.publish import publish_site

        report = publish_site(ROOT / "kb", bootstrap.kb_articles(), bootstrap.portal_site())
        log.info("knowledge base: %s articles, %s objects", report.articles, report.written)

    def ready_line(self) -> str:
        return (
            f"Tessera local stack ready: portal {self.http_url}/ "
            f"console {self.http_url}/console/ api {self.http_url}/api "
            f"outbox {self.http_url}/_local/outbox smtp 127.0.0.1:{self.settings.smtp_port} "
            f"sign in {demo.ADMIN} / {self.settings.password}"
        )

    def stop(self) -> None:
        self.clock.stopped.set()
        self.autosave.stopped.set()
        self.http.shutdown()
        self.http.server_close()
        self.smtp.stop()
        self.functions.shutdown()
        self.store.save()
        self.moto.stop()
