"""Where moto's cost grows with everything it ever stored, made to grow with the call instead.

The local stack runs a small team's mail for weeks; moto is written for a test's few items. Each
function here replaces one moto behaviour whose time or memory grew with the data (measured with
``bench/local_load.py``, see docs/local-stack.md), keeping what the AWS service promises:

- **Every model object ever made stays in memory**: moto's ``BaseModel`` appends each instance
  to its class's ``instances_tracked`` list (for the moto server's dashboard,
  ``/moto-api/data.json``), and nothing removes it. Every DynamoDB item version, every copy of
  a table, every S3 object body, every sent mail was kept: about 30 MiB per mail. Here models are
  not tracked (the dashboard is not used; the backends hold what is stored, and the snapshot and
  journal keep it on disk).
- :func:`transact_write_items`: moto deep-copies every table a transaction touches, once per
  item, to roll back a cancelled transaction; the copy grows with the table (thousands of items
  per ticket written, and the copies outlived the call). Here only the items the transaction
  names are saved, and restored when it is cancelled: all or nothing, as DynamoDB's.
- :func:`parse_definition`: moto's Step Functions interpreter parsed the state machine's ASL
  with ANTLR for every execution it ran (about a tenth of the stack's CPU under load, two
  executions a ticket), then made the program from the tree (a thirtieth more). Both are kept
  per definition, and executions that run at once share the program: its components are only
  read while they evaluate (what an execution changes is in its own environment: the next
  state, the retry counts, the variables), but for the key each component keeps its counts
  under in that environment, which moto draws on first use; it is drawn when the program is
  made. A workflow state's workers and job pools (Map, Parallel) are made per evaluation.
- :class:`FinishedEnvironment`: a finished execution kept its interpreter's whole environment
  (states, frames, callback pools) for as long as the execution is listed. Here it keeps its
  event history only, packed into one bytes object (``GetExecutionHistory`` unpacks a copy).
- :func:`json_serialized`: moto turns each DynamoDB answer into JSON by walking botocore's
  shape model member by member, trying several spellings of every key (a fifth of the stack's
  CPU under load, most of it items in Query and GetItem answers). An item-level answer (GetItem,
  Query, the writes, batches, transactions) is already DynamoDB's JSON but for its bytes: it is
  dumped as it is, bytes in base64 and nothing that is None, which is what the shape walk
  makes of it (``tests/integration/test_moto_costs.py`` compares the two). Other answers
  (tables, streams, errors) go the shape walk's way. Before either, moto converted every
  answer (``DynamoResult``: ``dynamo_to_dict``, a walk of every attribute into new dicts) and
  the dump walked it once more for its bytes (:func:`json_ready`): an item answer is now
  dumped from the handler's own objects (:func:`kept_as_made`; each typed value written as the
  two walks wrote it, by ``json.dumps``' ``default``), with moto's conversion left for the
  other uses (:func:`as_moto_made`).
- :func:`backend_for_host`: moto's server found the service of every request by listing its own
  package directory (a ``stat`` of each of its 150-odd folders) and trying its URL patterns; a
  seventh of the stack's CPU under load. The answer for a host never changes: it is kept.
- :func:`service_router`: moto makes the router of a REST service's requests (Lambda's, S3's)
  on the service's first request, without a lock, and compiles its URL map on the router's
  first match. Step Functions tasks that start together on a fresh stack each made and compiled
  their own (dozens: a tenth of the CPU of a load's first minute). Here one thread makes it, its
  protocol's map included, and the others wait for it.
- :func:`parsed_once` and :func:`tree_copy`: moto parses an ``UpdateExpression`` twice per
  update (the handler's check, then the backend's), and its validator deep-copies the tree
  before working on it (the tree is reused when the update creates the item). The reports'
  counter updates made this a sixth of the stack's CPU. Here the pristine tree of each
  expression is kept (only ever read, or copied before it is changed), and the copies are made
  by a pickle round trip, a third of ``copy.deepcopy``'s time for the same objects.
- :func:`listed_once`: to find the method an action names, moto lists the public functions of
  the response class with ``inspect.getmembers`` on every call (a walk of the class's every
  attribute, sorted: 3 % of the stack's CPU under load). A class's methods do not change while
  the stack runs: each class is listed once.
- :func:`item_sized_once`: moto checks an item's 400 KB limit as each attribute goes in, by
  adding up the size of every attribute already there: a put of an item with n attributes
  sizes n²/2 of them (a ticket has dozens: a seventh of the emulator's CPU under load once the
  functions ran in worker processes). The item is sized once, with the same limit.
- :func:`path_parsed_once`: moto's Step Functions interpreter parses a state's JSONPath
  (``InputPath``, ``ResultPath``, each ``.$`` parameter) with a new ``jsonpath_ng`` parser for
  every evaluation, and making the parser builds its LR tables again (ply's ``yacc``): a
  twentieth of the stack's CPU under load once the functions ran in worker processes. The paths
  are the definitions' few strings: each is parsed once (the parsed path is only read: finding
  and updating change the document, not the path).
- :func:`stream_records_packed`: moto keeps each stream record as a tree of dicts (the item's
  new and old images in DynamoDB's JSON, 4.5 KiB of objects a record) until every consumer of
  the stream has read it. The change feed lets a burst of mail go first (docs/local-stack.md,
  change 20), so a burst of 2,000 mails left 15,600 records, 70 MiB, in the shard, and the
  holes they left once read. Each record is kept packed (pickled, zlib) in one bytes object
  and unpacked when read.
- :func:`condition_lexed_once`: moto cuts every condition, filter and key expression into
  tokens again for every call that carries it (a regular expression tried per token, its
  patterns compiled anew for each): a twentieth of the stack's CPU under load, for the
  functions' few dozen expression strings. Each string's tokens are kept (a token is a named
  tuple, only read by the later stages, which make new nodes of their own).
- :func:`query_answer_not_copied`: moto's ``Table.query`` deep-copies every item it answers
  with before it is turned into JSON, which only reads it (a thirtieth of the stack's CPU under
  load, more for a ticket's long thread). In a query the stored items are read as they are: the
  answer is made under the emulator's lock, and what ``Query`` does to an item (an index's or a
  ``ProjectionExpression``'s projection) makes a new one. A copy made anywhere else (a
  transaction saving what it may restore) is moto's deep copy, as before.
- :func:`traversed_by_kind` and :func:`clauses_found_by_kind`: moto validates an update by
  walking its expression's tree ten times, one traverser after another, and at every node of
  every walk built the traverser's processing map again and made two ABC ``isinstance``
  checks; two of the traversers search the tree again from each node (``find_clauses``, more
  ABC checks). That was most of an ``UpdateItem``'s time (a twentieth of the stack's process
  under load). The walks and searches are the same, in the same order, with the same hooks;
  what a traverser processes is found once per traverser class, and whether a class of node
  is one of those kinds once per class.
- :func:`sized_once_a_query`: ``Table.query`` sizes each item it answers twice (against the
  page's 1 MB limit, then to add it up), by walking every attribute: two thirds of a query's
  own time under load. In a query each item is sized once.
- :func:`filter_parsed_once`: every filter and every write's condition was parsed into an
  operator tree for each call (a thread's filter for each of its reads: a twentieth of the
  stack's process under load). The tree is made once per expression, names and values, and
  shared: its operators only read while they evaluate.
- An index query reads the items under its hash-key value, not every item of the table
  (:mod:`tessera_local.index_map`, whose map these replacements keep).
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import copy
import datetime
import functools
import json
import pickle
import threading
import zlib
from collections import deque
from collections.abc import Callable
from typing import Any

from tessera_local import index_map

_OPERATIONS = ("ConditionCheck", "Put", "Delete", "Update")
_UNSORTED = object()
# The table a Query is reading, and the partition it reads: a hash key, an index's candidates
# (a list), or _UNSORTED for an index query the index map cannot answer. While it is set,
# the query's copy of its answer is the stored items themselves (query_answer_not_copied).
_querying: contextvars.ContextVar[tuple[Any, Any] | None] = contextvars.ContextVar(
    "tessera_local_querying", default=None
)
# A query's items, sized (by id, with the item kept so its id is not reused meanwhile).
_sized: contextvars.ContextVar[dict[int, tuple[Any, int]] | None] = contextvars.ContextVar(
    "tessera_local_sized", default=None
)


def install() -> None:
    """Replace the moto behaviours above, for the whole process."""
    from moto.core.model_instances import reset_model_data

    for owner, name, replacement in replacements():
        setattr(owner, name, replacement)
    reset_model_data()  # what was tracked before is not needed either


def replacements() -> list[tuple[Any, str, Any]]:
    """``(class or module, attribute, replacement)`` for each behaviour replaced."""
    from moto.core import responses, routing, utils
    from moto.core.common_models import BaseModel
    from moto.dynamodb import comparisons
    from moto.dynamodb import models as dynamodb_models
    from moto.dynamodb.comparisons import ConditionExpressionParser
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models import table as table_module
    from moto.dynamodb.models.dynamo_type import Item
    from moto.dynamodb.models.table import StreamShard, Table
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.ast_nodes import (  # type: ignore[attr-defined]
        DepthFirstTraverser,
        Node,
    )
    from moto.dynamodb.parsing.expressions import (  # type: ignore[attr-defined]
        UpdateExpressionParser,
    )
    from moto.dynamodb.responses import DynamoHandler, DynamoResult
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    from moto.stepfunctions.parser.asl.component.common.path import result_path
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_dynamodb,
    )
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.utils import json_path
    from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

    filtered = filter_parsed_once(comparisons.get_filter_expression)
    return [
        (AmazonStateLanguageParser, "parse", staticmethod(parse_definition)),
        (DynamoHandler, "serialized", json_serialized(unwrapped(DynamoHandler.serialized))),
        (DynamoResult, "__init__", kept_as_made(unwrapped(DynamoResult.__init__))),
        (DynamoResult, "result", property(_kept_answer)),
        (
            DomainDispatcherApplication,
            "get_backend_for_host",
            backend_for_host(unwrapped(DomainDispatcherApplication.get_backend_for_host)),
        ),
        (BaseModel, "__new__", _untracked),
        (
            BaseExecutionWorkerCommunication,
            "terminated",
            _keeping_history_only(unwrapped(BaseExecutionWorkerCommunication.terminated)),
        ),
        (DynamoDBBackend, "transact_write_items", transact_write_items),
        (Table, "query", _partition_query(unwrapped(Table.query))),
        (Table, "put_item", index_map.putting(unwrapped(Table.put_item))),
        (Table, "delete_item", index_map.deleting(unwrapped(Table.delete_item))),
        (
            DynamoDBBackend,
            "update_item",
            index_map.updating(unwrapped(DynamoDBBackend.update_item)),
        ),
        (Table, "all_items", _partition_items(unwrapped(Table.all_items))),
        (Item, "__deepcopy__", query_answer_not_copied(unwrapped(Item.__deepcopy__))),
        (Item, "size", sized_once_a_query(unwrapped(Item.size))),
        # both modules import get_filter_expression under that name
        (dynamodb_models, "get_filter_expression", filtered),
        (table_module, "get_filter_expression", filtered),
        (
            ConditionExpressionParser,
            "_lex_condition_expression",
            condition_lexed_once(unwrapped(ConditionExpressionParser._lex_condition_expression)),
        ),
        (lambda_eval_utils, "boto_client_for", task_client),
        (state_task_service_dynamodb, "boto_client_for", task_client),
        (UpdateExpressionParser, "make", parsed_once(UpdateExpressionParser.__dict__["make"])),
        (validators, "deepcopy", tree_copy),
        (
            DepthFirstTraverser,
            "traverse",
            traversed_by_kind(unwrapped(DepthFirstTraverser.traverse)),
        ),
        (Node, "find_clauses", clauses_found_by_kind(unwrapped(Node.find_clauses))),
        (
            responses,
            "get_service_router",
            service_router(unwrapped(routing.get_service_router)),
        ),
        (responses, "method_names_from_class", listed_once(utils.method_names_from_class)),
        (Item, "__init__", item_sized_once),
        (StreamShard, "add", stream_records_packed(unwrapped(StreamShard.add))),
        # both modules import jsonpath_ng's parse under that name
        (json_path, "parse", path_parsed_once(unwrapped(json_path.parse))),  # type: ignore[attr-defined]
        (result_path, "parse", path_parsed_once(unwrapped(result_path.parse))),  # type: ignore[attr-defined]
    ]


ITEM_SIZE_LIMIT = 405_000  # moto's: DynamoDB's 400 KB, as measured between 409 and 410 KB


def item_sized_once(item: Any, hash_key: Any, range_key: Any, attrs: dict[str, Any]) -> None:
    """moto's ``Item.__init__``, the attributes' sizes added up once (see the module's doc)."""
    from moto.dynamodb.exceptions import ItemSizeTooLarge
    from moto.dynamodb.models.dynamo_type import DynamoType, LimitedSizeDict
    from moto.dynamodb.models.utilities import bytesize

    item.hash_key = hash_key
    item.range_key = range_key
    values = {key: DynamoType(value) for key, value in attrs.items()}
    if sum(bytesize(key) + value.size() for key, value in values.items()) > ITEM_SIZE_LIMIT:
        raise ItemSizeTooLarge
    item.attrs = LimitedSizeDict()
    dict.update(item.attrs, values)  # checked above; later writes go through its own check


def listed_once(list_methods: Callable[[object], list[str]]) -> Callable[[object], list[str]]:
    """``list_methods`` (moto's ``method_names_from_class``) once per class: the same list
    for every later call (moto only asks whether an action is in it)."""
    original = unwrapped(list_methods)
    listed: dict[object, list[str]] = {}

    @functools.wraps(original)
    def once(clazz: object) -> list[str]:
        found = listed.get(clazz)
        if found is None:
            found = listed.setdefault(clazz, original(clazz))
        return found

    return once


def parse_definition(definition: str) -> tuple[Any, Any]:
    """``AmazonStateLanguageParser.parse``: the program and parse tree kept per definition (a
    definition that does not parse raises, and is parsed again the next time)."""
    return _program(definition), _parse_tree(definition)


@functools.lru_cache(maxsize=64)
def _program(definition: str) -> Any:
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    program = Preprocessor().visit(_parse_tree(definition))
    for component in _components(program):
        component.heap_key  # noqa: B018 - drawn now, not by two executions at once
    return program


def _components(program: Any) -> list[Any]:
    """Every evaluable component of a program: its states, their fields, and theirs."""
    from moto.stepfunctions.parser.asl.component.component import Component
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent

    found, seen, waiting = [], set(), [program]
    while waiting:
        value = waiting.pop()
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, dict):
            waiting += value.values()
        elif isinstance(value, list | tuple | set | frozenset):
            waiting += value
        elif isinstance(value, Component):
            if isinstance(value, EvalComponent):
                found.append(value)
            waiting += vars(value).values()
    return found


