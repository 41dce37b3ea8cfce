from quart.typing import TestClientProtocol as Client

from quart_pizza.web.templating import format_cents


async def test_pages_still_see_the_request_and_session(client: Client) -> None:
    html = await (await client.get("/")).get_data(as_text=True)
    assert 'name="csrf_token"' in html  # csrf_token() reads the session


def test_money() -> None:
    assert format_cents(0) == "$0.00"
    assert format_cents(1550) == "$15.50"
    assert format_cents(123456) == "$1234.56"
