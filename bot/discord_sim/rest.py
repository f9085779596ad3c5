"""A local stand-in for Discord's REST API, served on loopback, for tests of the bot's Discord edge.

discord.py talks to it over real HTTP (its own aiohttp client) once `discord.http.Route.BASE`
points here (`routed_to`). It answers what the bot does with Discord's shapes: login
(`/users/@me`, `/oauth2/applications/@me`), interaction callbacks, webhook follow-ups and their
messages, channel messages, command sync. It keeps Discord's rules where a bot can break them: an
interaction is answered once and within three seconds, a follow-up needs a response first, the
first follow-up after a deferral replaces the "thinking" message (and keeps its visibility),
uploads over the attachment limit get 413, empty or over-long messages 400. Any other route gets
Discord's 404 and shows up in `unexpected_requests`.

Every request is recorded (method, path below the API root, query, headers, JSON body, multipart
parts with file names and bytes, the answer) for assertions; `wait_for_request` waits for one.
"""

from __future__ import annotations

import asyncio
import json
import mimetypes
import re
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import discord.http
from aiohttp import BodyPartReader, hdrs, web

from bot.discord_sim import payloads
from bot.discord_sim.payloads import Payload

API_PREFIX = f"/api/v{discord.http.INTERNAL_API_VERSION}"
BOT_TOKEN = "voxhall-test-token-loopback-only"
RESPONSE_DEADLINE_S = 3.0
MAX_CONTENT_LENGTH = 2000
MAX_ATTACHMENTS = 10
SUPPRESS_EMBEDS = 1 << 2
EPHEMERAL = 1 << 6
LOADING = 1 << 7
SUPPRESS_NOTIFICATIONS = 1 << 12
COMPONENTS_V2 = 1 << 15
SETTABLE_FLAGS = SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | COMPONENTS_V2
CHAT_INPUT_COMMAND_MESSAGE = 20
REPLY_MESSAGE = 19
FILE_FIELD = re.compile(r"files\[(\d+)\]")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class DiscordError(Exception):
    """An error answer in Discord's shape: `{"message", "code"}`, with `errors` for form errors."""

    def __init__(self, status: int, code: int, message: str, errors: Payload | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body: Payload = {"message": message, "code": code}
        if errors is not None:
            self.body["errors"] = errors


def unknown(what: str, code: int) -> DiscordError:
    """Discord's 404 for a missing resource ("Unknown Message", 10008 ...)."""
    return DiscordError(404, code, f"Unknown {what}")


def invalid_form(field_name: str, error_code: str, message: str) -> DiscordError:
    """Discord's 400 "Invalid Form Body" (50035) for one field."""
    errors = {field_name: {"_errors": [{"code": error_code, "message": message}]}}
    return DiscordError(400, 50035, "Invalid Form Body", errors)


@dataclass(frozen=True)
class RecordedPart:
    """One part of a multipart body: `payload_json` or a file."""

    name: str
    filename: str | None
    content_type: str | None
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class RecordedRequest:
    """One request discord.py made, and what the stand-in answered."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    json: Any = None
    parts: list[RecordedPart] = field(default_factory=list)
    routed: bool = True
    status: int | None = None
    response: Any = None

    @property
    def payload(self) -> Any:
        """The JSON it carried: the body, or the `payload_json` part of a multipart body."""
        for part in self.parts:
            if part.name == "payload_json":
                return json.loads(part.data)
        return self.json

    @property
    def files(self) -> list[RecordedPart]:
        """The uploaded files, in order."""
        return [part for part in self.parts if part.filename is not None]


RECORDED = web.RequestKey("recorded", RecordedRequest)


@dataclass
class InteractionRecord:
    """What the stand-in knows about an interaction it "sent" to the bot."""

    payload: Payload
    received_at: float
    callback_type: int | None = None
    original_id: int | None = None
    deferred: bool = False
    message_ids: set[int] = field(default_factory=set)


async def _read_request(request: web.Request) -> RecordedRequest:
    recorded = RecordedRequest(
        method=request.method,
        path=request.path.removeprefix(API_PREFIX),
        query=dict(request.query),
        headers=dict(request.headers),
        routed=request.match_info.http_exception is None,
    )
    if request.content_type == "multipart/form-data":
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            assert isinstance(part, BodyPartReader)
            data = await part.read()
            content_type = part.headers.get(hdrs.CONTENT_TYPE)
            recorded.parts.append(RecordedPart(part.name or "", part.filename, content_type, data))
    elif request.body_exists:
        recorded.json = await request.json()
    return recorded


def _json(body: Any, status: int = 200) -> web.Response:
    # discord.py parses JSON only when Content-Type is exactly "application/json" (no charset).
    return web.Response(
        status=status, body=json.dumps(body).encode(), content_type="application/json"
    )


def _no_content() -> web.Response:
    return web.Response(status=204)


def _numbered_components(components: list[Payload]) -> list[Payload]:
    """Components with Discord's numeric `id`s filled in, depth first, as Discord returns them."""
    taken = {item["id"] for item in _walk(components) if "id" in item}
    free = (number for number in range(1, 1 << 31) if number not in taken)

    def number(component: Payload) -> Payload:
        numbered = {**component, "id": component.get("id") or next(free)}
        if "components" in component:
            numbered["components"] = [number(child) for child in component["components"]]
        return numbered

    return [number(component) for component in components]


def _walk(components: list[Payload]) -> Iterator[Payload]:
    for component in components:
        yield component
        yield from _walk(component.get("components", []))


def _check_message_body(body: Payload, files: list[RecordedPart], size_limit: int) -> None:
    """Discord's checks on a message body: length, attachment count and size."""
    content = body.get("content") or ""
    if len(content) > MAX_CONTENT_LENGTH:
        raise invalid_form(
            "content", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_CONTENT_LENGTH} or fewer in length."
        )
    if len(files) > MAX_ATTACHMENTS:
        raise invalid_form(
            "attachments", "BASE_TYPE_MAX_LENGTH", f"Must be {MAX_ATTACHMENTS} or fewer in length."
        )
    if any(part.size > size_limit for part in files):
        raise DiscordError(413, 40005, "Request entity too large")


