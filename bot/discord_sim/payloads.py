"""Discord payloads shaped as Discord sends them, for tests of the bot's Discord edge.

Builders return plain dicts, the way they arrive over the gateway (READY, GUILD_CREATE,
INTERACTION_CREATE) or come back from the REST API (messages), following Discord's documented
objects and discord.py's `discord/types/`: snowflakes are strings, optional fields are present
with their documented defaults.

The default test guild (`guild_create()`) has an @everyone role, an "Ops" approver role and the
bot's managed role; a text, a voice and a stage channel; the bot, the owner, an Ops member
(`OPS_MEMBER_ID`) and a member without roles (`GUEST_ID`); and two voice states. An interaction
gets its origin from `in_guild` (member with permissions computed from roles and channel
overwrites, as Discord computes them) or `in_dm`.

More guilds for one bot: `guild_create(index=n)` is the n-th guild, alike but with its own ids
(`guild_ids(n)`: roles, channels and people; index 0 is the default guild above).
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import discord

Payload = dict[str, Any]
OptionValue = str | int | float | bool | Payload

APPLICATION_ID = 1_310_000_000_000_000_001
BOT_ID = APPLICATION_ID
GUILD_ID = 1_310_000_000_000_000_100
EVERYONE_ROLE_ID = GUILD_ID
OPS_ROLE_ID = 1_310_000_000_000_000_101
BOT_ROLE_ID = 1_310_000_000_000_000_102
TEXT_CHANNEL_ID = 1_310_000_000_000_000_200
VOICE_CHANNEL_ID = 1_310_000_000_000_000_201
STAGE_CHANNEL_ID = 1_310_000_000_000_000_202
DM_CHANNEL_ID = 1_310_000_000_000_000_203
OWNER_ID = 1_310_000_000_000_000_300
OPS_MEMBER_ID = 1_310_000_000_000_000_301
GUEST_ID = 1_310_000_000_000_000_302
COMMAND_ID = 1_310_000_000_000_000_400
APPLICATION_FLAGS = 1 << 19 | 1 << 23
GUILD_STRIDE = 1_000_000
"""The ids of guild n are the default guild's plus n times this."""
FIRST_PERSON_OFFSET = 10
"""`GuildIds.person(1)` is the guest's id plus this."""


@dataclass(frozen=True)
class GuildIds:
    """The ids of one guild of the stand-in: the guild (and its @everyone role), its roles,
    channels and people."""

    index: int
    guild: int
    ops_role: int
    bot_role: int
    text_channel: int
    voice_channel: int
    stage_channel: int
    owner: int
    ops_member: int
    guest: int

    def person(self, number: int) -> int:
        """The user id of the guild's `number`th extra person (1-based), one no other guild has."""
        return self.guest + FIRST_PERSON_OFFSET + number - 1

    def name(self, base: str) -> str:
        """A username in this guild: `base` in the default guild, `base` and the index after."""
        return base if self.index == 0 else f"{base}{self.index}"


def guild_ids(index: int = 0) -> GuildIds:
    """The ids of guild `index` (0: the default guild's constants)."""
    offset = index * GUILD_STRIDE
    return GuildIds(
        index=index,
        guild=GUILD_ID + offset,
        ops_role=OPS_ROLE_ID + offset,
        bot_role=BOT_ROLE_ID + offset,
        text_channel=TEXT_CHANNEL_ID + offset,
        voice_channel=VOICE_CHANNEL_ID + offset,
        stage_channel=STAGE_CHANNEL_ID + offset,
        owner=OWNER_ID + offset,
        ops_member=OPS_MEMBER_ID + offset,
        guest=GUEST_ID + offset,
    )


DEFAULT_ATTACHMENT_LIMIT = 10 * 1024 * 1024
ATTACHMENT_LIMITS = {
    0: DEFAULT_ATTACHMENT_LIMIT,
    1: DEFAULT_ATTACHMENT_LIMIT,
    2: 50 * 1024 * 1024,
    3: 100 * 1024 * 1024,
}

MEMBER_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    read_message_history=True,
    add_reactions=True,
    embed_links=True,
    attach_files=True,
    use_application_commands=True,
    connect=True,
    speak=True,
    use_voice_activation=True,
    request_to_speak=True,
    change_nickname=True,
)
BOT_PERMISSIONS = discord.Permissions(
    view_channel=True,
    send_messages=True,
    read_message_history=True,
    embed_links=True,
    attach_files=True,
    connect=True,
    speak=True,
    use_voice_activation=True,
    request_to_speak=True,
)
DM_APP_PERMISSIONS = discord.Permissions(
    attach_files=True, embed_links=True, mention_everyone=True, use_external_emojis=True
)