@functools.lru_cache(maxsize=64)
def _parse_tree(definition: str) -> Any:
    from antlr4 import CommonTokenStream, InputStream
    from moto.stepfunctions.parser.asl.antlr.runtime.ASLLexer import ASLLexer
    from moto.stepfunctions.parser.asl.antlr.runtime.ASLParser import ASLParser
    from moto.stepfunctions.parser.asl.parse.asl_parser import (
        ASLParserException,
        SyntaxErrorListener,
    )

    errors = SyntaxErrorListener()  # type: ignore[no-untyped-call]
    parser = ASLParser(CommonTokenStream(ASLLexer(InputStream(definition))))
    parser.removeErrorListeners()
    parser.addErrorListener(errors)
    tree = parser.state_machine()  # type: ignore[no-untyped-call]
    if errors.errors:
        raise ASLParserException(errors=errors.errors)
    return tree


def backend_for_host(find: Callable[..., Any]) -> Callable[..., Any]:
    found: dict[str | None, Any] = {}

    @functools.wraps(find)
    def backend_for(dispatcher: Any, host: str | None) -> Any:
        if host not in found:  # the dispatcher calls this under its own lock
            found[host] = find(dispatcher, host)
        return found[host]

    return backend_for


def service_router(make: Callable[[str], Any]) -> Callable[[str], Any]:
    from werkzeug.exceptions import NotFound

    lock = threading.Lock()
    made: dict[str, Any] = {}

    @functools.wraps(make)
    def router_for(service_name: str) -> Any:
        router = made.get(service_name)
        if router is None:
            with lock:
                router = made.get(service_name)
                if router is None:
                    router = make(service_name)
                    with contextlib.suppress(NotFound):  # a protocol moto routes otherwise
                        router._get_router(router._service_model.protocol)
                    made[service_name] = router
        return router

    return router_for


