"""The modules that declare jobs, which `voxhall worker` loads (those not installed are skipped)."""

JOB_MODULES: tuple[str, ...] = (
    "mcp_servers.aws.jobs",
    "mcp_servers.github.jobs",
    "tts_service.avatar.jobs",
)