_sequence = itertools.count()


def snowflake() -> int:
    """A fresh snowflake for now (time in the high bits, a counter in the low ones)."""
    milliseconds = int(datetime.now(UTC).timestamp() * 1000) - discord.utils.DISCORD_EPOCH
    return milliseconds << 22 | next(_sequence) & 0x3F_FFFF


def timestamp() -> str:
    """Now, as Discord writes timestamps (ISO 8601 with microseconds and offset)."""
    return datetime.now(UTC).isoformat()


def user(user_id: int, username: str, *, bot: bool = False) -> Payload:
    """A user object as it appears in members, messages and interactions."""
    payload: Payload = {
        "id": str(user_id),
        "username": username,
        "discriminator": "0",
        "global_name": None if bot else username.title(),
        "avatar": None,
        "public_flags": 0,
        "primary_guild": None,
        "collectibles": None,
        "avatar_decoration_data": None,
    }
    if bot:
        payload["bot"] = True
    return payload


def bot_user() -> Payload:
    """The bot's own user."""
    return user(BOT_ID, "voxhall", bot=True)


def current_user(bot: Payload) -> Payload:
    """`GET /users/@me` for a bot: the user with its account fields."""
    return {
        **bot,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "locale": "en-US",
        "mfa_enabled": False,
        "verified": True,
        "email": None,
        "premium_type": 0,
    }


def application(bot: Payload, owner: Payload) -> Payload:
    """`GET /oauth2/applications/@me`: the bot's application, owned by one user."""
    return {
        "id": bot["id"],
        "name": bot["username"],
        "icon": None,
        "description": "Voxhall, a voice assistant (test application)",
        "summary": "",
        "type": None,
        "bot": bot,
        "bot_public": False,
        "bot_require_code_grant": False,
        "verify_key": "5f0d7c2ba4c64e5bbd3c1a8a3b1f6d2e9c0a7b4e1f2d3c4b5a69788796a5b4c3",
        "flags": APPLICATION_FLAGS,
        "owner": owner,
        "team": None,
        "approximate_guild_count": 1,
        "approximate_user_install_count": 0,
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "redirect_uris": [],
        "rpc_origins": [],
        "tags": [],
        "integration_types_config": {"0": {}},
        "event_webhooks_status": 1,
    }


def role(
    role_id: int,
    name: str,
    *,
    permissions: discord.Permissions,
    position: int,
    color: int = 0,
    hoist: bool = False,
    mentionable: bool = False,
    managed: bool = False,
    tags: Payload | None = None,
) -> Payload:
    """A guild role."""
    payload: Payload = {
        "id": str(role_id),
        "name": name,
        "description": None,
        "color": color,
        "colors": {"primary_color": color, "secondary_color": None, "tertiary_color": None},
        "hoist": hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions.value),
        "managed": managed,
        "mentionable": mentionable,
        "flags": 0,
    }
    if tags is not None:
        payload["tags"] = tags
    return payload


def overwrite(target_id: int, *, member: bool, allow: int = 0, deny: int = 0) -> Payload:
    """A channel permission overwrite for a role (`member=False`) or a member."""
    return {"id": str(target_id), "type": int(member), "allow": str(allow), "deny": str(deny)}


def _guild_channel(
    channel_id: int,
    name: str,
    channel_type: int,
    position: int,
    overwrites: Sequence[Payload],
    guild_id: int,
) -> Payload:
    return {
        "id": str(channel_id),
        "type": channel_type,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": list(overwrites),
        "parent_id": None,
        "nsfw": False,
        "flags": 0,
    }


def text_channel(
    channel_id: int,
    name: str,
    *,
    position: int = 0,
    overwrites: Sequence[Payload] = (),
    guild_id: int = GUILD_ID,
) -> Payload:
    """A guild text channel (type 0)."""
    return {
        **_guild_channel(channel_id, name, 0, position, overwrites, guild_id),
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "default_auto_archive_duration": 4320,
    }


def voice_channel(
    channel_id: int,
    name: str,
    *,
    position: int = 0,
    overwrites: Sequence[Payload] = (),
    guild_id: int = GUILD_ID,
) -> Payload:
    """A guild voice channel (type 2), with its text chat."""
    return {
        **_guild_channel(channel_id, name, 2, position, overwrites, guild_id),
        "bitrate": 64000,
        "user_limit": 0,
        "rtc_region": None,
        "video_quality_mode": 1,
        "last_message_id": None,
        "rate_limit_per_user": 0,
    }


