"""`voxhall demo --discord`: the demo's conversation through the real Discord bot.

Instead of the conversation core's local ports, the lines go through the Discord edge: the
real `VoxhallBot` runs against the local Discord stand-in (`bot.discord_sim`: REST, gateway,
the voice gateway with DAVE, RTP over UDP) as it would against Discord, with its own service
clients, voice session, responder and clip poster. Alice runs `/join`, Bob comes over from
the stage channel, and the people say the script's lines as Opus in the call, each on the cue
`CuedVoiceSource` would play it on (the bot quiet for a while, or talking for a while). The bot
counts as talking while its voice arrives in the call (a voiced packet in the last 100 ms)
and as busy while its conversation handles what it heard.

What the bot posts in the text channel comes from the REST stand-in's record and goes to the
demo's `TerminalChannel`: messages are printed, clips written to the output folder; its
approval prompt is decided like the plain demo's (`--yes`, the terminal, or no) and answered
by Alice pressing Approve or Deny. Once the last reply is over and its clip posted, Alice runs
`/leave`. The run is the plain demo's `DemoRun`: the bot's conversation state, the text
channel and the bot's voice as the call heard it.
"""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path

from rich.console import Console

from bot.conversation.local import CuedSpeech, CuedVoiceSource
from bot.conversation.turns import ChannelConversation
from bot.demo.script import NAMES, REPLY_PARAMS, WAKE_NAMES, cued_script
from bot.discord_bot import VoxhallBot
from bot.discord_session import VoiceSession
from bot.discord_sim import payloads
from bot.discord_sim.call import Call
from bot.discord_sim.payloads import GUEST_ID, OPS_MEMBER_ID, TEXT_CHANNEL_ID, Payload
from bot.discord_sim.rest import RecordedRequest
from bot.discord_sim.sim import DiscordSim
from ledgers.services import LocalServices
from stack.demo.run import DemoRun
from stack.demo.terminal import LiveTranscript, TerminalChannel, alongside
from stack.settings import Settings

PEOPLE = {"alice": OPS_MEMBER_ID, "bob": GUEST_ID}
"""The script's speakers as members of the stand-in's guild (Alice has the "Ops" role)."""
APPROVER_ROLE = "Ops"
SPEAKING_WINDOW_S = 0.1
SETTLE_S = 1.2
"""Quiet after each line and before the end, as `CuedVoiceSource` keeps."""
POLL_S = 0.05
WAIT_TIMEOUT_S = 30.0
CLICK_TRIES = 10
CLICK_ANSWER_S = 1.0
APPROVE, DENY = "voxhall:approve:", "voxhall:deny:"


def discord_bot_settings(settings: Settings, services: LocalServices, state_file: Path) -> Settings:
    """The bot's settings: the demo's services and wake names, clips on, its state in
    `state_file`, members with the "Ops" role approving tool calls."""
    bot = settings.bot.model_copy(
        update={
            "stt_url": services.stt_url,
            "tts_url": services.tts_url,
            "llm_url": services.llm_url,
            "wake_names": WAKE_NAMES,
            "clips": True,
            "state_file": state_file,
        }
    )
    discord = settings.discord.model_copy(update={"approver_roles": APPROVER_ROLE})
    return settings.model_copy(update={"bot": bot, "discord": discord})


async def until(condition: Callable[[], object], what: str) -> None:
    """Wait until `condition()` is true (at most `WAIT_TIMEOUT_S`)."""
    deadline = time.monotonic() + WAIT_TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen in {WAIT_TIMEOUT_S:g} s")
        await asyncio.sleep(POLL_S)


class BotInCall:
    """The bot as the people in the call can tell: busy handling what it heard, or talking."""

    def __init__(self, bot: VoxhallBot, guild_id: int, call: Call) -> None:
        self.bot = bot
        self.guild_id = guild_id
        self.call = call

    @property
    def session(self) -> VoiceSession:
        return self.bot.sessions[self.guild_id]

    @property
    def conversation(self) -> ChannelConversation:
        conversation = self.session.conversation
        assert conversation is not None, "the bot is listening"
        return conversation

    def busy(self) -> bool:
        return self.conversation.busy

    def speaking(self) -> bool:
        """The bot's voice arrived in the call within the last `SPEAKING_WINDOW_S`."""
        since = time.monotonic() - SPEAKING_WINDOW_S
        for packet in reversed(self.call.heard):
            if packet.at < since:
                return False
            if packet.pcm:
                return True
        return False

    async def cue(self, speech: CuedSpeech) -> None:
        """Wait for `speech`'s cue by `CuedVoiceSource`'s own rules: a source of the cue alone
        (no audio, no settling) yields nothing and ends once the cue came."""
        cue_only = CuedVoiceSource([replace(speech, pcm=b"")], self.busy, self.speaking, 0.0)
        async for _ in cue_only.frames():
            pass

    async def quiet_for(self, seconds: float) -> None:
        """Wait until the bot has been neither busy nor talking for `seconds`."""
        async for _ in CuedVoiceSource([], self.busy, self.speaking, seconds).frames():
            pass


def approval_summary(content: str) -> str:
    """The tool call's summary in the bot's approval prompt (its quoted line)."""
    quoted = [line.removeprefix("> ") for line in content.splitlines() if line.startswith("> ")]
    return quoted[0] if quoted else content


