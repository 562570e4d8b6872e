"""A ZKTeco device in ADMS push mode, as the tests' stand-in for real hardware: it shakes
hands, buffers punches until the server answers OK (so a lost reply makes it send the same
records again), uploads its user table (OPERLOG), polls for commands and reports their
results exactly as the protocol says."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import httpx


@dataclass
class ZKDeviceSimulator:
    client: httpx.AsyncClient
    serial: str
    options: dict[str, str] = field(default_factory=dict)
    users: dict[str, dict[str, str]] = field(default_factory=dict)
    buffer: list[str] = field(default_factory=list)
    stamp: int = 0
    lose_next_replies: int = 0  # server replies "lost in the network"
    results: list[tuple[int, int, str]] = field(default_factory=list)

    async def handshake(self) -> httpx.Response:
        r = await self.client.get("/iclock/cdata", params={
            "SN": self.serial, "options": "all", "pushver": "2.4.1", "language": "69"})
        if r.status_code == 200:
            lines = r.text.splitlines()
            assert lines[0] == f"GET OPTION FROM: {self.serial}", lines[0]
            self.options = dict(line.split("=", 1) for line in lines[1:] if "=" in line)
        return r

    def punch(self, pin: str, when: dt.datetime, status: int = 0, verify: int = 1) -> str:
        """A finger on the sensor: the record is buffered with the device's local time."""
        assert when.tzinfo is None, "devices know only their wall clock"
        line = f"{pin}\t{when:%Y-%m-%d %H:%M:%S}\t{status}\t{verify}\t0\t0\t0\t0\t0\t0"
        self.buffer.append(line)
        return line

    async def upload(self, extra_lines: tuple[str, ...] = ()) -> bool:
        """Push the buffered records; they stay buffered until an OK is received."""
        if not self.buffer and not extra_lines:
            return True
        body = "\r\n".join([*self.buffer, *extra_lines]) + "\r\n"
        r = await self.client.post("/iclock/cdata", params={
            "SN": self.serial, "table": "ATTLOG", "Stamp": str(self.stamp + 1)}, content=body)
        ok = r.status_code == 200 and r.text.startswith("OK")
        if self.lose_next_replies:
            self.lose_next_replies -= 1
            return False
        if ok:
            self.stamp += 1
            self.buffer.clear()
        return ok

    async def upload_users(self) -> httpx.Response:
        body = "\n".join(
            f"USER PIN={pin}\tName={u.get('Name', '')}\tPri={u.get('Pri', '0')}\tPasswd=\t"
            f"Card=\tGrp=1" for pin, u in sorted(self.users.items())
        ) + "\n"
        return await self.client.post("/iclock/cdata", params={
            "SN": self.serial, "table": "OPERLOG", "Stamp": "1"}, content=body)

    async def poll(self) -> list[str]:
        """One command poll: run what the server queued and report the results."""
        r = await self.client.get("/iclock/getrequest", params={"SN": self.serial})
        assert r.status_code == 200, r.text
        commands = [line for line in r.text.splitlines() if line.startswith("C:")]
        if not commands:
            assert r.text.strip() == "OK", r.text
            return []
        report = []
        for line in commands:
            _, cid, command = line.split(":", 2)
            code = self._execute(command)
            self.results.append((int(cid), code, command))
            report.append(f"ID={cid}&Return={code}&CMD={command.split(' ', 1)[0]}")
        r = await self.client.post("/iclock/devicecmd", params={"SN": self.serial},
                                   content="\n".join(report) + "\n")
        assert r.status_code == 200 and r.text == "OK", r.text
        return commands

    def _execute(self, command: str) -> int:
        if command.startswith("DATA UPDATE USERINFO "):
            kv = dict(p.split("=", 1) for p in command.removeprefix("DATA UPDATE USERINFO ")
                      .split("\t") if "=" in p)
            if "PIN" not in kv:
                return -1002
            self.users[kv["PIN"]] = kv
            return 0
        if command.startswith("DATA DELETE USERINFO PIN="):
            self.users.pop(command.removeprefix("DATA DELETE USERINFO PIN=").strip(), None)
            return 0
        if command == "INFO":
            return 0
        return -1004