def parsed_once(make: Any) -> Any:
    """``UpdateExpressionParser.make`` (a classmethod): the tree of each expression, parsed
    once (an expression that does not parse raises, and is parsed again the next time)."""
    original = make.__func__
    while hasattr(original, "__wrapped__"):  # already replaced: start from moto's own
        original = original.__wrapped__
    tree: Any = functools.lru_cache(maxsize=256)(original)
    return classmethod(tree)


def path_parsed_once(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """``jsonpath_ng``'s ``parse`` as moto's interpreter imports it: each path parsed once (a
    path that does not parse raises, and is parsed again the next time)."""
    return functools.lru_cache(maxsize=512)(parse)


def _pack(value: Any) -> bytes:
    """What the stack keeps but rarely reads, as one bytes object instead of a tree of objects."""
    return zlib.compress(pickle.dumps(value, pickle.HIGHEST_PROTOCOL), 1)


def _unpack(packed: bytes) -> Any:
    """A new copy of what :func:`_pack` packed."""
    return pickle.loads(zlib.decompress(packed))  # noqa: S301 - our own bytes


class PackedStreamRecord:
    """A stream record moto made, packed; ``to_json`` unpacks a copy, as moto's answers it."""

    __slots__ = ("packed",)

    def __init__(self, record: dict[str, Any]) -> None:
        self.packed = _pack(record)

    def to_json(self) -> dict[str, Any]:
        record: dict[str, Any] = _unpack(self.packed)
        return record


def stream_records_packed(add: Callable[..., None]) -> Callable[..., None]:
    """``StreamShard.add``: the record it appended, packed (called under the emulator's lock,
    as every write is)."""

    @functools.wraps(add)
    def packed_add(shard: Any, old: Any, new: Any) -> None:
        held = len(shard.items)
        add(shard, old, new)
        if len(shard.items) == held + 1 and not isinstance(shard.items[-1], PackedStreamRecord):
            shard.items[-1] = PackedStreamRecord(shard.items[-1].to_json())

    return packed_add


def tree_copy(value: Any) -> Any:
    """``copy.deepcopy`` for moto's expression trees and typed values (plain objects): by a
    pickle round trip of our own bytes; what pickle refuses is deep-copied."""
    try:
        return pickle.loads(pickle.dumps(value, pickle.HIGHEST_PROTOCOL))  # noqa: S301 - ours
    except (pickle.PicklingError, TypeError, AttributeError):
        return copy.deepcopy(value)


# The DynamoDB operations whose answers are items and plain values, never tables or dates.
ITEM_OPERATIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)