def _check_not_empty(body: Payload, files: list[RecordedPart]) -> None:
    fields = ("content", "embeds", "components", "sticker_ids", "poll")
    if not (files or any(body.get(name) for name in fields)):
        raise DiscordError(400, 50006, "Cannot send an empty message")


def _attachments(body: Payload, files: list[RecordedPart], message: Payload) -> list[Payload]:
    """The attachments after this body: kept ones (listed by id) and the uploaded files."""
    uploads = {int(match[1]): part for part in files if (match := FILE_FIELD.fullmatch(part.name))}
    listed = body.get("attachments")
    if listed is None:
        listed = [{"id": index} for index in uploads]
    existing = {item["id"]: item for item in message["attachments"]}
    result: list[Payload] = []
    for entry in listed:
        if str(entry["id"]) in existing:
            result.append(existing[str(entry["id"])])
        elif int(entry["id"]) in uploads:
            result.append(_uploaded(entry, uploads[int(entry["id"])], message))
    return result


def _uploaded(entry: Payload, part: RecordedPart, message: Payload) -> Payload:
    filename = entry.get("filename") or part.filename or "file"
    uploaded = payloads.attachment(
        payloads.snowflake(), int(message["channel_id"]), filename, part.size
    )
    content_type = mimetypes.guess_type(filename)[0]
    if content_type is not None:
        uploaded["content_type"] = content_type
    if "description" in entry:
        uploaded["description"] = entry["description"]
    if message["flags"] & EPHEMERAL:
        uploaded["ephemeral"] = True
    return uploaded


def _apply_body(message: Payload, body: Payload, files: list[RecordedPart]) -> None:
    """Write a create or edit body into a message: only the fields the body carries change."""
    if "content" in body:
        message["content"] = body["content"] or ""
    for key in ("embeds", "tts"):
        if key in body:
            message[key] = body[key]
    if "components" in body:
        message["components"] = _numbered_components(body["components"] or [])
    if "attachments" in body or files:
        message["attachments"] = _attachments(body, files, message)