def stage_channel(
    channel_id: int,
    name: str,
    *,
    position: int = 0,
    overwrites: Sequence[Payload] = (),
    guild_id: int = GUILD_ID,
) -> Payload:
    """A guild stage channel (type 13)."""
    return {
        **_guild_channel(channel_id, name, 13, position, overwrites, guild_id),
        "bitrate": 64000,
        "user_limit": 10000,
        "rtc_region": None,
        "topic": None,
        "last_message_id": None,
        "rate_limit_per_user": 0,
    }


def thread_channel(
    thread_id: int, name: str, *, parent_id: int, owner_id: int, guild_id: int = GUILD_ID
) -> Payload:
    """A public thread (type 11) of a text channel, open; it has no overwrites of its own."""
    return {
        "id": str(thread_id),
        "type": 11,
        "guild_id": str(guild_id),
        "parent_id": str(parent_id),
        "owner_id": str(owner_id),
        "name": name,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "message_count": 0,
        "member_count": 1,
        "total_message_sent": 0,
        "flags": 0,
        "thread_metadata": {
            "archived": False,
            "auto_archive_duration": 1440,
            "archive_timestamp": timestamp(),
            "locked": False,
        },
    }


def member(member_user: Payload, *, role_ids: Iterable[int] = ()) -> Payload:
    """A guild member (without the `permissions` an interaction adds)."""
    return {
        "user": member_user,
        "nick": None,
        "avatar": None,
        "banner": None,
        "roles": [str(role_id) for role_id in role_ids],
        "joined_at": "2026-01-05T10:00:00.000000+00:00",
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }


def voice_state(user_id: int, channel_id: int, *, suppress: bool = False) -> Payload:
    """A voice state inside GUILD_CREATE (no `guild_id`, no `member`)."""
    return {
        "user_id": str(user_id),
        "channel_id": str(channel_id),
        "session_id": secrets.token_hex(16),
        "deaf": False,
        "mute": False,
        "self_deaf": False,
        "self_mute": False,
        "self_stream": False,
        "self_video": False,
        "suppress": suppress,
        "request_to_speak_timestamp": None,
    }


def default_roles(index: int = 0) -> list[Payload]:
    """@everyone, the bot's managed role and "Ops" (the approver role), of guild `index`."""
    ids = guild_ids(index)
    return [
        role(ids.guild, "@everyone", permissions=MEMBER_PERMISSIONS, position=0),
        role(
            ids.bot_role,
            "Voxhall",
            permissions=BOT_PERMISSIONS,
            position=1,
            managed=True,
            tags={"bot_id": str(BOT_ID)},
        ),
        role(
            ids.ops_role,
            "Ops",
            permissions=MEMBER_PERMISSIONS | discord.Permissions(manage_messages=True),
            position=2,
            color=0x3498DB,
            hoist=True,
            mentionable=True,
        ),
    ]


def default_channels(index: int = 0) -> list[Payload]:
    """#general, the "Voice" channel and the "Town Hall" stage, of guild `index`."""
    ids = guild_ids(index)
    return [
        text_channel(ids.text_channel, "general", position=0, guild_id=ids.guild),
        voice_channel(ids.voice_channel, "Voice", position=1, guild_id=ids.guild),
        stage_channel(ids.stage_channel, "Town Hall", position=2, guild_id=ids.guild),
    ]


def default_members(index: int = 0) -> list[Payload]:
    """The bot, the owner, an Ops member and a member without roles, of guild `index`."""
    ids = guild_ids(index)
    return [
        member(bot_user(), role_ids=[ids.bot_role]),
        member(user(ids.owner, ids.name("olivia"))),
        member(user(ids.ops_member, ids.name("alice")), role_ids=[ids.ops_role]),
        member(user(ids.guest, ids.name("bob"))),
    ]


def default_voice_states(index: int = 0) -> list[Payload]:
    """Alice in the voice channel, Bob in the stage audience, of guild `index`."""
    ids = guild_ids(index)
    return [
        voice_state(ids.ops_member, ids.voice_channel),
        voice_state(ids.guest, ids.stage_channel, suppress=True),
    ]


