"use strict";
(() => {
  const page = document.getElementById("checkout");
  const payment = window.CoinposPayment;
  payment.copyButtons();
  payment.countdown(document.getElementById("countdown"), document.getElementById("countdown").dataset.expires);
  payment.follow(page.dataset.eventsUrl, page.dataset.statusUrl, (status) => {
    if (status.final) payment.stopCountdown();
  });
})();
