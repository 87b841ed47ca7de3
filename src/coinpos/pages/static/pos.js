"use strict";
// The counter: a cart of catalogue items, its total from the server (coin and fiat), the
// charge, the payment request and its status, then the receipt.
(() => {
  const csrf = document.body.dataset.csrf;
  const payment = window.CoinposPayment;
  const cart = new Map(); // sku -> { name, stock, quantity }
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
    return [...cart].map(([sku, line]) => ({ sku, quantity: line.quantity }));
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
      const quote = await post("/pos/quote", { cart: lines() });
      $("cart-total").textContent = quote.shown;
      $("cart-fiat").textContent = quote.fiat ? `≈ ${quote.fiat.value} ${quote.fiat.fiat}` : "";
      $("charge").dataset.coin = quote.total.coin;
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

  function showReceipt(invoice, status) {
    payment.stop();
    $("receipt-amount").textContent = status.price_shown;
    $("receipt-invoice").textContent = invoice.id;
    $("receipt-tx").textContent = status.transactions.join(" ") || "–";
    $("charged").hidden = true;
    $("receipt").hidden = false;
  }

  $("charge").addEventListener("click", async () => {
    $("charge").disabled = true;
    try {
      const invoice = await post("/pos/charge", { coin: $("charge").dataset.coin, cart: lines() });
      $("qr").src = `/pos/invoices/${invoice.id}/qr.svg`;
      $("pay-fiat").textContent = invoice.fiat_now ? `≈ ${invoice.fiat_now.value} ${invoice.fiat_now.fiat}` : "";
      $("pay-address").textContent = invoice.payment.deposit_address;
      $("charged").dataset.invoice = invoice.id;
      $("charged").dataset.paymentUri = invoice.payment.payment_uri;
      payment.countdown($("countdown"), invoice.expires_at);
      $("sale").hidden = true;
      $("charged").hidden = false;
      payment.follow(`/pos/invoices/${invoice.id}`, (status) => {
        if (status.status === "Settled") showReceipt(invoice, status);
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
