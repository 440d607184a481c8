"""QR codes for invitation links, drawn on demand (never stored): a staff member downloads and shares them."""

from __future__ import annotations

import io
from urllib.parse import quote

INVITE_BASE_URL = "https://m.bank.example.cn/invite?code="


def invite_link(code: str, base_url: str = INVITE_BASE_URL) -> str:
    return f"{base_url}{quote(code)}"


def invite_qr_png(code: str, base_url: str = INVITE_BASE_URL) -> bytes:
    """A PNG of the QR code that opens the invitation link for `code`."""
    import qrcode  # imported here: only the codes tab draws one (~70 ms the referral page would pay on every first load)

    image = qrcode.make(invite_link(code, base_url), box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
