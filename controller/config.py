"""Settings, read once from the environment. Every setting and its default is in docs/configuration.md."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class EslAddress:
    host: str
    port: int
    password: str = field(repr=False)

    def __str__(self) -> str:  # never print the password
        return f"esl://{self.host}:{self.port}"


def parse_esl_url(url: str) -> EslAddress:
    """Parse ``esl://:password@host:port`` (FreeSWITCH's default port 8021, password ClueCon)."""
    parts = urlsplit(url)
    if parts.scheme != "esl":
        raise ValueError(f"FREESWITCH_ESL must look like esl://:password@host:8021, got scheme {parts.scheme!r}")
    return EslAddress(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 8021,
        password=unquote(parts.password) if parts.password is not None else "ClueCon",
    )


@dataclass
class Settings:
    esl: EslAddress | None = None
    database_url: str = "sqlite:///var/switchdesk.db"
    secret_key: str = field(default="", repr=False)
    web_host: str = "127.0.0.1"
    web_port: int = 5000
    recordings_dir: str = "var/recordings"
    command_timeout: float = 5.0
    heartbeat_timeout: float = 45.0
    reconnect_max_delay: float = 10.0
    ring_timeout: float = 20.0
    wrapup_seconds: float = 30.0
    demo_call_interval: float = 20.0
    demo_hangup_after: float = 90.0
    hold_music: str = "local_stream://moh"
    gateway: str = "carrier"
    default_region: str = "US"
    caller_id_number: str = "0000000000"
    conference_profile: str = "default"
    privacy_shield_seconds: int = 30
    agent_dial: str = "user/{extension}"
    #: FreeSWITCH's configuration folder, where published IVR menus and dialplan are written
    fs_conf_dir: str = "var/freeswitch-conf"

    @classmethod
    def from_env(cls, env: dict | None = None) -> "Settings":
        env = os.environ if env is None else env
        esl = parse_esl_url(env["FREESWITCH_ESL"]) if env.get("FREESWITCH_ESL") else None
        return cls(
            esl=esl,
            database_url=env.get("DATABASE_URL", cls.database_url),
            secret_key=env.get("SWITCHDESK_SECRET_KEY", ""),
            web_host=env.get("SWITCHDESK_HOST", cls.web_host),
            web_port=int(env.get("SWITCHDESK_PORT", cls.web_port)),
            recordings_dir=env.get("SWITCHDESK_RECORDINGS", cls.recordings_dir),
            command_timeout=float(env.get("SWITCHDESK_COMMAND_TIMEOUT", cls.command_timeout)),
            heartbeat_timeout=float(env.get("SWITCHDESK_HEARTBEAT_TIMEOUT", cls.heartbeat_timeout)),
            reconnect_max_delay=float(env.get("SWITCHDESK_RECONNECT_MAX_DELAY", cls.reconnect_max_delay)),
            ring_timeout=float(env.get("SWITCHDESK_RING_TIMEOUT", cls.ring_timeout)),
            wrapup_seconds=float(env.get("SWITCHDESK_WRAPUP_SECONDS", cls.wrapup_seconds)),
            demo_call_interval=float(env.get("SWITCHDESK_DEMO_CALL_INTERVAL", cls.demo_call_interval)),
            demo_hangup_after=float(env.get("SWITCHDESK_DEMO_HANGUP_AFTER", cls.demo_hangup_after)),
            hold_music=env.get("SWITCHDESK_HOLD_MUSIC", cls.hold_music),
            gateway=env.get("SWITCHDESK_GATEWAY", cls.gateway),
            default_region=env.get("SWITCHDESK_DEFAULT_REGION", cls.default_region),
            caller_id_number=env.get("SWITCHDESK_CALLER_ID", cls.caller_id_number),
            conference_profile=env.get("SWITCHDESK_CONFERENCE_PROFILE", cls.conference_profile),
            privacy_shield_seconds=int(env.get("SWITCHDESK_PRIVACY_SHIELD_SECONDS", cls.privacy_shield_seconds)),
            agent_dial=env.get("SWITCHDESK_AGENT_DIAL", cls.agent_dial),
            fs_conf_dir=env.get("SWITCHDESK_FS_CONF_DIR", cls.fs_conf_dir),
        )
