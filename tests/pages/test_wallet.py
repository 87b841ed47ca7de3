"""The customer's wallet page in Chromium, against the server reading balances on anvil:
login (and a wrong password), every coin of two wallets with its rate and fiat value and the
total as the holdings service computes them, the SVG rate chart, the history (a purchase,
e-money bought, a location reward), campaigns near the browser's geolocation and near a
typed position, the phone layout, the CSP and CSRF, and axe."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from eth_account import Account
from eth_utils import keccak
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import Engine, func, select, update

from coinpos.customers.holdings import Holding, customer_wallets, wallet_holdings
from coinpos.customers.service import add_account, record_wallet
from coinpos.db.models import (
    CustomerSession,
    ExchangeRate,
    Invoice,
    InvoiceStatus,
    LoginFailure,
)
from coinpos.db.types import utcnow
from coinpos.invoices.service import Issuer, NewInvoice, issue_invoice
from coinpos.issuance.chain import ApeMinter
from coinpos.issuance.service import FiatPayment, buy_emoney
from coinpos.mining.fixes import ClaimRequest, Fix
from coinpos.mining.geo import destination_e6
from coinpos.mining.nearby import campaigns_near
from coinpos.mining.oracle import CampaignTerms, ClaimOracle
from coinpos.mining.signing import LocalKeySigner
from coinpos.pages.customer_session import CUSTOMER_COOKIE
from coinpos.pages.wallet_view import distance_text, fiat_text, short
from coinpos.pages.web import CONTENT_SECURITY_POLICY
from coinpos.rates.service import set_rate
from coinpos.server.app import create_app
from coinpos.server.settings import ServerSettings
from coinpos.tracker.rpc import JsonRpcClient
from coinpos.unit_of_work import UnitOfWork
from tests.chainops.conftest import CHAIN_ID, Shop
from tests.contracts.wallet.conftest import factory  # noqa: F401
from tests.offchain.factories import PASSWORD, make_customer
from tests.pages.conftest import PHONE, TABLET, horizontal_overflow, log_in, screenshot
from tests.pages.test_accessibility import _violations
from tests.server.live import serving

GEO_CONTRACT = "0x" + "ab" * 20
CITY_HALL = (37_566_535, 126_977_969)  # Seoul City Hall
BUSAN = (35_179_554, 129_075_642)
ACTION_NAME = "scan-the-poster"
ACTION = keccak(text=ACTION_NAME)
ZERO = "0x" + "00" * 20
# CPW rates in KRW over the last hours (oldest first); the newest is the current one.
CPW_RATES = ("990", "1005.5", "1010", "998", "1002.25", "1000.5")
ETH_RATE = Decimal("4500001.5")
BOUGHT_KRW = Decimal("5000")


@dataclass
class Wallets:
    server: str
    engine: Engine
    rpc_url: str
    customer_id: int
    wallet_a: str
    wallet_b: str
    invoice_hash: str
    mint_reference: str
    reward_claim: str
    now: int

    def holdings(self) -> list[tuple[str, list[tuple[str, Decimal, Decimal]]]]:
        """What the holdings service itself says, in KRW: per wallet, (coin, value, rate)."""
        rpc = JsonRpcClient(self.rpc_url)
        try:
            with UnitOfWork(self.engine) as uow:
                wallets = customer_wallets(uow, self.customer_id)
                found = wallet_holdings(uow, wallets, rpc, "KRW")
                return [(w.wallet.address, [_valued(h) for h in w.holdings]) for w in found]
        finally:
            rpc.close()


def _valued(holding: Holding) -> tuple[str, Decimal, Decimal]:
    assert holding.coin is not None and holding.value is not None
    return holding.coin.symbol, holding.value.value, holding.value.rate


def _campaign(campaign_id: int, centre: tuple[int, int], now: int, **changes: Any) -> CampaignTerms:
    fields: dict[str, Any] = {
        "campaign_id": campaign_id, "lat_e6": centre[0], "lon_e6": centre[1], "radius_m": 100,
        "action_id": ACTION, "token": "", "reward_per_claim": 250, "first_come": False,
        "max_claims": 0, "start": now - 3600, "end": now + 7 * 86_400, "max_accuracy_m": 25.0,
    }  # fmt: skip
    fields.update(changes)
    return CampaignTerms(**fields)


def _reward(engine: Engine, token: str, recipient: str, now: int) -> tuple[ClaimOracle, str]:
    """The oracle's campaigns (the exchange's copy of GeoRewards'), and an approved claim of
    `recipient` after a walk into campaign 1."""
    clock = [float(now)]
    oracle = ClaimOracle(
        engine, chain_id=CHAIN_ID, contract=GEO_CONTRACT,
        signer=LocalKeySigner(Account.create().key), clock=lambda: clock[0],
    )  # fmt: skip
    east = destination_e6(*CITY_HALL, 90.0, 800.0)
    oracle.register_campaign(_campaign(1, CITY_HALL, now, token=token), ACTION_NAME)
    oracle.register_campaign(
        _campaign(2, east, now, token=token, reward_per_claim=1000, first_come=True, max_claims=10)
    )
    oracle.register_campaign(_campaign(3, BUSAN, now, token=token))  # far away
    oracle.register_campaign(_campaign(4, CITY_HALL, now, token=token, end=now - 60))  # ended
    # A walk in from 400 m north, a fix a minute; the last fix, at the centre, is the claim's.
    track = [
        Fix(*destination_e6(*CITY_HALL, 0.0, step * 80.0), 8.0, now + 60 * (5 - step))
        for step in range(5, -1, -1)
    ]
    for fix in track[:-1]:
        clock[0] = fix.timestamp
        assert oracle.record_fix(recipient, fix) is None
    clock[0] = track[-1].timestamp + 2
    decision = oracle.check_claim(ClaimRequest(1, recipient, ACTION, track[-1]))
    assert decision.approved, decision.detail
    assert decision.attestation is not None
    return oracle, "0x" + decision.attestation.claim_id.hex()


@pytest.fixture
def wallets(
    db_url: str,
    shop: Shop,
    issuer: Issuer,
    chain: Any,
    project: Any,
    factory: Any,  # noqa: F811
    emoney: Any,
    minter: Any,
    customer: Any,
    stranger: Any,
) -> Iterator[Wallets]:
    """Minji with two wallets on anvil (CPW and ETH; CPW bought with KRW), rates, a paid
    invoice, a reward, and campaigns around Seoul City Hall; the server reading the node."""
    engine = shop.engine
    minji = make_customer(engine)
    now = int(time.time())
    with UnitOfWork(engine) as uow:
        add_account(uow, "minji", str(customer.address), "main")
    addresses = []
    for name, coins in (("a", [emoney.address, ZERO]), ("b", [emoney.address])):
        salt = keccak(text=f"minji-wallet-{name}")
        factory.createWallet(customer, salt, coins, sender=stranger)
        addresses.append(str(factory.predictAddress(customer, salt, coins)))
    wallet_a, wallet_b = addresses
    emoney.mint(wallet_a, 12_345, b"\x01" * 32, sender=minter)
    stranger.transfer(wallet_a, 3 * 10**17)
    with UnitOfWork(engine) as uow:
        record_wallet(uow, "minji", CHAIN_ID, wallet_a, [shop.cpw.id, shop.eth.id])
    with UnitOfWork(engine) as uow:
        record_wallet(uow, "minji", CHAIN_ID, wallet_b, [shop.cpw.id])
    with UnitOfWork(engine) as uow:
        payment = FiatPayment("minji", wallet_b, "KRW", BOUGHT_KRW, "bank-0001")
        bought = buy_emoney(uow, payment, shop.cpw, "KRW", ApeMinter(emoney, minter))
        mint_reference = bought.mint_reference
    moment = utcnow()
    for hours_ago, rate in zip(range(len(CPW_RATES) - 1, -1, -1), CPW_RATES, strict=True):
        with UnitOfWork(engine) as uow:
            set_rate(
                uow, "CPW", "KRW", Decimal(rate), moment - timedelta(minutes=50 * hours_ago + 5)
            )
    with UnitOfWork(engine) as uow:
        set_rate(uow, "ETH", "KRW", ETH_RATE, moment - timedelta(minutes=5))
    with UnitOfWork(engine) as uow:
        request = NewInvoice(shop.store.store_id, "CPW", amount=450, payer=str(customer.address))
        invoice_hash = issue_invoice(uow, request, issuer).invoice_hash
    with UnitOfWork(engine) as uow:
        uow.session.execute(update(Invoice).values(status=InvoiceStatus.SETTLED, amount_paid=450))
        uow.commit()
    _, claim_id = _reward(engine, str(emoney.address), wallet_a, now)

    app = create_app(ServerSettings(database_url=db_url, rpc_url=chain.provider.uri))
    with serving(app) as url:
        yield Wallets(
            url, engine, chain.provider.uri, minji.id, wallet_a, wallet_b, invoice_hash,
            mint_reference, claim_id, now,
        )  # fmt: skip
    app.state.engine.dispose()


def _customer_cookies(context: BrowserContext) -> list[dict[str, Any]]:
    return [dict(c) for c in context.cookies() if c["name"] == CUSTOMER_COOKIE]


def _count(engine: Engine, model: Any) -> int:
    with UnitOfWork(engine) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_wrong_password_is_refused_with_a_message_and_the_right_one_logs_in_and_out(
    page: Page, wallets: Wallets
) -> None:
    log_in(page, wallets.server, "not the password")
    expect(page.get_by_role("alert")).to_have_text("The login ID or password is wrong.")
    expect(page.get_by_role("heading", name="Log in to your wallet")).to_be_visible()
    assert _customer_cookies(page.context) == []
    assert _count(wallets.engine, CustomerSession) == 0
    assert _count(wallets.engine, LoginFailure) == 1
    screenshot(page, "wallet-login-refused")

    # The control: the right password opens the wallet, the token only in an HttpOnly cookie.
    log_in(page, wallets.server)
    expect(page.get_by_role("heading", name="Kim Minji's wallet")).to_be_visible()
    [cookie] = _customer_cookies(page.context)
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/wallet"
    assert cookie["value"] not in page.content()
    with UnitOfWork(wallets.engine) as uow:
        [session] = uow.session.scalars(select(CustomerSession)).all()
        assert session.revoked_at is None

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in to your wallet")).to_be_visible()
    assert _customer_cookies(page.context) == []
    with UnitOfWork(wallets.engine) as uow:
        assert uow.session.scalars(select(CustomerSession.revoked_at)).one() is not None
    page.goto(f"{wallets.server}/wallet")  # the revoked session opens nothing
    expect(page.get_by_role("heading", name="Log in to your wallet")).to_be_visible()


def test_every_coin_of_both_wallets_shows_the_services_fiat_value_and_the_total(
    page: Page, wallets: Wallets
) -> None:
    log_in(page, wallets.server)
    found = wallets.holdings()
    assert [(address, len(held)) for address, held in found] == [
        (wallets.wallet_a, 2),
        (wallets.wallet_b, 1),
    ]
    total = Decimal(0)
    for address, held in found:
        rows = page.locator(f'table.holdings[data-wallet="{address}"] tr.holding')
        expect(rows).to_have_count(len(held))
        for coin, value, rate in held:
            row = page.locator(
                f'table.holdings[data-wallet="{address}"] tr.holding[data-coin="{coin}"]'
            )
            expect(row).to_have_attribute("data-value", f"{value:f}")
            expect(row.locator(".value")).to_have_text(fiat_text(value, "KRW"))
            expect(row.locator(".rate")).to_contain_text(f"{rate.normalize():,f} KRW")
            total += value
    # 123.45 CPW and 5000 CPW at 1000.5, 0.3 ETH at 4 500 001.5: each rounded half-even to
    # whole won (123 511.725 → 123 512; 5 002 500; 1 350 000.45 → 1 350 000), then added.
    assert total == Decimal("6476012")
    expect(page.locator("#total")).to_have_attribute("data-value", f"{total:f}")
    expect(page.locator("#total")).to_have_text("6,476,012 KRW")
    wallet_a = page.locator(f'table.holdings[data-wallet="{wallets.wallet_a}"]')
    expect(wallet_a.locator('[data-coin="CPW"] .balance')).to_have_text("123.45 CPW")
    expect(wallet_a.locator('[data-coin="ETH"] .balance')).to_have_text("0.30 ETH")
    wallet_b = page.locator(f'table.holdings[data-wallet="{wallets.wallet_b}"]')
    expect(wallet_b.locator('[data-coin="CPW"] .balance')).to_have_text("5000.00 CPW")
    assert horizontal_overflow(page) == 0
    screenshot(page, "wallet-tablet")

    # Another currency with no rates: balances stay, no value is guessed, the total is 0.
    page.get_by_label("Currency").select_option("USD")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#total")).to_have_text("0.00 USD")
    expect(page.locator("#unvalued")).to_have_text(
        "Not counted: 3 coins without a current USD rate."
    )
    expect(wallet_b.locator('[data-coin="CPW"] .balance')).to_have_text("5000.00 CPW")


def test_the_rate_chart_is_inline_svg_with_a_point_per_recorded_rate(
    page: Page, wallets: Wallets
) -> None:
    log_in(page, wallets.server)
    with UnitOfWork(wallets.engine) as uow:
        recorded = uow.session.scalar(
            select(func.count()).select_from(ExchangeRate).where(ExchangeRate.coin == "CPW")
        )
    assert recorded == len(CPW_RATES)
    chart = page.locator("svg#rate-chart")
    expect(chart).to_be_visible()
    expect(chart.locator("circle.point")).to_have_count(len(CPW_RATES))
    expect(chart).to_have_attribute("role", "img")
    expect(chart.locator("title#chart-title")).to_have_text("CPW rate in KRW")
    description = chart.locator("desc#chart-desc")
    expect(description).to_contain_text("6 recorded rates of CPW in KRW")
    expect(description).to_contain_text("lowest 990.00, highest 1,010.00, latest 1,000.50 KRW")
    expect(chart.locator("text.axis-title")).to_have_text(["Time (UTC)", "KRW per CPW"])
    expect(chart.locator("text.y-label")).to_have_text(["990.00", "1,000.00", "1,010.00"])
    expect(chart.locator("text.x-label")).to_have_count(3)
    points = chart.locator("polyline.line").get_attribute("points") or ""
    assert len(points.split()) == len(CPW_RATES)
    # The newest point is at the right edge, the highest rate at the top of the plot.
    xs = [float(p.split(",")[0]) for p in points.split()]
    ys = [float(p.split(",")[1]) for p in points.split()]
    assert xs == sorted(xs) and ys.index(min(ys)) == CPW_RATES.index("1010")
    # The picked coin: ETH has one recorded rate, so one point.
    page.get_by_role("link", name="ETH").click()
    expect(page.locator("svg#rate-chart circle.point")).to_have_count(1)
    expect(page.locator("title#chart-title")).to_have_text("ETH rate in KRW")
    scripts = page.eval_on_selector_all("script", "all => all.map(s => [s.src, s.text])")
    assert scripts and all(src.startswith(f"{wallets.server}/static/") for src, _ in scripts)
    assert all(text.strip() == "" for _, text in scripts)


def test_the_history_lists_the_purchase_the_emoney_bought_and_the_reward(
    page: Page, wallets: Wallets
) -> None:
    log_in(page, wallets.server)
    entries = page.locator("#history li.entry")
    expect(entries).to_have_count(3)
    purchase = page.locator(f'li.entry[data-reference="{wallets.invoice_hash}"]')
    expect(purchase.locator(".kind")).to_have_text("Purchase")
    expect(purchase.locator(".amount")).to_have_text("4.50 CPW")
    bought = page.locator(f'li.entry[data-reference="{wallets.mint_reference}"]')
    expect(bought.locator(".kind")).to_have_text("E-money bought")
    expect(bought.locator(".amount")).to_have_text("5000.00 CPW")
    reward = page.locator(f'li.entry[data-reference="{wallets.reward_claim}"]')
    expect(reward.locator(".kind")).to_have_text("Location reward")
    expect(reward.locator(".amount")).to_have_text("2.50 CPW")
    expect(reward.locator(".when")).to_contain_text("approved")


@pytest.fixture
def located(browser: Browser) -> Iterator[BrowserContext]:
    """A window whose browser shares the position of Seoul City Hall (real geolocation API)."""
    opened = browser.new_context(
        viewport=TABLET,
        permissions=["geolocation"],
        geolocation={"latitude": CITY_HALL[0] / 1e6, "longitude": CITY_HALL[1] / 1e6},
    )
    yield opened
    opened.close()


def test_campaigns_near_the_browsers_position_with_action_reward_and_distance(
    located: BrowserContext, wallets: Wallets
) -> None:
    page = located.new_page()
    log_in(page, wallets.server)
    page.get_by_role("button", name="Use my location").click()
    expect(page.locator("#position-shown")).to_have_text("Near 37.566535, 126.977969:")
    with UnitOfWork(wallets.engine) as uow:
        expected = campaigns_near(uow.session, *CITY_HALL, wallets.now)
    assert [c.campaign_id for c in expected] == [1, 2]  # Busan is far, 4 has ended
    campaigns = page.locator("#campaigns li.campaign")
    expect(campaigns).to_have_count(2)
    for item, c in zip(campaigns.all(), expected, strict=True):
        expect(item).to_have_attribute("data-campaign", str(c.campaign_id))
        expect(item.locator(".distance")).to_contain_text(f"{distance_text(c.distance_m)} away")
        expect(item.locator(".action-id")).to_have_attribute("title", c.action_id)
        expect(item.locator(".action-id")).to_have_text(short(c.action_id, 10, 6))
    first, second = campaigns.all()
    # Campaign 1 was registered with its action's name, campaign 2 by its id alone.
    assert (expected[0].action_name, expected[1].action_name) == (ACTION_NAME, None)
    expect(first.locator(".action")).to_contain_text(f"Action: {ACTION_NAME}")
    expect(first.locator(".action-name")).to_have_text(ACTION_NAME)
    expect(second.locator(".action-name")).to_have_count(0)
    expect(second.locator(".action")).to_have_text(f"Action: {short(expected[1].action_id, 10, 6)}")
    expect(first.locator(".here")).to_have_text("You are here")
    expect(first.locator(".reward")).to_have_text("2.50 CPW")
    expect(first).to_contain_text("for everyone who comes")
    expect(second.locator(".here")).to_have_count(0)
    expect(second.locator(".reward")).to_have_text("10.00 CPW")
    expect(second).to_contain_text("for the first 10 to claim")
    assert 790 <= expected[1].distance_m <= 810
    screenshot(page, "wallet-campaigns")


def test_without_geolocation_a_typed_position_finds_the_campaigns(
    page: Page, wallets: Wallets
) -> None:
    log_in(page, wallets.server)
    # The window was not given the position: the browser refuses, the page says so.
    page.get_by_role("button", name="Use my location").click()
    expect(page.locator("#geo-status")).to_contain_text("Type a latitude and longitude")
    page.get_by_label("Latitude").fill("37.5700")
    page.get_by_label("Longitude").fill("126.9800")
    page.get_by_role("button", name="Find campaigns").click()
    expect(page.locator("#position-shown")).to_have_text("Near 37.570000, 126.980000:")
    with UnitOfWork(wallets.engine) as uow:
        expected = campaigns_near(uow.session, 37_570_000, 126_980_000, wallets.now)
    ids = [str(c.campaign_id) for c in expected]
    expect(page.locator("#campaigns li.campaign")).to_have_count(len(ids))
    assert ids == ["1", "2"]
    got = page.locator("#campaigns li.campaign").evaluate_all(
        "all => all.map(li => [li.dataset.campaign, Number(li.dataset.distance)])"
    )
    assert got == [[str(c.campaign_id), c.distance_m] for c in expected]
    expect(page.locator("#campaigns .here")).to_have_count(0)  # about 400 m off both
    # A position that is not one is refused with a message; far away, nothing is near.
    page.get_by_label("Latitude").fill("95")
    page.get_by_role("button", name="Find campaigns").click()
    expect(page.locator("#position-error")).to_have_text(
        "The latitude must be between -90 and 90 degrees."
    )
    page.get_by_label("Latitude").fill("48.8584")
    page.get_by_label("Longitude").fill("2.2945")
    page.get_by_role("button", name="Find campaigns").click()
    expect(page.locator("#no-campaigns")).to_be_visible()


def test_the_wallet_fits_a_phone_and_posts_need_the_csrf_token(
    browser: Browser, wallets: Wallets
) -> None:
    phone = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        permissions=["geolocation"],
        geolocation={"latitude": CITY_HALL[0] / 1e6, "longitude": CITY_HALL[1] / 1e6},
    )
    try:
        page = phone.new_page()
        page.goto(f"{wallets.server}/wallet")
        assert horizontal_overflow(page) == 0
        screenshot(page, "wallet-login-phone")
        log_in(page, wallets.server)
        expect(page.locator("#total")).to_have_text("6,476,012 KRW")
        assert horizontal_overflow(page) == 0
        page.get_by_role("button", name="Use my location").click()
        expect(page.locator("#campaigns li.campaign")).to_have_count(2)
        assert horizontal_overflow(page) == 0
        screenshot(page, "wallet-phone")

        answer = page.goto(f"{wallets.server}/wallet")
        assert answer is not None
        assert answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        refused = page.request.post(
            f"{wallets.server}/wallet/campaigns", form={"lat": "37.5", "lon": "127"}
        )
        assert refused.status == 403 and "CSRF" in refused.json()["detail"]
        forged = page.request.post(
            f"{wallets.server}/wallet/login",
            form={"login_id": "minji", "password": PASSWORD, "csrf": "x" * 43},
        )
        assert forged.status == 403
        # The control: the measure finds a page wider than the phone.
        page.evaluate(
            "() => { const d = document.createElement('div');"
            " d.style.width = '500px'; d.style.height = '1px'; document.body.append(d); }"
        )
        assert horizontal_overflow(page) > 0
    finally:
        phone.close()


@pytest.fixture(params=[TABLET, PHONE], ids=["tablet", "phone"])
def axe_context(browser: Browser, request: pytest.FixtureRequest) -> Iterator[BrowserContext]:
    opened = browser.new_context(viewport=request.param, bypass_csp=True)
    yield opened
    opened.close()


def test_the_wallet_pages_have_no_serious_or_critical_axe_violation(
    axe_context: BrowserContext, wallets: Wallets
) -> None:
    page = axe_context.new_page()
    page.goto(f"{wallets.server}/wallet")
    assert _violations(page) == [], "login"
    log_in(page, wallets.server, "wrong password")
    expect(page.get_by_role("alert")).to_be_visible()
    assert _violations(page) == [], "login refused"
    log_in(page, wallets.server)
    expect(page.locator("#total")).to_be_visible()
    page.locator("details.chart-data summary").click()
    assert _violations(page) == [], "wallet"
    page.get_by_label("Latitude").fill("37.566535")
    page.get_by_label("Longitude").fill("126.977969")
    page.get_by_role("button", name="Find campaigns").click()
    expect(page.locator("#campaigns li.campaign")).to_have_count(2)
    assert _violations(page) == [], "campaigns"
    # The control: an image with no text alternative is a critical violation axe reports.
    page.evaluate("() => document.body.append(document.createElement('img'))")
    assert [v["id"] for v in _violations(page)] == ["image-alt"]


@pytest.fixture
def nodeless_server(db_url: str, engine: Engine) -> Iterator[str]:
    """Minji, and a server started without a node URL."""
    make_customer(engine)
    app = create_app(ServerSettings(database_url=db_url))
    with serving(app) as url:
        yield url
    app.state.engine.dispose()


def test_repeated_wrong_passwords_are_throttled_and_a_server_without_a_node_says_so(
    page: Page, nodeless_server: str, engine: Engine
) -> None:
    log_in(page, nodeless_server)  # the control: the right password, before the failures
    expect(page.get_by_role("alert")).to_have_text(
        "Balances cannot be read now: this server was started without a node URL: "
        "it cannot read balances."
    )
    expect(page.locator("#total")).to_have_count(0)
    page.get_by_role("button", name="Log out").click()
    for _ in range(5):
        log_in(page, nodeless_server, "a guess")
        expect(page.get_by_role("alert")).to_have_text("The login ID or password is wrong.")
    log_in(page, nodeless_server)  # even the right password waits now
    expect(page.get_by_role("alert")).to_contain_text("Too many failed logins: try again in")
    assert _customer_cookies(page.context) == []
    assert _count(engine, LoginFailure) == 5