def json_serialized(serialized: Callable[..., Any]) -> Callable[..., Any]:
    as_json = _answer_default()

    @functools.wraps(serialized)
    def item_answer_as_json(handler: Any, action_result: Any) -> Any:
        action = handler._get_action()
        raw = vars(action_result).get("_raw", action_result)  # a DynamoResult: as kept
        if raw is not action_result:
            if action in ITEM_OPERATIONS and isinstance(raw, dict):
                members = _answer_members(action)
                answer = {k: v for k, v in raw.items() if k in members and v is not None}
                # moto's item answers hold no None below the top. One would be written as null:
                # botocore reads a null structure member as left out, as the walk leaves it out,
                # but keeps a null in an item's map or list, which the walk would leave out.
                text = json.dumps(answer, separators=(",", ":"), default=as_json)
                return 200, _json_headers(handler), text
            action_result = as_moto_made(action_result)
        result = action_result.result
        if action not in ITEM_OPERATIONS or not isinstance(result, dict):
            return serialized(handler, action_result)
        members = _answer_members(action)
        answer = {k: json_ready(v) for k, v in result.items() if k in members and v is not None}
        return 200, _json_headers(handler), json.dumps(answer, separators=(",", ":"))

    return item_answer_as_json


def _json_headers(handler: Any) -> dict[str, Any]:
    return {"Content-Type": "application/x-amz-json-1.0", **handler.response_headers}


