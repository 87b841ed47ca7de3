"use strict";
// The counter: a cart of catalogue items, its total from the server (coin and fiat), the
// charge, the payment request and its status, then the receipt.
(() => {
  const csrf = document.body.dataset.csrf;
  const payment = window.CoinposPayment;
  const cart = new Map(); // sku -> { name, stock, quantity }, or "amount-N" -> { custom, amount }
  let customLines = 0;
  const $ = (id) => document.getElementById(id);

  async function post(url, body) {
    const answer = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
    const data = await answer.json();
    if (!answer.ok) throw new Error(data.detail || `${answer.status}`);
    return data;
  }

  function lines() {
    return [...cart].filter(([, line]) => !line.custom)
      .map(([sku, line]) => ({ sku, quantity: line.quantity }));
  }

  // What the server prices and charges: catalogue lines, or custom amounts in one coin.
  function sale() {
    const amounts = [...cart.values()].filter((line) => line.custom);
    const body = { cart: lines(), amounts: amounts.map((line) => line.amount) };
    if (amounts.length) body.coin = amounts[0].coin;
    return body;
  }

  function showError(message) {
    $("sale-error").textContent = message || "";
  }

  async function refreshTotal() {
    $("cart-empty").hidden = cart.size > 0;
    $("charge").disabled = cart.size === 0;
    if (cart.size === 0) {
      $("cart-total").textContent = "–";
      $("cart-fiat").textContent = "";
      return;
    }
    try {
      const quote = await post("/pos/quote", sale());
      $("cart-total").textContent = quote.shown;
      $("cart-fiat").textContent = quote.fiat ? `≈ ${quote.fiat.value} ${quote.fiat.fiat}` : "";
      showError("");
    } catch (error) {
      $("charge").disabled = true;
      showError(error.message);
    }
  }

  function renderCart() {
    const list = $("cart-lines");
    list.replaceChildren();
    for (const [sku, line] of cart) {
      const row = document.createElement("li");
      if (line.custom) {
        row.dataset.custom = line.amount;
        const name = document.createElement("span");
        name.className = "name";
        name.textContent = `Custom amount: ${line.amount} ${line.coin}`;
        const remove = document.createElement("button");
        remove.type = "button";
        remove.textContent = "×";
        remove.setAttribute("aria-label", `Remove the custom amount ${line.amount} ${line.coin}`);
        remove.addEventListener("click", () => { cart.delete(sku); renderCart(); });
        row.append(name, remove);
        list.append(row);
        continue;
      }
      row.dataset.sku = sku;
      const name = document.createElement("span");
      name.className = "name";
      name.textContent = line.name;
      const less = document.createElement("button");
      less.type = "button";
      less.textContent = "−";
      less.setAttribute("aria-label", `One ${line.name} less`);
      less.addEventListener("click", () => change(sku, -1));
      const quantity = document.createElement("output");
      quantity.className = "quantity";
      quantity.textContent = String(line.quantity);
      const more = document.createElement("button");
      more.type = "button";
      more.textContent = "+";
      more.setAttribute("aria-label", `One ${line.name} more`);
      more.disabled = line.quantity >= line.stock;
      more.addEventListener("click", () => change(sku, 1));
      row.append(name, less, quantity, more);
      list.append(row);
    }
    refreshTotal();
  }

  function change(sku, step) {
    const line = cart.get(sku);
    line.quantity = Math.min(line.stock, line.quantity + step);
    if (line.quantity <= 0) cart.delete(sku);
    renderCart();
  }

  for (const item of document.querySelectorAll("#catalogue .item")) {
    const stock = Number(item.dataset.stock);
    item.querySelector("button.add").addEventListener("click", () => {
      if (stock <= 0) return; // out of stock: never in a cart
      const line = cart.get(item.dataset.sku) || { name: item.dataset.name, stock, quantity: 0 };
      if (line.quantity >= stock) return;
      line.quantity += 1;
      cart.set(item.dataset.sku, line);
      renderCart();
    });
  }

  $("search").addEventListener("input", () => {
    const words = $("search").value.trim().toLowerCase();
    for (const item of document.querySelectorAll("#catalogue .item")) {
      const text = `${item.dataset.name} ${item.dataset.sku}`.toLowerCase();
      item.hidden = words !== "" && !text.includes(words);
    }
  });

  // The keypad: digits typed into a custom amount of the coin, added to the cart as a line.
  const keypad = $("keypad-display");
  let typed = "";
  function coinOfKeypad() {
    const coin = $("keypad-coin");
    if (coin.tagName === "SELECT") {
      return { symbol: coin.value, decimals: Number(coin.selectedOptions[0].dataset.decimals) };
    }
    return { symbol: coin.dataset.value, decimals: Number(coin.dataset.decimals) };
  }
  function showTyped() {
    keypad.textContent = typed || "0";
    $("keypad-add").disabled = !(Number(typed) > 0);
  }
  function press(key) {
    if (key === "back") typed = typed.slice(0, -1);
    else if (key === ".") { if (!typed.includes(".")) typed = (typed || "0") + "."; }
    else {
      const [, places = ""] = typed.split(".");
      if (typed.includes(".") && places.length >= coinOfKeypad().decimals) return;
      if (typed.replace(".", "").length >= 24) return;
      typed = typed === "0" ? key : typed + key;
    }
    showTyped();
  }
  if (keypad) {
    for (const key of document.querySelectorAll(".keys .key")) {
      key.addEventListener("click", () => press(key.dataset.key));
    }
    $("keypad-clear").addEventListener("click", () => { typed = ""; showTyped(); });
    $("keypad-add").addEventListener("click", () => {
      if (!(Number(typed) > 0)) return;
      const amount = typed.endsWith(".") ? typed.slice(0, -1) : typed;
      customLines += 1;
      cart.set(`amount-${customLines}`, { custom: true, amount, coin: coinOfKeypad().symbol });
      typed = "";
      showTyped();
      renderCart();
    });
  }

  function showReceipt(invoice, status) {
    payment.stop();
    $("receipt-status").textContent = status.label;
    $("receipt-note").textContent = status.note || "";
    $("receipt-amount").textContent = status.price_shown;
    $("receipt-paid").textContent = status.paid_shown;
    $("receipt-date").textContent = new Date().toLocaleString();
    $("receipt-invoice").textContent = invoice.id;
    $("receipt-tx").textContent = status.transactions.join(" ") || "–";
    $("charged").hidden = true;
    $("receipt").hidden = false;
    $("receipt").focus();
  }

  $("charge").addEventListener("click", async () => {
    $("charge").disabled = true;
    try {
      const invoice = await post("/pos/charge", sale());
      $("qr").src = `/pos/invoices/${invoice.id}/qr.svg`;
      $("pay-amount").textContent = invoice.price_shown;
      $("pay-fiat").textContent = invoice.fiat_now ? `≈ ${invoice.fiat_now.value} ${invoice.fiat_now.fiat}` : "";
      $("pay-address").textContent = invoice.deposit_address;
      $("checkout-link").href = invoice.checkout_url;
      $("charged").dataset.invoice = invoice.id;
      $("charged").dataset.paymentUri = invoice.payment_uri;
      payment.countdown($("countdown"), invoice.expires_at);
      $("sale").hidden = true;
      $("charged").hidden = false;
      const base = `/pos/invoices/${invoice.id}`;
      payment.follow(`${base}/events`, base, (status) => {
        if (status.approved) showReceipt(invoice, status);
        else if (status.final) payment.stopCountdown();
      });
    } catch (error) {
      showError(error.message);
      $("charge").disabled = false;
    }
  });

  $("print").addEventListener("click", () => window.print());
  for (const button of document.querySelectorAll(".new-sale")) {
    // Starts over from the server's catalogue, with the stock the sale took.
    button.addEventListener("click", () => window.location.assign("/pos"));
  }
  payment.copyButtons();
})();
