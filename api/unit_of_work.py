"""One unit of work per request, handed to the services (a FastAPI dependency).

The engine behind it is the one the app was created with (`create_app`, the API's
composition root); services open, commit or roll back its transaction themselves.
"""

from typing import Annotated

from fastapi import Depends, Request

from storage.unit_of_work import UnitOfWork


def request_unit_of_work(request: Request) -> UnitOfWork:
    return UnitOfWork(request.app.state.engine)


RequestUnitOfWork = Annotated[UnitOfWork, Depends(request_unit_of_work)]
