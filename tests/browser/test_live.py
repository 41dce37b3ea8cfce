"""The kitchen and the customer in two browser contexts: the customer's order page follows the
order as staff move it along, and the kitchen board shows a new order without a reload."""

import re

import pytest
from playwright.async_api import Browser, Page, expect

from ..helpers import Server
from .test_journeys import accessible, screenshot

pytestmark = [pytest.mark.server, pytest.mark.browser]


async def register(page: Page, username: str) -> None:
    await page.goto("/register")
    await page.fill("#username", username)
    await page.fill("#password", "pepperoni4ever")
    await page.get_by_role("button", name="Register").click()
    await expect(page).to_have_url(re.compile(r"/dashboard$"))


async def test_the_customer_sees_the_kitchen_move_the_order(
    browser: Browser, server: Server
) -> None:
    staff_context = await browser.new_context(base_url=server.url)
    customer_context = await browser.new_context(base_url=server.url)
    try:
        kitchen = await staff_context.new_page()
        await register(kitchen, "chef")
        await server.db.make_staff("chef")
        await kitchen.goto("/kitchen")
        await expect(kitchen.locator("h1")).to_have_text("Kitchen")
        await expect(kitchen.locator(".ticket")).to_have_count(0)

        customer = await customer_context.new_page()
        await customer.goto("/")
        await customer.select_option("#pizza", label="Funghi")
        await customer.get_by_role("button", name="Order now").click()
        await expect(customer).to_have_url(re.compile(r"/success$"))
        await expect(customer.locator("[data-status]")).to_have_attribute("data-status", "placed")
        await customer.get_by_role("link", name="Order page").click()
        await expect(customer).to_have_url(re.compile(r"/orders/\d+$"))
        order_id = customer.url.rsplit("/", 1)[1]
        badge = customer.locator("#order-page [data-status]")
        await expect(badge).to_have_attribute("data-status", "placed")

        # The new order reaches the open kitchen board without a reload.
        ticket = kitchen.locator(f'.ticket[data-order-id="{order_id}"]')
        await expect(ticket).to_have_attribute("data-status", "placed")
        await expect(ticket).to_contain_text("Funghi")
        await accessible(kitchen)

        for status in ("preparing", "baking", "ready"):
            await ticket.get_by_role("button", name=re.compile(f"^{status}", re.I)).click()
            await expect(ticket).to_have_attribute("data-status", status)
            await expect(badge).to_have_attribute("data-status", status)
            await expect(badge).to_have_text(status.capitalize())
        # The customer may cancel only while placed: the button went with the first move.
        await expect(customer.locator("#cancel-form")).to_have_count(0)
        await expect(customer.locator("#timeline li")).to_have_count(4)
        await accessible(customer)
        await screenshot(kitchen, "kitchen")
        await screenshot(customer, "order-live")

        await ticket.get_by_role("button", name=re.compile("^completed", re.I)).click()
        await expect(badge).to_have_attribute("data-status", "completed")
        await expect(ticket).to_have_count(0)  # off the board: no longer open
        # Without JavaScript's help, a reload shows the same.
        await customer.reload()
        await expect(badge).to_have_attribute("data-status", "completed")
        await expect(customer.locator("#timeline li")).to_have_count(5)
    finally:
        await staff_context.close()
        await customer_context.close()
