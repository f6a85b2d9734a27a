"""The whole local stack: moto in server mode provisioned from template.yaml, the template's
functions in-process, an SMTP server for SES inbound, a clock for the schedules, one HTTP port."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import socket
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from tessera_local import (
    admission,
    cognito,
    demo,
    dynamodb_rules,
    iam,
    lambdas,
    moto_costs,
    provision,
    smtp,
    streams,
    transport,
    usage,
    workers,
)
from tessera_local.clock import Clock
from tessera_local.emulator import Autosave, Emulator, EmulatorServer
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
    workers: int = 1  # processes running the functions; 0: in the stack's own process
    smtp_backlog: int = admission.DEFAULT_LIMIT  # mails in intake + routing before SMTP paces

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
            workers=int(env.get("TESSERA_LOCAL_WORKERS", cls.workers)),
            smtp_backlog=int(env.get("TESSERA_SMTP_BACKLOG", cls.smtp_backlog)),
        )


class StackInUse(RuntimeError):
    """The data directory or a port is taken by another running stack (or program)."""


def hold_data_dir(directory: Path) -> IO[str]:
    """An exclusive lock on ``directory`` for this process's life (released by closing the file
    or by the process ending, a crash included). Two stacks on one data directory would each
    journal and snapshot over the other's state: the second is refused before it touches it."""
    directory.mkdir(parents=True, exist_ok=True)
    handle = open(directory / "stack.lock", "a+", encoding="utf-8")  # noqa: SIM115 - held
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        owner = handle.read().strip() or "unknown"
        handle.close()
        raise StackInUse(
            f"{directory} is in use by another Tessera local stack (process {owner}): stop it "
            "first, or give this one its own TESSERA_DATA_DIR"
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def check_port_free(port: int, what: str) -> None:
    """Refuse a port something else listens on before any state is touched."""
    with socket.socket() as probe:
        # As the servers bind: a port whose last connections are only closing (TIME_WAIT,
        # right after a stop) is free; one something listens on is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            probe.listen()
        except OSError:
            raise StackInUse(
                f"port {port} ({what}) is in use: stop what listens there, or set "
                f"TESSERA_{what.upper()}_PORT"
            ) from None


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
        self._data_dir_lock = hold_data_dir(self.settings.data_dir)
        check_port_free(self.settings.http_port, "http")
        check_port_free(self.settings.smtp_port, "smtp")
        self._prepare_environment()
        from moto.core.config import default_user_config

        default_user_config.update(
            {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": False}}
        )
        moto_costs.install()
        self.routing_runs = admission.running_executions()
        dynamodb_rules.install()
        self.emulator = Emulator(self.settings.data_dir)
        if self.settings.fresh or not self.emulator.has_state():
            self.emulator.discard()  # a first start cut short left nothing worth keeping
        first_start = not self.emulator.has_state()
        self.moto = EmulatorServer(self.emulator, self.moto_port)
        self.moto.start()
        transport.install(self.emulator, self.moto_port)  # this process's calls skip the socket

        import boto3

        self.session = boto3.Session(region_name=REGION)
        # Links in mail point at this stack's own HTTP port.
        self.template = Template.load(parameters={"PortalBaseUrl": self.http_url})
        self.recorder = iam.Recorder()
        self.recorder.install()
        self.functions = lambdas.Functions(self.template)
        lambdas.install(self.functions)
        self.meter = usage.install(self.template, self.functions)
        # Before a restore: replayed invitations are mailed as they were the first time.
        cognito.install(self.template)
        self.emulator.fill_in["AdminCreateUser"] = cognito.with_temporary_password

        if first_start:
            provision.provision(self.template, self.session)
            self.emulator.start_journal()
        else:
            self.emulator.restore()
            provision.restore_user_pool_ids(self.template, self.session.client("cognito-idp"))
            provision.restore_secret_ids(self.template, self.session.client("secretsmanager"))
            new_indexes = provision.add_missing_indexes(
                self.template, self.session.client("dynamodb")
            )
            new_streams = provision.add_missing_streams(
                self.template, self.session.client("dynamodb")
            )
            new_buckets = provision.add_missing_buckets(self.template, self.session.client("s3"))
        provision.own_signing_key(self.settings.data_dir, new=first_start)
        os.environ.update(self.functions.environment())
        if not first_start and new_indexes:
            self._reindex(new_indexes)
        if not first_start and (new_streams or new_buckets):
            self._rebuild_search(new_streams, new_buckets)
        self.write_cli_environment()
        self.publish_portal()
        self.publish_kb()

        if self.settings.workers > 0:  # the environment is complete: the workers inherit it
            self._start_workers()
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
        self.http.meter = self.meter
        threading.Thread(target=self.http.serve_forever, name="http", daemon=True).start()
        self.functions.send_to_queue = self._send_to_queue
        if not first_start:
            self._forget_unfinished_intake()
        self.inbound = smtp.InboundMail(
            self.template, self.functions, s3, smtp.Spool(self.settings.data_dir / "spool")
        )
        # Senders are paced while mails in intake and routing executions reach the limit.
        self.inbound.admission = admission.Admission(
            lambda: len(self.inbound.unfinished) + self.routing_runs.count(),
            limit=self.settings.smtp_backlog,
        )
        self.routing_runs.on_ended = self.inbound.admission.changed
        usage.watch_inbound(self.meter, self.inbound)
        self.inbound.redeliver_pending()
        self.smtp = smtp.start(self.inbound, self.settings.smtp_port)
        self.clock = Clock(self.template, self.functions, speed=self.settings.clock_speed)
        self.clock.start()
        self.change_feed = streams.ChangeFeed(
            self.template,
            self.functions,
            self.emulator.lock,
            self.settings.data_dir,
            fresh=first_start,
            poll_seconds=streams.POLL_SECONDS / self.settings.clock_speed,
        )
        self.change_feed.send_to_queue = self._send_to_queue
        self.change_feed.start()
        self.autosave = Autosave(self.emulator)
        self.autosave.start()

        if first_start:
            self.apply_config()
            demo.create_staff(
                self.template, self.session.client("cognito-idp"), self.settings.password
            )
            if self.settings.demo:
                demo.send_customer_mail(self.settings.smtp_port)
            self.emulator.save()  # from now on the stack has state to restart from

    def _start_workers(self) -> None:
        """Run the functions in worker processes (tessera_local.workers), their AWS calls
        metered and checked as in this process."""

        def report(counted: workers.Report) -> None:
            usage_counts, iam_calls, _ = counted
            self.meter.merge(usage_counts)
            self.recorder.add(iam_calls)

        self.emulator.around_worker_call = usage.meter_worker_calls(self.meter)
        self._channel_dir = tempfile.mkdtemp(prefix="tessera-local-")  # a short socket path
        self.channel = transport.Channel(self.emulator, os.path.join(self._channel_dir, "aws"))
        self.channel.start()
        pool = workers.WorkerPool(
            self.settings.workers,
            channel=self.channel.address,
            port=self.moto_port,
            on_report=report,
        )
        pool.start()
        self.functions.workers = pool

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

    def _send_to_queue(self, queue_arn: str, body: str, attributes: dict[str, str]) -> None:
        name = queue_arn.rsplit(":", 1)[-1]
        sqs = self.session.client("sqs")
        sqs.send_message(
            QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"],
            MessageBody=body,
            MessageAttributes={
                key: {"DataType": "String", "StringValue": value}
                for key, value in attributes.items()
            },
        )

    def _forget_unfinished_intake(self) -> None:
        """No invocation survives a restart: an intake the stopped process left in progress
        (its idempotency record says INPROGRESS) is not running any more, so its record goes and
        the spooled mail's new delivery runs intake again (Lambda's retry would, once the
        record expired)."""
        from intake.app import IDEMPOTENCY_PARTITION

        dynamodb = self.session.client("dynamodb")
        table = self.template.ref("TicketsTable")
        pages = dynamodb.get_paginator("query").paginate(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": IDEMPOTENCY_PARTITION}},
        )
        for page in pages:
            for item in page.get("Items", []):
                if item.get("status", {}).get("S") == "INPROGRESS":
                    dynamodb.delete_item(TableName=table, Key={"pk": item["pk"], "sk": item["sk"]})

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
        env["INTAKE_DEAD_LETTER_QUEUE_URL"] = self.template.ref("IntakeDeadLetterQueue")
        env["TESSERA_API_URL"] = self.http_url  # tessera login / tickets / agents
        path = self.settings.data_dir / "env.json"
        path.write_text(json.dumps(env, indent=2, sort_keys=True), encoding="utf-8")

    def apply_config(self) -> None:
        """Apply infra/config/*.yaml, as an operator's ``tessera config apply`` would."""
        from tessera.bootstrap import config_store
        from tessera.config import kinds

        store = config_store()
        for path in sorted((ROOT / "infra" / "config").glob("*.yaml")):
            text = path.read_text(encoding="utf-8")
            kinds.validate(path.stem, text, str(path.relative_to(ROOT)))
            store.apply(path.stem, text, actor="local-stack", expected_version=None)

    def _reindex(self, indexes: list[str]) -> None:
        """Saved data from before an index was added: save every ticket once so it carries the
        new keys (``tessera tickets reindex``, run for the operator)."""
        from tessera import bootstrap
        from tessera.tickets import queue

        saved, skipped = queue.reindex(bootstrap.dependencies())
        log.info("added indexes %s; reindexed %d tickets (%d skipped)", indexes, saved, skipped)

    def _rebuild_search(self, streams_enabled: list[str], buckets: list[str]) -> None:
        """Saved data from before the change feed or the search index: what happened before is
        in no stream, so the index is built from the table (``tessera search rebuild``)."""
        from tessera import bootstrap
        from tessera.search.indexing import every_document

        stats = bootstrap.search_index().rebuild(every_document(bootstrap.dependencies().tickets))
        log.info(
            "streams %s and buckets %s are new; search index rebuilt: %d tickets",
            streams_enabled,
            buckets,
            stats.tickets,
        )

    def publish_portal(self) -> None:
        """Upload portal_static/ to the portal bucket, as ``tessera portal publish`` does after
        a deploy (only what changed since the last start)."""
        from tessera import bootstrap
        from tessera.kb.assets import publish_assets

        written = publish_assets(ROOT / "portal_static", bootstrap.portal_site())
        log.info("portal files: %d written", len(written))

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
        self.change_feed.stop()
        self.autosave.stop()
        self.http.shutdown()
        self.http.server_close()
        self.smtp.stop()
        self.inbound.shutdown()
        self.functions.shutdown()
        self.emulator.save()
        self.moto.stop()
        if self.functions.workers is not None:
            self.functions.workers.stop()
            self.channel.close()
            shutil.rmtree(self._channel_dir, ignore_errors=True)
        self.emulator.close()
        self._data_dir_lock.close()