def guild_create(
    *,
    index: int = 0,
    roles: list[Payload] | None = None,
    channels: list[Payload] | None = None,
    members: list[Payload] | None = None,
    voice_states: list[Payload] | None = None,
    premium_tier: int = 0,
) -> Payload:
    """A GUILD_CREATE for the test guild (`index`: the n-th guild, see `guild_ids`);
    `member_count` matches the members, so it is chunked."""
    ids = guild_ids(index)
    members = default_members(index) if members is None else members
    return {
        "id": str(ids.guild),
        "name": "Voxhall Test Guild" + (f" {index}" if index else ""),
        "icon": None,
        "splash": None,
        "discovery_splash": None,
        "banner": None,
        "description": None,
        "owner_id": str(ids.owner),
        "afk_channel_id": None,
        "afk_timeout": 300,
        "verification_level": 1,
        "default_message_notifications": 1,
        "explicit_content_filter": 2,
        "mfa_level": 0,
        "nsfw_level": 0,
        "features": [],
        "roles": default_roles(index) if roles is None else roles,
        "emojis": [],
        "stickers": [],
        "application_id": None,
        "system_channel_id": str(ids.text_channel),
        "system_channel_flags": 0,
        "rules_channel_id": None,
        "public_updates_channel_id": None,
        "safety_alerts_channel_id": None,
        "vanity_url_code": None,
        "premium_tier": premium_tier,
        "premium_subscription_count": 0,
        "premium_progress_bar_enabled": False,
        "preferred_locale": "en-US",
        "max_members": 500000,
        "max_presences": None,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
        "incidents_data": None,
        "joined_at": "2026-01-05T10:00:00.000000+00:00",
        "large": False,
        "lazy": True,
        "member_count": len(members),
        "members": members,
        "channels": default_channels(index) if channels is None else channels,
        "threads": [],
        "presences": [],
        "voice_states": default_voice_states(index) if voice_states is None else voice_states,
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
    }


def ready(bot: Payload, guild_ids: Iterable[int]) -> Payload:
    """READY for a bot: its user, each guild unavailable until its GUILD_CREATE, the application."""
    return {
        "v": 10,
        "user": current_user(bot),
        "guilds": [{"id": str(guild_id), "unavailable": True} for guild_id in guild_ids],
        "session_id": secrets.token_hex(16),
        "resume_gateway_url": "wss://gateway-us-east1-b.discord.gg",
        "shard": [0, 1],
        "application": {"id": str(APPLICATION_ID), "flags": APPLICATION_FLAGS},
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": ["us-east", "us-central"],
        "user_settings": {},
        "session_type": "normal",
        "auth": {},
        "_trace": [],
    }


def guild_member(guild: Payload, user_id: int) -> Payload:
    """The member of `guild` with this user id."""
    return next(item for item in guild["members"] if int(item["user"]["id"]) == user_id)


def guild_channel(guild: Payload, channel_id: int) -> Payload:
    """The channel of `guild` with this id."""
    return next(item for item in guild["channels"] if int(item["id"]) == channel_id)


def permissions_in(guild: Payload, user_id: int, channel: Payload) -> discord.Permissions:
    """A member's permissions in a channel: roles, then @everyone, role and member overwrites."""
    if int(guild["owner_id"]) == user_id:
        return discord.Permissions.all()
    everyone = guild["id"]
    role_ids = {everyone, *guild_member(guild, user_id)["roles"]}
    value = 0
    for item in guild["roles"]:
        if item["id"] in role_ids:
            value |= int(item["permissions"])
    if discord.Permissions(value).administrator:
        return discord.Permissions.all()
    overwrites = {item["id"]: item for item in channel.get("permission_overwrites", [])}
    for targets in ([everyone], sorted(role_ids - {everyone}), [str(user_id)]):
        allow = deny = 0
        for target in targets:
            if target in overwrites:
                allow |= int(overwrites[target]["allow"])
                deny |= int(overwrites[target]["deny"])
        value = value & ~deny | allow
    return discord.Permissions(value)


def in_guild(guild: Payload, user_id: int, *, channel_id: int | None = None) -> Payload:
    """The origin fields of an interaction by a guild member in one of the guild's channels
    (None: its system channel, #general)."""
    channel = guild_channel(guild, channel_id or int(guild["system_channel_id"]))
    return {
        "guild_id": guild["id"],
        "guild": {
            "id": guild["id"],
            "locale": guild["preferred_locale"],
            "features": guild["features"],
        },
        "guild_locale": guild["preferred_locale"],
        "channel_id": channel["id"],
        "channel": channel,
        "member": {
            **guild_member(guild, user_id),
            "permissions": str(permissions_in(guild, user_id, channel).value),
        },
        "app_permissions": str(permissions_in(guild, BOT_ID, channel).value),
        "locale": "en-US",
        "context": 0,
        "authorizing_integration_owners": {"0": guild["id"]},
        "entitlements": [],
        "attachment_size_limit": ATTACHMENT_LIMITS[guild["premium_tier"]],
    }


