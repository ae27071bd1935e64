"""Hand the holder role over: the holder asks, the named staff member accepts or declines,
the holder may cancel while it waits. An accepted transfer files an archive copy of the log
(``exports.archive.archive_on_transfer``) in the same transaction."""

from __future__ import annotations

import uuid

from strawberry.types import Info

from auth.policy import Action
from exports.archive import archive_on_transfer
from models import Transfer
from models.base import utcnow
from models.operations import relay_log as log_ops
from models.operations import transfer as ops
from resolvers.mutation import MutationError, WriteScope, write
from resolvers.mutations.hidden import missing, write_on

__all__ = ["accept_transfer", "cancel_transfer", "decline_transfer", "request_transfer"]


async def request_transfer(
    info: Info, log_id: uuid.UUID, to_staff_id: uuid.UUID, reason: str
) -> Transfer | MutationError:
    async def run(scope: WriteScope) -> Transfer:
        log = await log_ops.load_log(scope.session, log_id)
        return await ops.request_transfer(
            scope.session, log, to_staff_id=to_staff_id, reason=reason
        )

    return await write(info, log_id, Action.MANAGE_LOG, run, object_type="Transfer")


async def _answer(info: Info, transfer_id: uuid.UUID, accept: bool) -> Transfer | MutationError:
    not_found = missing("transfer", "transferId")
    transfer = await info.context.loaders.transfer.load(transfer_id)

    async def run(scope: WriteScope, transfer: Transfer) -> Transfer:
        locked = await ops.load_transfer(scope.session, transfer_id, for_update=True)
        scope.ensure(
            recipient=locked.to_staff_id == scope.viewer.staff_id, missing="No such transfer."
        )
        if accept:
            return await ops.accept_transfer(
                scope.session,
                locked,
                now=utcnow(),
                on_accepted=archive_on_transfer(scope.read_as_holder()),
            )
        return await ops.cancel_transfer(scope.session, locked, utcnow())

    return await write_on(
        info, transfer, not_found, Action.ANSWER_TRANSFER, run, object_type="Transfer"
    )


async def accept_transfer(info: Info, transfer_id: uuid.UUID) -> Transfer | MutationError:
    return await _answer(info, transfer_id, accept=True)


async def decline_transfer(info: Info, transfer_id: uuid.UUID) -> Transfer | MutationError:
    return await _answer(info, transfer_id, accept=False)


async def cancel_transfer(info: Info, transfer_id: uuid.UUID) -> Transfer | MutationError:
    not_found = missing("transfer", "transferId")
    transfer = await info.context.loaders.transfer.load(transfer_id)

    async def run(scope: WriteScope, transfer: Transfer) -> Transfer:
        locked = await ops.load_transfer(scope.session, transfer_id, for_update=True)
        return await ops.cancel_transfer(scope.session, locked, utcnow())

    return await write_on(info, transfer, not_found, Action.MANAGE_LOG, run, object_type="Transfer")