class PostedFeed:
    """Hands what the bot posted in the text channel, as the REST stand-in recorded it, to the
    demo's `TerminalChannel`; approval prompts are decided there and answered by `approver`
    pressing the button."""

    def __init__(self, sim: DiscordSim, channel: TerminalChannel, approver: int) -> None:
        self.sim = sim
        self.channel = channel
        self.approver = approver
        self._handled = 0
        self._approvals: list[asyncio.Task[None]] = []

    def _posts(self) -> list[RecordedRequest]:
        path = f"/channels/{TEXT_CHANNEL_ID}/messages"
        return [item for item in self.sim.api.requests_to(path, "POST") if item.path == path]

    async def catch_up(self) -> None:
        """Hand on the posts answered so far, in order."""
        posts = self._posts()
        while self._handled < len(posts) and posts[self._handled].status is not None:
            post = posts[self._handled]
            self._handled += 1
            if post.status == 200:
                await self._hand_on(post)

    async def _hand_on(self, post: RecordedRequest) -> None:
        message: Payload = post.response
        if any(custom_id.startswith(APPROVE) for custom_id in payloads.component_ids(message)):
            self._approvals.append(asyncio.create_task(self._answer(message)))
        elif post.files:
            for part in post.files:
                await self.channel.post_file(part.filename or part.name, part.data)
        else:
            await self.channel.post_message(message["content"])

    async def _answer(self, prompt: Payload) -> None:
        approved = await self.channel.decide(approval_summary(prompt["content"]))
        prefix = APPROVE if approved else DENY
        custom_id = next(i for i in payloads.component_ids(prompt) if i.startswith(prefix))
        for _ in range(CLICK_TRIES):  # the bot routes clicks once its View is stored
            await self.sim.click(prompt, custom_id, user_id=self.approver)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(CLICK_ANSWER_S):
                    await until(lambda: self._decided(prompt), "the decision")
                return
        raise TimeoutError("the bot did not take the approval click")

    def _decided(self, prompt: Payload) -> bool:
        return not self.sim.api.messages[int(prompt["id"])]["components"]

    @contextlib.asynccontextmanager
    async def following(self) -> AsyncIterator[None]:
        """Hand posts on as they come while the block runs; then the rest, approvals answered."""

        async def follow() -> None:
            while True:
                await self.catch_up()
                await asyncio.sleep(POLL_S)

        try:
            async with alongside(follow()):
                yield
        finally:
            await self.catch_up()
            await asyncio.gather(*self._approvals)


async def join_call(sim: DiscordSim, bot: VoxhallBot, console: Console) -> BotInCall:
    """Alice runs /join; once the bot is in the call's DAVE group, Bob joins the channel."""
    console.print("[dim]          Alice runs /join[/]")
    await sim.command("join", user_id=PEOPLE["alice"])
    call = sim.call()
    await asyncio.wait_for(call.bot_ready.wait(), WAIT_TIMEOUT_S)
    await until(lambda: sim.guild_id in bot.sessions, "the bot's voice session")
    console.print("[dim]          Bob joins the voice channel[/]")
    await sim.join_voice(sim.person(PEOPLE["bob"]))
    return BotInCall(bot, sim.guild_id, call)


async def leave_call(sim: DiscordSim, bot: BotInCall, console: Console) -> None:
    """Alice runs /leave; the bot leaves the call."""
    console.print("[dim]          Alice runs /leave[/]")
    await sim.command("leave", user_id=PEOPLE["alice"])
    await until(lambda: bot.call.link is None, "the bot leaving the call")


def answer_like_the_plain_demo(conversation: ChannelConversation) -> None:
    """The plain demo's reply settings (length, temperature, seed), so both answer alike."""
    options = conversation.pipeline.options
    params = {**options.model_params, **REPLY_PARAMS}
    conversation.pipeline.options = replace(options, model_params=params)


async def play_lines(sim: DiscordSim, bot: BotInCall) -> None:
    """Each line said in the call on its cue, as `CuedVoiceSource` plays them."""
    for speech in cued_script():
        await bot.cue(speech)
        await sim.say(sim.person(PEOPLE[speech.speaker]), speech.pcm)
        await asyncio.sleep(SETTLE_S)
    await bot.quiet_for(SETTLE_S)


async def converse_in_guild(sim: DiscordSim, bot: VoxhallBot, console: Console) -> BotInCall:
    """Join, play the lines until the last reply, clip and job are done, and leave."""
    in_call = await join_call(sim, bot, console)
    answer_like_the_plain_demo(in_call.conversation)
    names = {str(user_id): NAMES[speaker] for speaker, user_id in PEOPLE.items()}
    async with LiveTranscript(console, names).following(in_call.conversation.state):
        await play_lines(sim, in_call)
        await in_call.session.clips.wait()
        await in_call.session.jobs.wait()
    return in_call


async def converse_over_discord(
    services: LocalServices,
    out_dir: Path,
    approve_all: bool,
    console: Console,
    settings: Settings | None = None,
) -> DemoRun:
    """Play the script through the real bot and the Discord stand-in; the run as the plain
    demo's `converse` returns it."""
    channel = TerminalChannel(console, out_dir, approve_all)
    with tempfile.TemporaryDirectory(prefix="voxhall-demo-bot-") as state_dir:
        state_file = Path(state_dir) / "bot.json"
        bot_settings = discord_bot_settings(settings or Settings(), services, state_file)
        async with DiscordSim() as sim, sim.running(VoxhallBot(bot_settings)) as bot:
            feed = PostedFeed(sim, channel, approver=PEOPLE["alice"])
            async with feed.following():
                in_call = await converse_in_guild(sim, bot, console)
                state = in_call.conversation.state
            await leave_call(sim, in_call, console)
    speakers = {str(user_id): speaker for speaker, user_id in PEOPLE.items()}
    return DemoRun(state, channel, in_call.call.heard_pcm(), speakers)