def in_dm(dm_user: Payload, *, channel_id: int = DM_CHANNEL_ID) -> Payload:
    """The origin fields of an interaction in the user's DM with the bot (no guild, no member)."""
    return {
        "channel_id": str(channel_id),
        "channel": {
            "id": str(channel_id),
            "type": 1,
            "last_message_id": None,
            "flags": 0,
            "recipients": [dm_user],
        },
        "user": dm_user,
        "app_permissions": str(DM_APP_PERMISSIONS.value),
        "locale": "en-US",
        "context": 1,
        "authorizing_integration_owners": {"0": "0"},
        "entitlements": [],
        "attachment_size_limit": DEFAULT_ATTACHMENT_LIMIT,
    }


def _interaction(interaction_type: int, data: Payload, origin: Payload) -> Payload:
    return {
        "id": str(snowflake()),
        "application_id": str(APPLICATION_ID),
        "type": interaction_type,
        "data": data,
        "token": secrets.token_urlsafe(120),
        "version": 1,
        **origin,
    }


def _option(name: str, value: OptionValue) -> Payload:
    if isinstance(value, dict):
        return {"name": name, "type": 7, "value": value["id"]}
    if isinstance(value, bool):
        return {"name": name, "type": 5, "value": value}
    if isinstance(value, int):
        return {"name": name, "type": 4, "value": value}
    if isinstance(value, float):
        return {"name": name, "type": 10, "value": value}
    return {"name": name, "type": 3, "value": value}


def _resolved_channels(options: Mapping[str, OptionValue], origin: Payload) -> Payload:
    permissions = origin.get("member", {}).get("permissions", origin["app_permissions"])
    return {
        value["id"]: {**value, "permissions": permissions}
        for value in options.values()
        if isinstance(value, dict)
    }


def slash_command(
    name: str,
    options: Mapping[str, OptionValue] | None = None,
    *,
    origin: Payload,
    command_id: int = COMMAND_ID,
    command_guild_id: int | None = None,
) -> Payload:
    """A chat-input command interaction (type 2).

    `name` is the full command name: "voxhall join" is subcommand "join" of "voxhall", and a
    third word makes the middle one a group. Option values become typed options: `str` STRING
    (a choice's value too), `bool` BOOLEAN, `int` INTEGER, `float` NUMBER, and a channel
    payload CHANNEL, with the channel in `resolved`. `command_guild_id` marks a guild command.
    """
    options = options or {}
    top, *nested = name.split()
    command_options = [_option(option_name, value) for option_name, value in options.items()]
    for depth, word in reversed(list(enumerate(nested))):
        option_type = 1 if depth == len(nested) - 1 else 2
        command_options = [{"name": word, "type": option_type, "options": command_options}]
    data: Payload = {"id": str(command_id), "name": top, "type": 1, "options": command_options}
    channels = _resolved_channels(options, origin)
    if channels:
        data["resolved"] = {"channels": channels}
    if command_guild_id is not None:
        data["guild_id"] = str(command_guild_id)
    return _interaction(2, data, origin)


def component_ids(message: Payload) -> dict[str, int | None]:
    """Each custom id in a message's components, with the component's numeric id if it has one."""
    found: dict[str, int | None] = {}
    pending = list(message.get("components", []))
    while pending:
        component = pending.pop()
        pending.extend(component.get("components", []))
        if "custom_id" in component:
            found[component["custom_id"]] = component.get("id")
    return found


def button_click(message: Payload, custom_id: str, *, origin: Payload) -> Payload:
    """A click on the button `custom_id` of `message` (a message payload the API returned)."""
    ids = component_ids(message)
    if custom_id not in ids:
        raise KeyError(f"message {message['id']} has no component {custom_id!r}: {sorted(ids)}")
    data: Payload = {"custom_id": custom_id, "component_type": 2}
    if ids[custom_id] is not None:
        data["id"] = ids[custom_id]
    return {**_interaction(3, data, origin), "message": message}


def attachment(attachment_id: int, channel_id: int, filename: str, size: int) -> Payload:
    """An uploaded attachment as a message carries it."""
    url = f"https://cdn.discordapp.com/attachments/{channel_id}/{attachment_id}/{filename}"
    return {
        "id": str(attachment_id),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url.replace("cdn.discordapp.com", "media.discordapp.net"),
        "flags": 0,
    }


def message(message_id: int, channel_id: int, author: Payload, *, message_type: int = 0) -> Payload:
    """An empty message as the REST API returns it; callers fill content and the rest."""
    return {
        "id": str(message_id),
        "type": message_type,
        "channel_id": str(channel_id),
        "author": author,
        "content": "",
        "timestamp": timestamp(),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "components": [],
        "pinned": False,
        "flags": 0,
    }
