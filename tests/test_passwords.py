from quart_pizza.passwords import Passwords


def cheap() -> Passwords:
    return Passwords(time_cost=1, memory_kib=64, parallelism=1)


async def test_hash_and_verify() -> None:
    passwords = cheap()
    stored = await passwords.hash("pepperoni4ever")
    assert stored.startswith("$argon2id$")
    assert await passwords.verify(stored, "pepperoni4ever")
    assert not await passwords.verify(stored, "pepperoni4eveR")
    assert not await passwords.verify("not a hash", "pepperoni4ever")


async def test_unknown_user_costs_a_real_verification() -> None:
    """No hash (unknown user) still runs argon2 against a reference hash, then says no."""
    passwords = cheap()
    assert passwords._reference_hash is None
    assert not await passwords.verify(None, "anything at all")
    reference = passwords._reference_hash
    assert reference is not None and reference.startswith("$argon2id$v=19$m=64,t=1,p=1$")
    # Even the reference hash's own password is refused for an unknown user.
    assert not await passwords.verify(None, "anything at all")


def test_needs_rehash_follows_the_cost_settings() -> None:
    weak = cheap()
    strong = Passwords(time_cost=2, memory_kib=64, parallelism=1)
    stored = weak._hasher.hash("x" * 8)
    assert not weak.needs_rehash(stored)
    assert strong.needs_rehash(stored)