def _answer_default() -> Callable[[Any], Any]:
    """``json.dumps``' ``default`` for an answer's moto objects: what ``dynamo_to_dict`` (moto's
    conversion of an answer) and then :func:`json_ready` make of them. (Made once: it runs for
    every attribute of every answer, and an import statement in it was half its time.)"""
    from moto.dynamodb.models.dynamo_type import DynamoType

    def as_json(value: Any) -> Any:
        if isinstance(value, DynamoType):
            if value.type == "B":
                return {"B": _base64(value.value)}
            if value.type == "BS":
                return {"BS": [_base64(v) for v in value.value]}
            return {value.type: value.value}
        if isinstance(value, bytes):
            return base64.b64encode(value).decode("ascii")
        if hasattr(value, "to_json") and not isinstance(value, datetime.datetime):
            return value.to_json()
        raise TypeError(f"{type(value).__name__} is not JSON serializable")

    return as_json


def _base64(value: bytes | str) -> str:
    """A binary value in base64: moto holds it as bytes, or as the base64 it came in."""
    binary = value if isinstance(value, bytes) else base64.b64decode(value)
    return base64.b64encode(binary).decode("ascii")


def kept_as_made(init: Callable[[Any, Any], None]) -> Callable[[Any, Any], None]:
    """``DynamoResult.__init__``: the handler's answer kept as it is, not converted by moto
    (``dynamo_to_dict``, a walk of every attribute into new dicts) when it is made. An item
    answer's JSON (:func:`json_serialized`) is made from it as it is; any other use has moto's
    conversion (:func:`as_moto_made`)."""

    @functools.wraps(init)
    def kept(action_result: Any, result: Any) -> None:
        action_result._raw = result

    return kept


def _kept_answer(action_result: Any) -> Any:
    """``DynamoResult.result``: the answer as kept when it is a dict, which is all moto's
    handlers read it for (``include_consumed_capacity`` adds its member to it; converting first
    or after gives the same, the member being plain values); else moto's conversion of it."""
    raw = vars(action_result)["_raw"]
    return raw if isinstance(raw, dict) else as_moto_made(action_result).result


def as_moto_made(action_result: Any) -> Any:
    """The ``ActionResult`` moto's own ``DynamoResult`` would be: its answer converted."""
    from moto.core.responses import ActionResult
    from moto.dynamodb.models.utilities import dynamo_to_dict

    return ActionResult(dynamo_to_dict(vars(action_result)["_raw"]))


@functools.cache
def _answer_members(operation: str) -> frozenset[str]:
    """The members of a DynamoDB operation's answer (moto adds some of its own: left out)."""
    from moto.core.utils import get_service_model

    shape = get_service_model("dynamodb").operation_model(operation).output_shape
    return frozenset(shape.members) if shape is not None else frozenset()


def json_ready(value: Any) -> Any:
    """``value`` as the shape walk writes it: bytes in base64, no member that is None (an
    answer's items here; a stream record's images in :mod:`tessera_local.streams`)."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [json_ready(v) for v in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value


def unwrapped(function: Callable[..., Any]) -> Callable[..., Any]:
    """moto's own ``function``, when a replacement of it (``__wrapped__``) is installed."""
    return getattr(function, "__wrapped__", function)


