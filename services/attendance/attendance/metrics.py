"""Attendance-specific Prometheus metrics, on the service's registry."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge


@dataclass
class AttendanceMetrics:
    registry: CollectorRegistry

    def __post_init__(self) -> None:
        r = self.registry
        self.attlog_lines = Counter(
            "ekinerja_attendance_attlog_lines_total",
            "ATTLOG lines received from devices, by outcome (recorded, duplicate, quarantined)",
            ["outcome"], registry=r,
        )
        self.attlog_quarantined = Counter(
            "ekinerja_attendance_attlog_quarantined_total",
            "ATTLOG lines kept in quarantine, by reason code", ["reason"], registry=r,
        )
        self.unknown_device_requests = Counter(
            "ekinerja_attendance_unknown_device_requests_total",
            "Device protocol requests refused because the serial is not registered",
            ["endpoint"], registry=r,
        )
        self.oversized_uploads = Counter(
            "ekinerja_attendance_oversized_uploads_total",
            "Device protocol bodies refused (413) for exceeding EK_ICLOCK_MAX_BODY_BYTES",
            ["endpoint"], registry=r,
        )
        self.devices_online = Gauge(
            "ekinerja_attendance_devices_online", "Registered devices seen recently", registry=r,
        )
        self.devices_offline = Gauge(
            "ekinerja_attendance_devices_offline",
            "Registered devices silent longer than the offline threshold", registry=r,
        )
        self.device_online = Gauge(
            "ekinerja_attendance_device_online", "1 when the device was seen recently, else 0",
            ["tenant_id", "serial_number"], registry=r,
        )
