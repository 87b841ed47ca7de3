"use strict";
// The payment request's live parts, shared by the POS and the checkout: the countdown to
// the deadline, the copy button, and the invoice's status followed without a reload.
window.CoinposPayment = (() => {
  const POLL_MS = 1000;
  let countdownTimer = null;
  let pollTimer = null;

  function countdown(element, expiresAt) {
    clearInterval(countdownTimer);
    const deadline = Date.parse(expiresAt);
    const tick = () => {
      const left = Math.max(0, Math.floor((deadline - Date.now()) / 1000));
      const minutes = Math.floor(left / 60);
      const seconds = String(left % 60).padStart(2, "0");
      element.textContent = `${minutes}:${seconds}`;
      if (left === 0) clearInterval(countdownTimer);
    };
    tick();
    countdownTimer = setInterval(tick, 1000);
  }

  function stopCountdown() {
    clearInterval(countdownTimer);
  }

  function showStatus(status) {
    const element = document.getElementById("status");
    element.textContent = status.label;
    element.dataset.status = status.status;
    document.getElementById("pay-amount").textContent = status.price_shown;
    document.getElementById("status-note").textContent = status.note || "";
  }

  // Polls `url` each second until the status is final; `onChange` sees every new answer.
  function follow(url, onChange) {
    clearTimeout(pollTimer);
    let last = "";
    const poll = async () => {
      try {
        const answer = await fetch(url, { headers: { Accept: "application/json" } });
        if (answer.ok) {
          const status = await answer.json();
          const seen = JSON.stringify(status);
          if (seen !== last) {
            last = seen;
            showStatus(status);
            onChange(status);
          }
          if (status.final) return;
        }
      } catch (_) {
        // The network dropped: try again on the next tick.
      }
      pollTimer = setTimeout(poll, POLL_MS);
    };
    poll();
  }

  function stop() {
    clearTimeout(pollTimer);
    stopCountdown();
  }

  function copyButtons() {
    for (const button of document.querySelectorAll("button[data-copy]")) {
      button.addEventListener("click", async () => {
        const text = document.getElementById(button.dataset.copy).textContent;
        try {
          await navigator.clipboard.writeText(text);
          button.textContent = "Copied";
        } catch (_) {
          const range = document.createRange();
          range.selectNodeContents(document.getElementById(button.dataset.copy));
          window.getSelection().removeAllRanges();
          window.getSelection().addRange(range);
          button.textContent = "Selected: copy it";
        }
        setTimeout(() => { button.textContent = "Copy address"; }, 2000);
      });
    }
  }

  return { countdown, stopCountdown, follow, stop, copyButtons };
})();