def _partition_query(query: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(query)
    def partition_query(table: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name is None and hash_key is None:
            return query(table, hash_key, *args, **kwargs)
        if index_name is None:
            partition: Any = hash_key
        else:
            conditions = kwargs.get("hash_key_conditions")
            found = index_map.candidates(table, index_name, conditions)
            partition = _UNSORTED if found is None else found
        scope, sized = _querying.set((table, partition)), _sized.set({})
        try:
            return query(table, hash_key, *args, **kwargs)
        finally:
            _sized.reset(sized)
            _querying.reset(scope)

    return partition_query


def query_answer_not_copied(deep_copy: Callable[..., Any]) -> Callable[..., Any]:
    """``Item.__deepcopy__``: in a ``Table.query`` (the copy of its answer), the stored item
    itself; anywhere else, moto's copy."""

    @functools.wraps(deep_copy)
    def item_copy(item: Any, memo: dict[int, Any]) -> Any:
        if _querying.get() is not None:
            return item
        return deep_copy(item, memo)

    return item_copy


def sized_once_a_query(size: Callable[[Any], int]) -> Callable[[Any], int]:
    """``Item.size``: in a ``Table.query``, each item sized once (moto sizes each item it
    answers with twice: against the page's 1 MB limit, then to add it to the page's size);
    anywhere else, moto's. Nothing changes an item while a query reads it (under the lock)."""

    @functools.wraps(size)
    def item_size(item: Any) -> int:
        sized = _sized.get()
        if sized is None:
            return size(item)
        found = sized.get(id(item))
        if found is None:
            found = sized[id(item)] = (item, size(item))
        return found[1]

    return item_size


def filter_parsed_once(parse: Callable[..., Any]) -> Callable[..., Any]:
    """``get_filter_expression``, the operator tree a filter or a write's condition is evaluated
    with: made once per expression with its names and values (the functions' few dozen, most
    with the same values every time; a thread's filter was parsed for each of its reads). The
    tree is only read while it is evaluated (``test_moto_costs`` checks that no operator sets
    anything on itself). One that does not parse is refused each time."""

    @functools.lru_cache(maxsize=512)
    def parsed(key: bytes) -> Any:
        return parse(*pickle.loads(key))  # noqa: S301 - our own bytes

    @functools.wraps(parse)
    def filter_expression(expression: Any, names: Any, values: Any) -> Any:
        if not expression:
            return parse(expression, names, values)
        return parsed(pickle.dumps((expression, names, values), pickle.HIGHEST_PROTOCOL))

    filter_expression.cache_info = parsed.cache_info  # type: ignore[attr-defined]
    return filter_expression


def condition_lexed_once(lex: Callable[[Any], deque[Any]]) -> Callable[[Any], deque[Any]]:
    """``ConditionExpressionParser._lex_condition_expression``: the tokens of each expression
    string made once (one that does not lex raises, and is lexed again the next time)."""
    from moto.dynamodb.comparisons import ConditionExpressionParser

    @functools.lru_cache(maxsize=512)
    def tokens(expression: str) -> tuple[Any, ...]:
        return tuple(lex(ConditionExpressionParser(expression, None, None)))

    @functools.wraps(lex)
    def lexed(parser: Any) -> deque[Any]:
        return deque(tokens(parser.condition_expression))  # the parser's own to take apart

    lexed.cache_info = tokens.cache_info  # type: ignore[attr-defined]
    return lexed


def traversed_by_kind(traverse: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    """``DepthFirstTraverser.traverse``: the same walk (children first, each child announced to
    ``pre_processing_of_child``, a node of a kind the traverser processes replaced by what
    ``process`` makes of it), with what moto worked out again at every node worked out once: the
    kinds a traverser processes (moto built its processing map anew for each node) and whether a
    class of node is a ``Node`` and one of those kinds (an ABC check each time)."""
    from moto.dynamodb.parsing.ast_nodes import Node  # type: ignore[attr-defined]

    is_node = _subclass_test(Node)

    @functools.wraps(traverse)
    def walked(traverser: Any, root: Any) -> Any:
        processed = _processed_kinds(traverser)
        before_child, process = traverser.pre_processing_of_child, traverser.process

        def walk(node: Any, child_id: int) -> Any:
            if not is_node(type(node)):
                return node
            parent, children = node.parent, node.children
            if children is not None:
                for i, child in enumerate(children):
                    before_child(node, i)
                    walk(child, i)
            if processed(type(node)):
                node = process(node)
                node.parent = parent
                if parent:
                    parent.children[child_id] = node
            return node

        return walk(root, -1)

    return walked


def clauses_found_by_kind(find: Callable[[Any, Any], list[Any]]) -> Callable[[Any, Any], list[Any]]:
    """``Node.find_clauses``: the same search (a child of one of the clause types is a clause,
    an expression or function child is searched in turn), whether a class of node is an
    expression or a function worked out once per class (an ABC check each time in moto; its
    validators search each update's tree again from every node of it)."""
    from moto.dynamodb.parsing.ast_nodes import (  # type: ignore[attr-defined]
        Expression,
        UpdateExpressionFunction,
    )

    searched = _subclass_test((Expression, UpdateExpressionFunction))

    @functools.wraps(find)
    def find_clauses(node: Any, clause_types: Any) -> list[Any]:
        clauses: list[Any] = []
        for child in node.children or []:
            if type(child) in clause_types:
                clauses.append(child)
            elif searched(type(child)):
                clauses.extend(child.find_clauses(clause_types))
        return clauses

    return find_clauses


def _subclass_test(bases: type | tuple[type, ...]) -> Callable[[type], bool]:
    """``issubclass(kind, bases)``, answered once per class. For moto's expression nodes it is
    what ``isinstance`` answers: they are ABCs with no virtual subclasses (checked in
    ``test_moto_costs``)."""
    answers: dict[type, bool] = {}

    def test(kind: type) -> bool:
        found = answers.get(kind)
        if found is None:
            found = answers[kind] = issubclass(kind, bases)
        return found

    return test


def _processed_kinds(traverser: Any) -> Callable[[type], bool]:
    """Whether a traverser processes a class of node. What it processes is its processing
    map's keys, classes named in its code (``test_moto_costs`` checks every traverser's map):
    asked once per traverser class."""
    test = _KINDS.get(type(traverser))
    if test is None:
        test = _KINDS[type(traverser)] = _subclass_test(tuple(traverser.nodes_to_be_processed()))
    return test


_KINDS: dict[type, Callable[[type], bool]] = {}


def _partition_items(all_items: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(all_items)
    def partition_items(table: Any) -> list[Any]:
        scope = _querying.get()
        if scope is None or scope[0] is not table:
            return list(all_items(table))
        if isinstance(scope[1], list):
            return scope[1]
        if scope[1] is _UNSORTED:
            return index_map.stored_items(table)
        partition = table.items.get(scope[1])
        if partition is None:
            return []
        if not table.range_key_attr:
            return [partition]
        return sorted(partition.values(), key=lambda item: item.range_key)

    return partition_items


class _Nothing:
    """What a finished execution's pools answer: it has no callbacks and no map runs."""

    def notify(self, *_args: Any, **_kwargs: Any) -> bool:
        return False

    heartbeat = notify

    def get(self, *_args: Any, **_kwargs: Any) -> None:
        return None

    def get_all(self) -> list[Any]:
        return []


class _History:
    """A finished execution's events, packed: a history is read rarely (``GetExecutionHistory``)
    and kept for every execution, each event a tree of dicts. A routing execution kept 21 KiB
    of objects; with its history packed, 5.5 KiB."""

    def __init__(self, events: list[Any]) -> None:
        self.packed = _pack(events)

    def get_event_history(self) -> list[Any]:
        """A new copy of the events each time, as moto's event manager answers."""
        events: list[Any] = _unpack(self.packed)
        return events


class FinishedEnvironment:
    """The part of an execution's environment moto reads once the execution has ended."""

    def __init__(self, events: list[Any]) -> None:
        self.event_manager = _History(events)
        self.callback_pool_manager = _Nothing()
        self.map_run_record_pool_manager = _Nothing()

    def set_stop(self, *_args: Any, **_kwargs: Any) -> None:
        """Stopping an execution that has ended changes nothing."""


def _keeping_history_only(terminated: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(terminated)
    def keeping_history_only(communication: Any) -> None:
        terminated(communication)  # the execution's status, output, error, from the environment
        worker = communication.execution.exec_worker
        if worker is not None and worker.env is not None:
            worker.env = FinishedEnvironment(worker.env.event_manager.get_event_history())
        from moto.stepfunctions.parser.utils import TMP_THREADS

        current = threading.current_thread()  # ending now; the others moto started, if ended
        TMP_THREADS[:] = [t for t in TMP_THREADS if t is not current and t.is_alive()]

    return keeping_history_only


def task_client(region: str, service: str, state_credentials: Any = None) -> Any:
    """The client a Step Functions task calls its service with: made once per region and
    service. (moto's own ``boto_client_for`` ignores the state's credentials too: every client
    it makes is the same but for its cost.)"""
    return _shared_task_client(region, service)


@functools.cache
def _shared_task_client(region: str, service: str) -> Any:
    from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for

    return boto_client_for(region, service)


def _untracked(cls: type, *_args: Any, **_kwargs: Any) -> Any:
    from moto.core.common_models import BaseModel

    return super(BaseModel, cls).__new__(cls)  # type: ignore[misc]


def transact_write_items(backend: Any, transact_items: list[dict[str, Any]]) -> None:
    """DynamoDB's TransactWriteItems: every operation applies, or none does (the reasons of a
    cancellation listed per item, in order)."""
    from moto.dynamodb.exceptions import (
        MockValidationException,
        MultipleTransactionsException,
        TooManyTransactionsException,
        TransactionCanceledException,
        TransactWriteSingleOpException,
    )

    if len(transact_items) > 100:
        raise TooManyTransactionsException()
    operations = []
    named: set[tuple[str, str]] = set()
    for entry in transact_items:
        if len(entry) != 1:
            raise TransactWriteSingleOpException()
        kind, spec = next(iter(entry.items()))
        if kind not in _OPERATIONS:
            raise MockValidationException(f"Unsupported transaction operation {kind}")
        table = backend.get_table(spec["TableName"])
        key = _key(table, spec["Item"] if kind == "Put" else spec["Key"])
        identity = (table.name, json.dumps(key, sort_keys=True))
        if identity in named:
            raise MultipleTransactionsException()
        named.add(identity)
        operations.append((kind, spec, table, key))

    saved = [_before_image(table, key) for _kind, _spec, table, key in operations]
    errors: list[tuple[str | None, str | None, dict[str, Any] | None]] = []
    for kind, spec, table, key in operations:
        try:
            _apply(backend, kind, spec, table, key)
        except MockValidationException:
            _restore(saved)
            raise
        except Exception as error:  # a cancellation reason, as DynamoDB lists them
            errors.append(_reason(error, spec, table, key))
        else:
            errors.append((None, None, None))
    if any(code is not None for code, _message, _item in errors):
        _restore(saved)
        raise TransactionCanceledException(errors)


def _key(table: Any, attributes: dict[str, Any]) -> dict[str, Any]:
    key = {table.hash_key_attr: attributes[table.hash_key_attr]}
    if table.range_key_attr is not None:
        key[table.range_key_attr] = attributes[table.range_key_attr]
    return key


def _typed_key(table: Any, key: dict[str, Any]) -> tuple[Any, Any]:
    from moto.dynamodb.models.dynamo_type import DynamoType

    hash_key = DynamoType(key[table.hash_key_attr])
    range_key = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    return hash_key, range_key


def _before_image(table: Any, key: dict[str, Any]) -> tuple[Any, Any, Any, Any, int | None]:
    hash_key, range_key = _typed_key(table, key)
    item = table.get_item(hash_key, range_key)
    shard = table.stream_shard
    return table, hash_key, range_key, copy.deepcopy(item), (len(shard.items) if shard else None)


def _restore(saved: list[tuple[Any, Any, Any, Any, int | None]]) -> None:
    """Put back each named item as it was (absent ones removed); a cancelled transaction
    leaves no stream records either."""
    for table, hash_key, range_key, item, stream_length in reversed(saved):
        if range_key is not None:
            if item is None:
                table.items.get(hash_key, {}).pop(range_key, None)
            else:
                table.items[hash_key][range_key] = item
        elif item is None:
            table.items.pop(hash_key, None)
        else:
            table.items[hash_key] = item
        index_map.reindex(table, hash_key, range_key)
        shard = table.stream_shard
        if shard is not None and stream_length is not None and len(shard.items) >= stream_length:
            del shard.items[stream_length:]


def _apply(backend: Any, kind: str, spec: dict[str, Any], table: Any, key: dict[str, Any]) -> None:
    from moto.dynamodb.comparisons import get_filter_expression
    from moto.dynamodb.exceptions import ConditionalCheckFailed

    condition = spec.get("ConditionExpression")
    names = spec.get("ExpressionAttributeNames")
    values = spec.get("ExpressionAttributeValues")
    if kind == "ConditionCheck":
        current = table.get_item(*_typed_key(table, key))
        check = get_filter_expression(condition, names, values)
        if condition is not None and not check.expr(current):
            raise ConditionalCheckFailed()
    elif kind == "Put":
        backend.put_item(
            table.name,
            spec["Item"],
            condition_expression=condition,
            expression_attribute_names=names,
            expression_attribute_values=values,
        )
    elif kind == "Delete":
        backend.delete_item(
            table.name,
            key,
            condition_expression=condition,
            expression_attribute_names=names,
            expression_attribute_values=values,
        )
    else:
        backend.update_item(
            table.name,
            key,
            update_expression=spec["UpdateExpression"],
            condition_expression=condition,
            expression_attribute_names=names,
            expression_attribute_values=values,
        )


def _reason(
    error: Exception, spec: dict[str, Any], table: Any, key: dict[str, Any]
) -> tuple[str, str, dict[str, Any] | None]:
    from moto.dynamodb.exceptions import ConditionalCheckFailed

    if isinstance(error, ConditionalCheckFailed):
        old = None
        if spec.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD":
            current = table.get_item(*_typed_key(table, key))
            old = current.to_json()["Attributes"] if current is not None else None
        return "ConditionalCheckFailed", str(error.message), old
    return type(error).__name__, str(error), None
