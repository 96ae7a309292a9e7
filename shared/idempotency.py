"""`Idempotency-Key` on POST: a retry with the same key gets the first response back.

The key is reserved in its own short transaction before the view runs, so a concurrent request
with the same key sees the reservation (→ 409) instead of doing the work twice. A successful
response is stored in the request's own transaction, atomically with the work it reports; a 4xx
is stored separately (the work rolled back); a 5xx frees the key so the client may retry.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import Response, request
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from shared.db import utcnow
from shared.problems import Problem

HEADER = "Idempotency-Key"
STALE_AFTER = timedelta(minutes=2)


def fingerprint() -> str:
    digest = hashlib.sha256()
    digest.update(request.method.encode())
    digest.update(request.full_path.encode())
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def reserve(sessions: sessionmaker[Session], model, principal: str, key: str) -> Response | int:
    """Reserve the key; return the reservation id, or the response to send instead of running the view."""
    if not 1 <= len(key) <= 200:
        raise Problem(400, f"{HEADER} must be 1 to 200 characters.")
    print_ = fingerprint()
    with sessions() as session:
        for _ in range(2):
            record = session.scalar(select(model).where(model.principal == principal, model.key == key))
            if record is None:
                record = model(principal=principal, key=key, fingerprint=print_)
                session.add(record)
                try:
                    session.commit()
                    return record.id
                except IntegrityError:
                    session.rollback()  # someone reserved it between our read and write
                    continue
            if record.fingerprint != print_:
                raise Problem(422, f"This {HEADER} was already used with a different request.")
            if record.status is None:
                if utcnow() - record.created_at > STALE_AFTER:
                    # The process that reserved it died mid-request; take the key over.
                    record.created_at = utcnow()
                    session.commit()
                    return record.id
                raise Problem(409, f"A request with this {HEADER} is still being processed.")
            replay = Response(record.body, status=record.status, content_type=record.content_type)
            if record.location:
                replay.headers["Location"] = record.location
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
    raise Problem(409, f"A request with this {HEADER} is still being processed.")


def _values(response: Response) -> dict:
    return {
        "status": response.status_code,
        "content_type": response.content_type,
        "body": response.get_data(),
        "location": response.headers.get("Location"),
    }


def complete_in(session: Session, model, reservation: int, response: Response) -> None:
    """Store a successful response in the request's own transaction."""
    session.execute(update(model).where(model.id == reservation).values(**_values(response)))


def complete_apart(sessions: sessionmaker[Session], model, reservation: int, response: Response) -> None:
    with sessions() as session:
        if response.status_code >= 500:
            session.execute(delete(model).where(model.id == reservation))
        else:
            session.execute(update(model).where(model.id == reservation).values(**_values(response)))
        session.commit()
