"""`/hotels/{hotel_slug}/analytics` (written in the next step)."""

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