class DiscordAPI:
    """Discord's REST API for one bot, in memory; `app()` serves it, `serve()` runs it."""

    def __init__(
        self,
        *,
        token: str = BOT_TOKEN,
        bot: Payload | None = None,
        owner: Payload | None = None,
        response_deadline_s: float = RESPONSE_DEADLINE_S,
    ) -> None:
        self.token = token
        self.bot = bot or payloads.bot_user()
        self.owner = owner or payloads.user(payloads.OWNER_ID, "olivia")
        self.response_deadline_s = response_deadline_s
        self.requests: list[RecordedRequest] = []
        self.messages: dict[int, Payload] = {}
        self.channels: dict[int, Payload] = {}
        self.commands: dict[int | None, list[Payload]] = {}
        self._attachment_limits: dict[int, int] = {}
        self._interactions: dict[str, InteractionRecord] = {}
        self._answered = asyncio.Condition()

    @property
    def application_id(self) -> int:
        return int(self.bot["id"])

    # -- what tests call ---------------------------------------------------------------------

    def add_guild(self, guild: Payload) -> None:
        """Know a guild's channels (and its upload limit), as after GUILD_CREATE."""
        limit = payloads.ATTACHMENT_LIMITS[guild["premium_tier"]]
        for channel in guild["channels"]:
            self.channels[int(channel["id"])] = channel
            self._attachment_limits[int(channel["id"])] = limit

    def register_interaction(self, interaction: Payload) -> None:
        """Know an interaction as Discord does once it sends it; its 3 s clock starts now."""
        self._interactions[interaction["token"]] = InteractionRecord(interaction, time.monotonic())
        channel_id = int(interaction["channel"]["id"])
        if channel_id not in self.channels:
            self.channels[channel_id] = interaction["channel"]
            self._attachment_limits[channel_id] = interaction["attachment_size_limit"]
        if "message" in interaction:
            self.messages.setdefault(int(interaction["message"]["id"]), interaction["message"])

    def requests_to(self, path_prefix: str, method: str | None = None) -> list[RecordedRequest]:
        """Recorded requests whose path starts with `path_prefix` (e.g. "/interactions")."""
        return [
            request
            for request in self.requests
            if request.path.startswith(path_prefix) and method in (None, request.method)
        ]

    @property
    def unexpected_requests(self) -> list[RecordedRequest]:
        """Requests to routes this stand-in does not serve (answered 404 or 405)."""
        return [request for request in self.requests if not request.routed]

    async def wait_for_request(
        self, path_prefix: str, method: str | None = None, *, count: int = 1, timeout_s: float = 5.0
    ) -> RecordedRequest:
        """Wait until `count` matching requests have been answered; returns the `count`th."""

        def answered() -> list[RecordedRequest]:
            return [item for item in self.requests_to(path_prefix, method) if item.status]

        try:
            async with asyncio.timeout(timeout_s), self._answered:
                await self._answered.wait_for(lambda: len(answered()) >= count)
        except TimeoutError:
            seen = [f"{item.method} {item.path} -> {item.status}" for item in self.requests]
            raise TimeoutError(
                f"{count} answered {method or 'any'} {path_prefix}* requests did not come in "
                f"{timeout_s:g} s; requests so far: {seen}"
            ) from None
        return answered()[count - 1]

    def original_message(self, interaction: Payload) -> Payload:
        """The message of an interaction's original response."""
        record = self._interactions[interaction["token"]]
        if record.original_id is None:
            raise LookupError(f"interaction {interaction['id']} has no original response")
        return self.messages[record.original_id]

    def messages_in(self, channel_id: int) -> list[Payload]:
        """The messages of a channel, oldest first."""
        return [item for item in self.messages.values() if int(item["channel_id"]) == channel_id]

    # -- the web app -------------------------------------------------------------------------

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self._record], client_max_size=256 * 1024 * 1024)
        commands = "/applications/{application_id}/commands"
        guild_commands = "/applications/{application_id}/guilds/{guild_id}/commands"
        hooked = "/webhooks/{application_id}/{token}/messages/{message_id}"
        message = "/channels/{channel_id}/messages/{message_id}"
        routes: list[tuple[str, str, Handler]] = [
            ("GET", "/users/@me", self._current_user),
            ("GET", "/oauth2/applications/@me", self._application),
            ("GET", commands, self._get_commands),
            ("PUT", commands, self._put_commands),
            ("GET", guild_commands, self._get_commands),
            ("PUT", guild_commands, self._put_commands),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._callback),
            ("POST", "/webhooks/{application_id}/{token}", self._follow_up),
            ("GET", hooked, self._get_hooked),
            ("PATCH", hooked, self._edit_hooked),
            ("DELETE", hooked, self._delete_hooked),
            ("GET", "/channels/{channel_id}", self._get_channel),
            ("POST", "/channels/{channel_id}/messages", self._create_message),
            ("POST", "/channels/{channel_id}/typing", self._typing),
            ("GET", message, self._get_message),
            ("PATCH", message, self._edit_message),
            ("DELETE", message, self._delete_message),
        ]
        for method, path, handler in routes:
            app.router.add_route(method, API_PREFIX + path, handler)
        return app

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        recorded = await _read_request(request)
        self.requests.append(recorded)
        request[RECORDED] = recorded
        try:
            response = await self._answer(request, handler)
        except DiscordError as error:
            response = _json(error.body, error.status)
        except (KeyError, TypeError, ValueError) as error:
            # A body the stand-in cannot read is a malformed body to Discord too; a 500 would
            # make discord.py retry for 25 s.
            response = _json({"message": f"Invalid Form Body ({error!r})", "code": 50035}, 400)
        recorded.status = response.status
        if isinstance(response, web.Response) and isinstance(response.body, bytes):
            recorded.response = json.loads(response.body) if response.body else None
        async with self._answered:
            self._answered.notify_all()
        return response

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        refusal = request.match_info.http_exception
        if refusal is None:
            return await handler(request)
        if refusal.status == 405:
            raise DiscordError(405, 0, "405: Method Not Allowed")
        raise DiscordError(404, 0, "404: Not Found")

    def _authorize(self, request: web.Request) -> None:
        if request.headers.get(hdrs.AUTHORIZATION) != f"Bot {self.token}":
            raise DiscordError(401, 0, "401: Unauthorized")

    # -- login and commands ------------------------------------------------------------------

    async def _current_user(self, request: web.Request) -> web.Response:
        self._authorize(request)
        return _json(payloads.current_user(self.bot))

    async def _application(self, request: web.Request) -> web.Response:
        self._authorize(request)
        return _json(payloads.application(self.bot, self.owner))

    def _commands_key(self, request: web.Request) -> int | None:
        self._authorize(request)
        if int(request.match_info["application_id"]) != self.application_id:
            raise DiscordError(403, 50001, "Missing Access")
        guild_id = request.match_info.get("guild_id")
        return None if guild_id is None else int(guild_id)

    async def _get_commands(self, request: web.Request) -> web.Response:
        return _json(self.commands.get(self._commands_key(request), []))

    async def _put_commands(self, request: web.Request) -> web.Response:
        guild_id = self._commands_key(request)
        known = {
            (item["name"], item["type"]): item["id"] for item in self.commands.get(guild_id, [])
        }
        registered = []
        for body in request[RECORDED].json:
            command_type = body.get("type", 1)
            command = {
                "id": known.get((body["name"], command_type)) or str(payloads.snowflake()),
                "application_id": str(self.application_id),
                "version": str(payloads.snowflake()),
                "type": command_type,
                "default_member_permissions": None,
                "nsfw": False,
                "integration_types": [0],
                "contexts": None,
                **body,
            }
            if guild_id is not None:
                command["guild_id"] = str(guild_id)
            registered.append(command)
        self.commands[guild_id] = registered
        return _json(registered)

    # -- interactions ------------------------------------------------------------------------

    def _hooked_record(self, request: web.Request) -> InteractionRecord:
        """The interaction behind a follow-up webhook (the application id and the token)."""
        record = self._interactions.get(request.match_info["token"])
        if record is None or int(request.match_info["application_id"]) != self.application_id:
            raise unknown("Webhook", 10015)
        return record

    async def _callback(self, request: web.Request) -> web.Response:
        record = self._interactions.get(request.match_info["token"])
        if record is None or record.payload["id"] != request.match_info["interaction_id"]:
            raise unknown("interaction", 10062)
        if time.monotonic() - record.received_at >= self.response_deadline_s:
            raise unknown("interaction", 10062)
        if record.callback_type is not None:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        recorded = request[RECORDED]
        body = recorded.payload
        message = self._respond(record, body["type"], body.get("data") or {}, recorded.files)
        record.callback_type = body["type"]
        if request.query.get("with_response") not in ("1", "true", "True"):
            return _no_content()
        return _json(self._callback_response(record, body["type"], message))

    def _respond(
        self,
        record: InteractionRecord,
        callback_type: int,
        data: Payload,
        files: list[RecordedPart],
    ) -> Payload | None:
        """Carry out a callback; returns the message it created or updated, if any."""
        if callback_type in (4, 5):
            if callback_type == 4:
                _check_not_empty(data, files)
            loading = LOADING if callback_type == 5 else 0
            body = {**data, "flags": data.get("flags", 0) | loading}
            message = self._interaction_message(record, body, files)
            record.original_id = int(message["id"])
            record.deferred = callback_type == 5
            return message
        if callback_type in (6, 7):
            message = self.messages[int(record.payload["message"]["id"])]
            record.original_id = int(message["id"])
            if callback_type == 6:
                return None
            self._edit(message, data, files, record.payload["attachment_size_limit"])
            return message
        return None

    def _callback_response(
        self, record: InteractionRecord, callback_type: int, message: Payload | None
    ) -> Payload:
        interaction: Payload = {"id": record.payload["id"], "type": record.payload["type"]}
        if message is None:
            return {"interaction": interaction}
        interaction.update(
            response_message_id=message["id"],
            response_message_loading=bool(message["flags"] & LOADING),
            response_message_ephemeral=bool(message["flags"] & EPHEMERAL),
        )
        return {"interaction": interaction, "resource": {"type": callback_type, "message": message}}

    def _interaction_message(
        self, record: InteractionRecord, body: Payload, files: list[RecordedPart]
    ) -> Payload:
        """A new message sent through an interaction (response or follow-up)."""
        interaction = record.payload
        _check_message_body(body, files, interaction["attachment_size_limit"])
        message_type = CHAT_INPUT_COMMAND_MESSAGE if interaction["type"] == 2 else 0
        channel_id = int(interaction["channel"]["id"])
        message = payloads.message(
            payloads.snowflake(), channel_id, self.bot, message_type=message_type
        )
        message.update(
            webhook_id=str(self.application_id),
            application_id=str(self.application_id),
            flags=body.get("flags", 0) & (SETTABLE_FLAGS | EPHEMERAL | LOADING),
            interaction_metadata=self._metadata(record),
        )
        _apply_body(message, body, files)
        self.messages[int(message["id"])] = message
        record.message_ids.add(int(message["id"]))
        return message

    def _metadata(self, record: InteractionRecord) -> Payload:
        interaction = record.payload
        invoker = interaction["member"]["user"] if "member" in interaction else interaction["user"]
        metadata: Payload = {
            "id": interaction["id"],
            "type": interaction["type"],
            "user": invoker,
            "authorizing_integration_owners": interaction["authorizing_integration_owners"],
        }
        if record.original_id is not None:
            metadata["original_response_message_id"] = str(record.original_id)
        if "message" in interaction:
            metadata["interacted_message_id"] = interaction["message"]["id"]
        return metadata

    def _edit(self, message: Payload, body: Payload, files: list[RecordedPart], limit: int) -> None:
        _check_message_body(body, files, limit)
        _apply_body(message, body, files)
        message["edited_timestamp"] = payloads.timestamp()

    async def _follow_up(self, request: web.Request) -> web.Response:
        record = self._hooked_record(request)
        if record.callback_type is None:
            raise unknown("Webhook", 10015)
        recorded = request[RECORDED]
        body, files = recorded.payload, recorded.files
        _check_not_empty(body, files)
        if record.deferred:
            message = self._finish_deferred(record, body, files)
        else:
            message = self._interaction_message(record, body, files)
        if request.query.get("wait") in ("0", "false", "False"):
            return _no_content()
        return _json(message)

    def _finish_deferred(
        self, record: InteractionRecord, body: Payload, files: list[RecordedPart]
    ) -> Payload:
        """The first follow-up or edit after a deferral fills the "thinking" message."""
        assert record.original_id is not None
        message = self.messages[record.original_id]
        self._edit(message, body, files, record.payload["attachment_size_limit"])
        message["flags"] &= ~LOADING
        record.deferred = False
        return message

    def _hooked_message(self, request: web.Request) -> tuple[InteractionRecord, Payload]:
        record = self._hooked_record(request)
        raw_id = request.match_info["message_id"]
        message_id = record.original_id if raw_id == "@original" else int(raw_id)
        allowed = record.message_ids | {record.original_id}
        if message_id is None or message_id not in allowed or message_id not in self.messages:
            raise unknown("Message", 10008)
        return record, self.messages[message_id]

    async def _get_hooked(self, request: web.Request) -> web.Response:
        return _json(self._hooked_message(request)[1])

    async def _edit_hooked(self, request: web.Request) -> web.Response:
        record, message = self._hooked_message(request)
        recorded = request[RECORDED]
        if record.deferred and int(message["id"]) == record.original_id:
            return _json(self._finish_deferred(record, recorded.payload, recorded.files))
        self._edit(
            message, recorded.payload, recorded.files, record.payload["attachment_size_limit"]
        )
        return _json(message)

    async def _delete_hooked(self, request: web.Request) -> web.Response:
        _, message = self._hooked_message(request)
        del self.messages[int(message["id"])]
        return _no_content()

    # -- channels ----------------------------------------------------------------------------

    def _channel_id(self, request: web.Request) -> int:
        self._authorize(request)
        channel_id = int(request.match_info["channel_id"])
        if channel_id not in self.channels:
            raise unknown("Channel", 10003)
        return channel_id

    def _channel_message(self, request: web.Request) -> Payload:
        channel_id = self._channel_id(request)
        message = self.messages.get(int(request.match_info["message_id"]))
        if message is None or int(message["channel_id"]) != channel_id:
            raise unknown("Message", 10008)
        return message

    async def _get_channel(self, request: web.Request) -> web.Response:
        return _json(self.channels[self._channel_id(request)])

    async def _create_message(self, request: web.Request) -> web.Response:
        channel_id = self._channel_id(request)
        recorded = request[RECORDED]
        body, files = recorded.payload, recorded.files
        _check_not_empty(body, files)
        _check_message_body(body, files, self._attachment_limits[channel_id])
        reference = body.get("message_reference")
        message_type = REPLY_MESSAGE if reference else 0
        message = payloads.message(
            payloads.snowflake(), channel_id, self.bot, message_type=message_type
        )
        if reference:
            message["message_reference"] = {"type": 0, "channel_id": str(channel_id), **reference}
        message["flags"] = body.get("flags", 0) & SETTABLE_FLAGS
        _apply_body(message, body, files)
        self.messages[int(message["id"])] = message
        return _json(message)

    async def _typing(self, request: web.Request) -> web.Response:
        self._channel_id(request)
        return _no_content()

    async def _get_message(self, request: web.Request) -> web.Response:
        return _json(self._channel_message(request))

    async def _edit_message(self, request: web.Request) -> web.Response:
        message = self._channel_message(request)
        recorded = request[RECORDED]
        limit = self._attachment_limits[int(message["channel_id"])]
        self._edit(message, recorded.payload, recorded.files, limit)
        return _json(message)

    async def _delete_message(self, request: web.Request) -> web.Response:
        message = self._channel_message(request)
        del self.messages[int(message["id"])]
        return _no_content()


@asynccontextmanager
async def serve(api: DiscordAPI) -> AsyncIterator[str]:
    """Serve the stand-in on a free loopback port, in this event loop; yields its base URL."""
    runner = web.AppRunner(api.app(), access_log=None)
    await runner.setup()
    listener = socket.create_server(("127.0.0.1", 0))
    await web.SockSite(runner, listener).start()
    host, port = listener.getsockname()[:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()
        listener.close()


@contextmanager
def routed_to(base_url: str) -> Iterator[None]:
    """Point discord.py's REST routes at `base_url` (every `Route` reads `Route.BASE`)."""
    previous = discord.http.Route.BASE
    discord.http.Route.BASE = base_url + API_PREFIX
    try:
        yield
    finally:
        discord.http.Route.BASE = previous
