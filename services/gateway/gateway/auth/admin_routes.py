"""Account administration routes under ``/api/tenants/{t}``: HR of the regency (accounts,
one-time passwords, disabling, granted roles) and the platform operator (OIDC provider,
machine clients). The audit trail is read at ``gateway.entrypoints.audit_api``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from ekinerja_shared.errors import NotFound
from ekinerja_shared.http import (
    NipPath,
    TenantHrDep,
    TenantPath,
    TenantSessionDep,
    TenantUowDep,
    allow_self_or,
)
from ekinerja_shared.identity import Caller, Role
from ekinerja_shared.uow import UnitOfWork

from ..entrypoints.deps import OperatorDep

from . import admin
from .keys import SecretBox
from .orm import Client, OidcProvider
from .admin import AccountView
from .sessions import AuthService
from .web import source_of


class OneTimePasswordOut(BaseModel):
    nip: str
    one_time_password: str = Field(description="shown once; must be changed at first sign-in")
    must_change: bool = True


class RolesIn(BaseModel):
    roles: list[str] = Field(max_length=3, description="granted roles: hr, leader, verifier")


class OidcIn(BaseModel):
    issuer: str = Field(min_length=8, max_length=500)
    client_id: str = Field(min_length=1, max_length=200)
    client_secret: str | None = Field(default=None, min_length=1, max_length=500,
                                      description="omit to keep the stored one")
    nip_claim: str = Field(default="nip", min_length=1, max_length=100)
    scopes: str = Field(default="openid profile", max_length=300)
    enabled: bool = True


class OidcOut(BaseModel):
    tenant_id: str
    issuer: str
    client_id: str
    nip_claim: str
    scopes: str
    enabled: bool
    redirect_uri: str
    updated_by: str
    updated_at: dt.datetime


class ClientIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    scopes: list[str] = Field(min_length=1, max_length=20)


class ClientOut(BaseModel):
    client_id: str
    tenant_id: str
    name: str
    scopes: list[str]
    created_by: str
    created_at: dt.datetime
    disabled: bool
    client_secret: str | None = Field(default=None, description="only when created")

    @classmethod
    def of(cls, c: Client, secret: str | None = None) -> "ClientOut":
        return cls(client_id=c.client_id, tenant_id=c.tenant_id, name=c.name,
                   scopes=list(c.scopes), created_by=c.created_by, created_at=c.created_at,
                   disabled=c.disabled_at is not None, client_secret=secret)


SelfOrHrDep = Annotated[Caller, Depends(allow_self_or(Role.HR))]


def build_router(auth: AuthService, box: SecretBox, redirect_uri: Any) -> APIRouter:
    """The decisions are dependencies (taken before a body is read); the use cases run in
    the unit of work bound to the path's regency."""
    router = APIRouter(prefix="/api/tenants/{tenant_id}", tags=["accounts"])

    def oidc_out(p: OidcProvider) -> OidcOut:
        return OidcOut(tenant_id=p.tenant_id, issuer=p.issuer, client_id=p.client_id,
                       nip_claim=p.nip_claim, scopes=p.scopes, enabled=p.enabled,
                       redirect_uri=redirect_uri(p.tenant_id), updated_by=p.updated_by,
                       updated_at=p.updated_at)

    async def view(uow: UnitOfWork, tenant_id: str, nip: str) -> AccountView:
        async with uow.read() as session:
            return await admin.account_view(session, tenant_id, nip)

    # --- HR: accounts ------------------------------------------------------------------------

    @router.get("/accounts", response_model=list[AccountView], summary="Accounts (HR)")
    async def list_accounts(tenant_id: TenantPath, _: TenantHrDep,
                            session: TenantSessionDep) -> list[AccountView]:
        return await admin.account_views(session, tenant_id)

    @router.get("/accounts/{nip}", response_model=AccountView,
                summary="An account (HR, or the person)")
    async def get_account(tenant_id: TenantPath, nip: NipPath, _: SelfOrHrDep,
                          session: TenantSessionDep) -> AccountView:
        return await admin.account_view(session, tenant_id, nip)

    @router.put("/accounts/{nip}/password", response_model=OneTimePasswordOut,
                summary="Set or reset a one-time password (HR); sessions of the account end")
    async def set_password(tenant_id: TenantPath, nip: NipPath, request: Request,
                           caller: TenantHrDep, uow: TenantUowDep) -> OneTimePasswordOut:
        password = await uow.run(admin.set_one_time_password, auth.passwords, caller,
                                 tenant_id, nip, auth.clock(), source_of(request))
        return OneTimePasswordOut(nip=nip, one_time_password=password)

    def switch(disabled: bool) -> Callable[..., Awaitable[AccountView]]:
        async def set_disabled(tenant_id: TenantPath, nip: NipPath, request: Request,
                               caller: TenantHrDep, uow: TenantUowDep) -> AccountView:
            await uow.run(admin.set_disabled, caller, tenant_id, nip, disabled, auth.clock(),
                          source_of(request))
            return await view(uow, tenant_id, nip)

        return set_disabled

    router.post("/accounts/{nip}/disable", response_model=AccountView, name="disable",
                summary="Disable an account (HR): its sessions end")(switch(True))
    router.post("/accounts/{nip}/enable", response_model=AccountView, name="enable",
                summary="Enable an account again (HR)")(switch(False))

    @router.put("/accounts/{nip}/roles", response_model=AccountView,
                summary="Granted roles (HR): hr, leader, verifier")
    async def put_roles(tenant_id: TenantPath, nip: NipPath, caller: TenantHrDep,
                        body: RolesIn, request: Request, uow: TenantUowDep) -> AccountView:
        await uow.run(admin.set_roles, caller, tenant_id, nip, body.roles, auth.clock(),
                      source_of(request))
        return await view(uow, tenant_id, nip)

    # --- operator: identity provider, machine clients --------------------------------------

    @router.get("/oidc", response_model=OidcOut, summary="The regency's OIDC provider")
    async def get_oidc(tenant_id: TenantPath, _: TenantHrDep,
                       session: TenantSessionDep) -> OidcOut:
        provider = await session.get(OidcProvider, tenant_id)
        if provider is None:
            raise NotFound("Instansi ini belum mengatur masuk melalui SSO.",
                           code="oidc_not_configured")
        return oidc_out(provider)

    @router.put("/oidc", response_model=OidcOut,
                summary="Configure the regency's OIDC provider (operator)")
    async def put_oidc(tenant_id: TenantPath, caller: OperatorDep, body: OidcIn,
                       request: Request, uow: TenantUowDep) -> OidcOut:
        return oidc_out(await uow.run(admin.put_oidc_provider, box, caller, tenant_id,
                                      body.model_dump(), auth.clock(), source_of(request)))

    @router.post("/clients", response_model=ClientOut, status_code=201,
                 summary="Create a machine client (operator); the secret is shown once")
    async def create_client(tenant_id: TenantPath, caller: OperatorDep, body: ClientIn,
                            request: Request, uow: TenantUowDep) -> ClientOut:
        client, secret = await uow.run(admin.create_client, caller, tenant_id, body.name,
                                       body.scopes, auth.clock(), source_of(request))
        return ClientOut.of(client, secret)

    @router.get("/clients", response_model=list[ClientOut], summary="Machine clients (HR)")
    async def list_clients(tenant_id: TenantPath, _: TenantHrDep,
                           session: TenantSessionDep) -> list[ClientOut]:
        return [ClientOut.of(c) for c in await admin.list_clients(session, tenant_id)]

    @router.post("/clients/{client_id}/disable", response_model=ClientOut,
                 summary="Disable a machine client (operator)")
    async def disable_client(tenant_id: TenantPath, client_id: str, request: Request,
                             caller: OperatorDep, uow: TenantUowDep) -> ClientOut:
        return ClientOut.of(await uow.run(admin.disable_client, caller, tenant_id, client_id,
                                          auth.clock(), source_of(request)))

    return router
